// The CLI with shell sessions: `vql artifacts collect Linux.Sys.BashShell --allow-execve`
// (both sources, from ../shared/velociraptor-artifacts), its --timeout killing the shell, and
// `vql query` answering version(function=/plugin=) for host names (it used to load only the
// builtins for such a query, so version(plugin='glob') was NULL). Runs the bundle in dist/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alive, waitFor } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vql.js');
const CORPUS = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts/', import.meta.url));
const noCorpus = !existsSync(CORPUS)
  ? `../shared/velociraptor-artifacts is absent (${CORPUS}): vql artifacts collect Linux.Sys.BashShell not run`
  : process.platform !== 'linux' ? 'Linux.Sys.BashShell needs bash (Linux)' : false;
if (noCorpus) console.log(`# ${noCorpus}`);

// bin/vql.js runs the bundle: build it once if it is missing.
if (!existsSync(join(ROOT, 'dist', 'cli.js'))) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' });
  if (b.status !== 0) throw new Error(`npm run build failed:\n${b.stdout}\n${b.stderr}`);
}

function vql(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function bashShell(...args: string[]) {
  const r = vql('artifacts', 'collect', 'Linux.Sys.BashShell', '--definitions', CORPUS, '--allow-execve', '--format', 'jsonl', ...args);
  const rows = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { ...r, rows };
}

test('vql query: version(function=/plugin=) of host names is their version, NULL only when unknown', () => {
  const r = vql('query', "SELECT version(plugin='glob') AS Glob, version(function='shell_session') AS Shell, version(function='format') AS Format, version(function='no_such_fn') AS Missing FROM scope()", '--format', 'jsonl');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '{"Glob":0,"Shell":1,"Format":0,"Missing":null}');
});

for (const stateful of ['Y', 'N']) {
  test(`vql artifacts collect Linux.Sys.BashShell Stateful=${stateful} --allow-execve: Command and Stdout "hello"`, { skip: noCorpus }, () => {
    // The stateful source keeps bash up for more commands until Timeout: `exit` ends it now.
    const command = stateful === 'Y' ? 'echo hello; exit' : 'echo hello';
    const r = bashShell('--args', `Command=${command}`, '--args', `Stateful=${stateful}`);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /ERROR|_SessionId/);
    assert.ok(r.rows.some((row) => row.Command === (stateful === 'Y' ? `${command}\n` : command)), r.stdout);
    assert.equal(r.rows.map((row) => row.Stdout).join(''), 'hello\n');
  });
}

test('vql artifacts collect Linux.Sys.BashShell --timeout: the partial output, and bash is killed', { skip: noCorpus }, async () => {
  const r = bashShell('--args', 'Command=echo $$', '--timeout', '5');
  assert.equal(r.status, 124, r.stderr);
  assert.match(r.stderr, /timed out after 5s/);
  const pid = Number(r.rows.map((row) => row.Stdout).join('').trim());
  assert.ok(pid > 0, r.stdout);
  assert.ok(await waitFor(() => !alive(pid), 10_000), `bash ${pid} is gone`);
});
