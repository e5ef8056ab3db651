// Tools on a workstation (main/artifacts/tools.ts, artifacts/Generic.Utils.FetchBinary.yaml):
// the Tool_<Name>_* variables of declared tools (local file, url only, neither), their
// visibility in nested Artifact.X() runs, and FetchBinary's copy, download (a real HTTP server of
// the test's own on 127.0.0.1), hash check, executable bit and its messages.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHostRegistry } from '../../main/host/index.ts';
import { Repository, installArtifactPlugins, runArtifact } from '../../main/artifacts/index.ts';
import { ToolInventory, attachTools, parseToolFlags, type ToolsConfig } from '../../main/artifacts/tools.ts';
import { finishRun, type RunFiles } from '../../main/host/collect/run-files.ts';
import { parseScript, type Registry, type Statement, type VDict, type Value } from '../../main/vql/index.ts';

const parseOne = (text: string): Statement => parseScript(text).statements[0]!;

const TMP = mkdtempSync(join(tmpdir(), 'vql-tools-test-'));
after(() => rmSync(TMP, { recursive: true, force: true }));

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

// The tools folder: a file named after the tool, a folder holding one file, a folder holding two.
const TOOLS = join(TMP, 'tools');
mkdirSync(join(TOOLS, 'FolderTool'), { recursive: true });
mkdirSync(join(TOOLS, 'TwoFiles'), { recursive: true });
const LOCAL = '#!/bin/sh\necho local tool\n';
writeFileSync(join(TOOLS, 'LocalTool'), LOCAL, { mode: 0o644 });
writeFileSync(join(TOOLS, 'FolderTool', 'inner-1.2.bin'), 'in a folder');
writeFileSync(join(TOOLS, 'TwoFiles', 'a'), 'a');
writeFileSync(join(TOOLS, 'TwoFiles', 'b'), 'b');
const GIVEN = join(TMP, 'given-tool.sh');
writeFileSync(GIVEN, 'given on the command line');

// A server of the test's own: /tool.bin serves PAYLOAD, anything else is a 404.
const PAYLOAD = Buffer.from('downloaded tool body\n'.repeat(1000));
let server: Server;
let base = '';
before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/dl/tool.bin') res.end(PAYLOAD);
    else if (req.url === '/repos/Velocidex/OSQuery-Releases/releases/latest') {
      // GitHub's API: the latest release and its assets (the first match wins).
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({
        tag_name: 'v5.1',
        assets: [
          { name: 'osquery-windows-amd64.exe', browser_download_url: `${base}/dl/win.exe` },
          { name: 'osqueryd-linux-amd64', browser_download_url: `${base}/dl/tool.bin` },
          { name: 'osqueryd-linux-amd64.sig', browser_download_url: `${base}/dl/sig` },
        ],
      }));
    } else res.writeHead(404).end('not here');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  // FetchBinary asks this server for GitHub releases (each test file runs in its own process).
  process.env.VQL_GITHUB_API = base;
  writeDefinitions();
});
after(() => server?.close());

/** The variables Test.Tools.Vars shows (a missing one is NULL). */
const VARS = ['_ToolsFolder', ...['LocalTool', 'UrlTool', 'NamedUrlTool', 'BareTool', 'GithubTool', 'FolderTool', 'TwoFiles', 'Given'].flatMap((t) =>
  ['FILENAME', 'HASH', 'VERSION', 'PATH', 'URL', 'URLs', 'GITHUB_PROJECT'].map((s) => `Tool_${t}_${s}`))];

const DEFS = join(TMP, 'defs');
mkdirSync(DEFS);

/** Test artifacts; urls need the server's port, so they are written once it listens. */
function writeDefinitions(): void {
  writeFileSync(join(DEFS, 'Vars.yaml'), `name: Test.Tools.Vars
tools:
  - name: LocalTool
    version: "1.2"
    expected_hash: ${sha256(LOCAL).toUpperCase()}
  - name: UrlTool
    url: ${base}/dl/tool.bin
    expected_hash: ${sha256(PAYLOAD).toUpperCase()}
  - name: NamedUrlTool
    url: ${base}/dl/tool.bin?x=1
    filename: named.exe
  - name: BareTool
  - name: GithubTool
    github_project: Velocidex/OSQuery-Releases
    github_asset_regex: linux-amd64
  - name: FolderTool
  - name: TwoFiles
sources:
  - query: |
      SELECT ${VARS.map((n) => `get(item=scope(), field="${n}") AS ${n}`).join(',\n        ')}
      FROM scope()
`);
  // A tool whose declared hash is not the served file's.
  writeFileSync(join(DEFS, 'BadHash.yaml'), `name: Test.Tools.BadHash
tools:
  - name: BadHashTool
    url: ${base}/dl/tool.bin
    expected_hash: ${'0'.repeat(64)}
  - name: MissingUrlTool
    url: ${base}/nothing-here
sources:
  - query: |
      SELECT * FROM chain(
        a={ SELECT OSPath, Name FROM Artifact.Generic.Utils.FetchBinary(ToolName="BadHashTool") },
        b={ SELECT OSPath, Name FROM Artifact.Generic.Utils.FetchBinary(ToolName="MissingUrlTool") })
`);
  // The artifact that declares the tool calls FetchBinary (the usual pattern).
  writeFileSync(join(DEFS, 'Fetch.yaml'), `name: Test.Tools.Fetch
tools:
  - name: LocalTool
  - name: UrlTool
    url: ${base}/dl/tool.bin
    expected_hash: ${sha256(PAYLOAD)}
  - name: GithubTool
    github_project: Velocidex/OSQuery-Releases
  - name: BareTool
parameters:
  - name: Tool
  - name: Exec
    type: bool
    default: Y
sources:
  - query: |
      SELECT OSPath, Name FROM Artifact.Generic.Utils.FetchBinary(ToolName=Tool, IsExecutable=Exec)
`);
  // Declared by the outer artifact, fetched two calls down (as Linux.Utils.InstallDeb's DebTool).
  writeFileSync(join(DEFS, 'Outer.yaml'), `name: Test.Tools.Outer
tools:
  - name: UrlTool
    url: ${base}/dl/tool.bin
sources:
  - query: SELECT * FROM Artifact.Test.Tools.Middle(Tool="UrlTool")
`);
  writeFileSync(join(DEFS, 'Middle.yaml'), `name: Test.Tools.Middle
parameters:
  - name: Tool
sources:
  - query: |
      SELECT OSPath, Name, get(item=scope(), field="Tool_UrlTool_URL") AS SeenUrl
      FROM Artifact.Generic.Utils.FetchBinary(ToolName=Tool)
`);
  // Tools that only name a GitHub project: the latest release's first matching asset.
  writeFileSync(join(DEFS, 'Github.yaml'), `name: Test.Tools.Github
tools:
  - name: GithubLinux
    github_project: Velocidex/OSQuery-Releases
    github_asset_regex: linux-amd64$
    expected_hash: ${sha256(PAYLOAD)}
  - name: GithubBadHash
    github_project: Velocidex/OSQuery-Releases
    github_asset_regex: linux-amd64$
    expected_hash: ${'0'.repeat(64)}
  - name: GithubNoMatch
    github_project: Velocidex/OSQuery-Releases
    github_asset_regex: darwin
  - name: GithubGone
    github_project: Nobody/Gone
parameters:
  - name: Tool
sources:
  - query: SELECT OSPath, Name FROM Artifact.Generic.Utils.FetchBinary(ToolName=Tool)
`);
  // A caller's ToolInfo overrides the request's variables.
  writeFileSync(join(DEFS, 'Info.yaml'), `name: Test.Tools.Info
sources:
  - query: |
      SELECT OSPath, Name FROM Artifact.Generic.Utils.FetchBinary(
        ToolName="Undeclared", ToolInfo=dict(PATH=GivenPath, FILENAME="renamed.sh"))
parameters:
  - name: GivenPath
`);
}

let runs = 0;
/** A run's temp folder under TMP (created by the first tempdir()). */
const runFiles = (): RunFiles => ({ tempDir: join(TMP, `run-${++runs}`), uploadDir: null });

interface Run {
  rows: VDict[];
  logs: string[];
}

function engine(config: ToolsConfig): { registry: Registry; repo: Repository } {
  const repo = new Repository({ definitions: [DEFS] });
  const registry = createHostRegistry({ files: runFiles() });
  installArtifactPlugins(registry, repo);
  attachTools(registry, new ToolInventory(config));
  return { registry, repo };
}

async function run(name: string, args: Record<string, Value> = {}, config: ToolsConfig = { dir: TOOLS }): Promise<Run> {
  const { registry, repo } = engine(config);
  const rows: VDict[] = [];
  const logs: string[] = [];
  const loaded = repo.get(name);
  assert.ok(loaded, `${name} loaded: ${repo.problems.map((p) => p.message).join('; ')}`);
  for await (const batch of runArtifact(repo, loaded, new Map(Object.entries(args)), {
    registry,
    signal: new AbortController().signal,
    log: (level, m) => logs.push(`${level}: ${m}`),
  })) rows.push(...batch);
  return { rows, logs };
}

const errors = (r: Run) => r.logs.filter((l) => l.startsWith('error:'));

test('tool variables: a local file, a url only, neither (declared tools of a top-level run)', async () => {
  const r = await run('Test.Tools.Vars', {}, { dir: TOOLS, files: { Given: GIVEN } });
  assert.equal(r.rows.length, 1);
  const v = r.rows[0]!;
  // In the tools folder: its path, its own sha256, the file's name, the declared version.
  assert.equal(v.get('Tool_LocalTool_PATH'), join(TOOLS, 'LocalTool'));
  assert.equal(v.get('Tool_LocalTool_HASH'), sha256(LOCAL));
  assert.equal(v.get('Tool_LocalTool_FILENAME'), 'LocalTool');
  assert.equal(v.get('Tool_LocalTool_VERSION'), '1.2');
  assert.equal((v.get('Tool_LocalTool_URL') !== null), false);
  // Only a url: the url, a JSON list of urls, the declared hash (lower case), the url's file name.
  assert.equal(v.get('Tool_UrlTool_URL'), `${base}/dl/tool.bin`);
  assert.deepEqual(JSON.parse(String(v.get('Tool_UrlTool_URLs'))), [`${base}/dl/tool.bin`]);
  assert.equal(v.get('Tool_UrlTool_HASH'), sha256(PAYLOAD));
  assert.equal(v.get('Tool_UrlTool_FILENAME'), 'tool.bin');
  assert.equal(v.get('Tool_UrlTool_VERSION'), '');
  assert.equal((v.get('Tool_UrlTool_PATH') !== null), false);
  assert.equal(v.get('Tool_NamedUrlTool_FILENAME'), 'named.exe', 'a declared filename wins');
  // Neither: no PATH, no URL; a github_project tool says which project.
  assert.equal(v.get('Tool_BareTool_FILENAME'), '');
  assert.equal(v.get('Tool_BareTool_HASH'), '');
  assert.equal((v.get('Tool_BareTool_PATH') !== null) || (v.get('Tool_BareTool_URL') !== null), false);
  assert.equal(v.get('Tool_GithubTool_GITHUB_PROJECT'), 'Velocidex/OSQuery-Releases');
  assert.equal((v.get('Tool_GithubTool_URL') !== null), false);
  // The single file of <tools>/<Name>/ is the tool; a folder of two files is not (said once).
  assert.equal(v.get('Tool_FolderTool_PATH'), join(TOOLS, 'FolderTool', 'inner-1.2.bin'));
  assert.equal(v.get('Tool_FolderTool_FILENAME'), 'inner-1.2.bin');
  assert.equal((v.get('Tool_TwoFiles_PATH') !== null), false);
  assert.equal(r.logs.filter((l) => l.includes('TwoFiles') && l.includes('holds 2 files')).length, 1, r.logs.join('\n'));
  // --tool: defined even though no artifact declares it.
  assert.equal(v.get('Tool_Given_PATH'), GIVEN);
  assert.equal(v.get('_ToolsFolder'), TOOLS);
  // The declared hash of LocalTool matches (upper case in YAML): no warning about it.
  assert.equal(r.logs.some((l) => l.includes('LocalTool') && l.includes('declares')), false, r.logs.join('\n'));
});

test('a local file whose sha256 differs from the declared one is used, with a warning', async () => {
  const r = await run('Test.Tools.Vars', {}, { dir: TOOLS, files: { UrlTool: GIVEN } });
  const v = r.rows[0]!;
  assert.equal(v.get('Tool_UrlTool_PATH'), GIVEN, '--tool wins over the declared url');
  assert.equal(v.get('Tool_UrlTool_HASH'), sha256(readFileSync(GIVEN)));
  assert.equal((v.get('Tool_UrlTool_URL') !== null), false);
  assert.ok(r.logs.some((l) => l.startsWith('warn:') && l.includes(GIVEN) && l.includes(sha256(PAYLOAD))), r.logs.join('\n'));
});

test('FetchBinary copies a local tool into the temp folder, executable by default', async () => {
  const r = await run('Test.Tools.Fetch', { Tool: 'LocalTool' });
  assert.deepEqual(errors(r), []);
  assert.equal(r.rows.length, 1);
  const path = String(r.rows[0]!.get('OSPath'));
  assert.equal(r.rows[0]!.get('Name'), 'LocalTool');
  assert.ok(path.startsWith(TMP) && path.endsWith('LocalTool'), path);
  assert.notEqual(path, join(TOOLS, 'LocalTool'), 'a copy, not the inventory file');
  assert.equal(readFileSync(path, 'utf8'), LOCAL);
  if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o700);
  assert.equal(statSync(join(TOOLS, 'LocalTool')).mode & 0o777, 0o644, 'the inventory file is left alone');
});

test('FetchBinary with IsExecutable=FALSE leaves the copy unexecutable', { skip: process.platform === 'win32' ? 'no mode bits on Windows' : false }, async () => {
  const r = await run('Test.Tools.Fetch', { Tool: 'LocalTool', Exec: false });
  assert.equal(r.rows.length, 1);
  assert.equal(statSync(String(r.rows[0]!.get('OSPath'))).mode & 0o777, 0o600);
});

test('FetchBinary downloads a tool that has only a url, and checks its sha256', async () => {
  const r = await run('Test.Tools.Fetch', { Tool: 'UrlTool' });
  assert.deepEqual(errors(r), []);
  assert.equal(r.rows.length, 1);
  const path = String(r.rows[0]!.get('OSPath'));
  assert.equal(r.rows[0]!.get('Name'), 'tool.bin');
  assert.ok(path.endsWith('tool.bin'));
  assert.deepEqual(readFileSync(path), PAYLOAD);
});

test('a hash mismatch or an HTTP error: one clear error each, and no row', async () => {
  const r = await run('Test.Tools.BadHash');
  assert.deepEqual(r.rows, []);
  const e = errors(r);
  assert.equal(e.length, 2, r.logs.join('\n'));
  assert.match(e[0]!, /tool BadHashTool: the sha256 of .*tool\.bin \(from http:\/\/127\.0\.0\.1:\d+\/dl\/tool\.bin\) is [0-9a-f]{64}, but 0{64} is expected: the file is not used/);
  assert.match(e[1]!, /tool MissingUrlTool is not available: the download from http:\/\/127\.0\.0\.1:\d+\/nothing-here failed with status 404\. Put the file at .*, or give --tool MissingUrlTool=PATH/);
});

test('a tool declared with only a github_project: the first asset of the latest release that matches github_asset_regex, hash checked', async () => {
  const r = await run('Test.Tools.Github', { Tool: 'GithubLinux' });
  assert.deepEqual(errors(r), []);
  assert.equal(r.rows.length, 1);
  assert.equal(r.rows[0]!.get('Name'), 'osqueryd-linux-amd64', 'named after the asset (the .sig after it does not match the regex)');
  const path = String(r.rows[0]!.get('OSPath'));
  assert.ok(path.endsWith('osqueryd-linux-amd64'), path);
  assert.deepEqual(readFileSync(path), PAYLOAD);
  if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o700);
  // Without a regex the first asset is taken: here a url the server does not have, a clear error.
  const first = await run('Test.Tools.Fetch', { Tool: 'GithubTool' });
  assert.deepEqual(first.rows, []);
  assert.match(errors(first).join('\n'), /tool GithubTool is not available: the download from http:\/\/127\.0\.0\.1:\d+\/dl\/win\.exe failed with status 404\. Put the file at/);
});

test('a github_project tool: a wrong hash, no matching asset, no such project: one clear error each, no row', async () => {
  const bad = await run('Test.Tools.Github', { Tool: 'GithubBadHash' });
  assert.deepEqual(bad.rows, []);
  assert.match(errors(bad).join('\n'), /tool GithubBadHash: the sha256 of .*osqueryd-linux-amd64 \(from http:\/\/127\.0\.0\.1:\d+\/dl\/tool\.bin\) is [0-9a-f]{64}, but 0{64} is expected/);
  const none = await run('Test.Tools.Github', { Tool: 'GithubNoMatch' });
  assert.deepEqual(none.rows, []);
  assert.deepEqual(errors(none), [`error: Generic.Utils.FetchBinary: tool GithubNoMatch is not available: no asset of the latest release of Velocidex/OSQuery-Releases (v5.1) matches darwin. Put the file at ${join(TOOLS, 'GithubNoMatch')}, or give --tool GithubNoMatch=PATH`]);
  const gone = await run('Test.Tools.Github', { Tool: 'GithubGone' });
  assert.deepEqual(gone.rows, []);
  assert.equal(errors(gone).length, 1, gone.logs.join('\n'));
  assert.match(errors(gone)[0]!, /tool GithubGone is not available: cannot read the latest release of Nobody\/Gone from http:\/\/127\.0\.0\.1:\d+\/repos\/Nobody\/Gone\/releases\/latest \(status 404: not here\)\. Put the file at .*GithubGone, or give --tool GithubGone=PATH$/);
});

test('a tool with neither a local file nor a url: one error naming the tool, the tools folder and --tool; no row', async () => {
  const bare = await run('Test.Tools.Fetch', { Tool: 'BareTool' });
  assert.deepEqual(bare.rows, []);
  assert.equal(errors(bare).length, 1, bare.logs.join('\n'));
  const m = errors(bare)[0]!;
  assert.ok(m.includes('tool BareTool is not available: there is no local copy and no url is declared'), m);
  assert.ok(m.includes(join(TOOLS, 'BareTool')), m);
  assert.ok(m.includes('--tool BareTool=PATH'), m);
  const none = await run('Test.Tools.Fetch', { Tool: 'NotDeclared' });
  assert.deepEqual(none.rows, []);
  assert.equal(errors(none).length, 1);
  assert.match(errors(none)[0]!, /tool NotDeclared is not available: no artifact in this run declares it/);
  const empty = await run('Test.Tools.Fetch', { Tool: '' });
  assert.deepEqual(empty.rows, []);
  assert.deepEqual(errors(empty), ['error: Generic.Utils.FetchBinary: ToolName is empty: name the tool to fetch']);
});

test('nested runs see the caller\'s tool variables (declared two calls up)', async () => {
  const r = await run('Test.Tools.Outer');
  assert.deepEqual(errors(r), []);
  assert.equal(r.rows.length, 1);
  assert.equal(r.rows[0]!.get('SeenUrl'), `${base}/dl/tool.bin`, 'Middle declares no tool but sees the caller\'s');
  assert.deepEqual(readFileSync(String(r.rows[0]!.get('OSPath'))), PAYLOAD);
});

test('ToolInfo overrides the request\'s variables', async () => {
  const r = await run('Test.Tools.Info', { GivenPath: GIVEN });
  assert.deepEqual(errors(r), []);
  assert.equal(r.rows.length, 1);
  assert.equal(r.rows[0]!.get('Name'), 'renamed.sh');
  assert.ok(String(r.rows[0]!.get('OSPath')).endsWith('renamed.sh'));
  assert.equal(readFileSync(String(r.rows[0]!.get('OSPath')), 'utf8'), 'given on the command line');
});

test('without an inventory (a registry with no tools attached) a declared url still works, a local tool is missing', async () => {
  const repo = new Repository({ definitions: [DEFS] });
  const registry = createHostRegistry({ files: runFiles() });
  installArtifactPlugins(registry, repo);
  const fetch = async (tool: string) => {
    const rows: VDict[] = [];
    for await (const b of runArtifact(repo, repo.get('Test.Tools.Fetch')!, new Map([['Tool', tool]]), { registry, signal: new AbortController().signal, log: () => {} })) rows.push(...b);
    return rows;
  };
  assert.equal((await fetch('UrlTool')).length, 1);
  assert.deepEqual(await fetch('LocalTool'), [], 'LocalTool exists only in the inventory');
  await finishRun(registry);
});

test('copy(permissions="x") makes the copy executable, as Velociraptor\'s FetchBinary asks', { skip: process.platform === 'win32' ? 'no mode bits on Windows' : false }, async () => {
  const { Session, VDict: Dict } = await import('../../main/vql/index.ts');
  const registry = createHostRegistry({ files: runFiles() });
  const session = new Session({ registry, vars: new Dict([['Src', GIVEN]]), signal: new AbortController().signal, log: () => {} });
  const out: Value[] = [];
  for await (const b of session.execute(parseOne('SELECT copy(filename=Src, dest=tempdir() + "/x", permissions="x") AS X, copy(filename=Src, dest=tempdir() + "/r", permissions="r") AS R FROM scope()'))) {
    for (const r of b as VDict[]) out.push(r.get('X'), r.get('R'));
  }
  assert.equal(statSync(String(out[0])).mode & 0o777, 0o700);
  assert.equal(statSync(String(out[1])).mode & 0o777, 0o400);
  await finishRun(registry);
});

test('--tool NAME=PATH: bad forms are clear errors', () => {
  assert.deepEqual(parseToolFlags([`X=${GIVEN}`]), { X: GIVEN });
  assert.throws(() => parseToolFlags([GIVEN]), /--tool takes NAME=PATH/);
  assert.throws(() => parseToolFlags(['X=']), /--tool takes NAME=PATH/);
  assert.throws(() => parseToolFlags(['a/b=x']), /--tool takes NAME=PATH/);
  assert.throws(() => parseToolFlags([`X=${join(TMP, 'absent')}`]), /does not exist/);
  assert.throws(() => parseToolFlags([`X=${TOOLS}`]), /is not a file/);
});

test('the app: an artifact run in the app finds its tools in <datastore>/tools, beside the user artifacts', async () => {
  const { createEngine, jobRows } = await import('../../main/app/query-job.ts');
  const datastore = join(TMP, 'app-datastore');
  mkdirSync(join(datastore, 'artifacts'), { recursive: true });
  mkdirSync(join(datastore, 'tools'));
  writeFileSync(join(datastore, 'tools', 'AppTool'), 'app tool');
  writeFileSync(join(datastore, 'artifacts', 'Test.App.Tool.yaml'), [
    'name: Test.App.Tool',
    'tools:',
    '  - name: AppTool',
    'sources:',
    '  - query: SELECT Tool_AppTool_PATH AS Path, Tool_AppTool_HASH AS Hash FROM scope()',
    '',
  ].join('\n'));
  const engine = createEngine({ userArtifacts: join(datastore, 'artifacts') });
  const rows: VDict[] = [];
  for await (const batch of jobRows({ kind: 'collect', artifact: 'Test.App.Tool', args: {} }, engine, new AbortController().signal, () => {})) rows.push(...batch);
  assert.deepEqual(rows.map((r) => [r.get('Path'), r.get('Hash')]), [[join(datastore, 'tools', 'AppTool'), sha256('app tool')]]);
});
