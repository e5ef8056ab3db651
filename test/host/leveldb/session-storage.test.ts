// Velociraptor's Generic.Applications.Chrome.SessionStorage, run unchanged from
// ../shared/velociraptor-artifacts on a Session Storage folder shaped as Chrome writes it
// (written by LevelDB itself): namespace-<guid>-<origin> → map id, map-<id>-<key> → UTF-16LE.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Repository, installArtifactPlugins, runArtifact } from '../../../main/artifacts/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { toJSON, type Value } from '../../../main/vql/index.ts';
import { openDb } from './fixtures.ts';

const CORPUS = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts/', import.meta.url));
const skip = existsSync(CORPUS) ? false : `../shared/velociraptor-artifacts is absent (${CORPUS}): the SessionStorage artifact is not run`;
if (skip) console.log(`# ${skip}`);

type Row = Record<string, unknown>;

const utf16 = (s: string): Buffer => Buffer.from(s, 'utf16le');

describe('Generic.Applications.Chrome.SessionStorage on a Chrome-shaped folder', { skip }, () => {
  const home = mkdtempSync(join(tmpdir(), 'vql-chrome-'));
  const folder = join(home, 'alice/.config/google-chrome/Default/Session Storage');
  const guid1 = 'e6a5ad0d_b7fb_4cf1_a548_90fc1e48bbe0';
  const guid2 = '0c1d2e3f_4a5b_4c6d_8e7f_a0b1c2d3e4f5';
  let repo: Repository;

  before(async () => {
    repo = new Repository({ definitions: [CORPUS] });
    mkdirSync(folder, { recursive: true });
    const db = await openDb(folder);
    // As Chrome's SessionStorageMetadata writes them.
    await db.put(Buffer.from('version'), Buffer.from('1'));
    await db.put(Buffer.from('next-map-id'), Buffer.from('3'));
    await db.put(Buffer.from(`namespace-${guid1}-https://www.example.com/`), Buffer.from('1'));
    await db.put(Buffer.from(`namespace-${guid2}-https://mail.example.org/`), Buffer.from('2'));
    await db.put(Buffer.from('map-1-theme'), utf16('dark'));
    await db.put(Buffer.from('map-1-cart'), utf16('{"items":["thé","café"]}'));
    await db.put(Buffer.from('map-1-removed'), utf16('gone'));
    await db.del(Buffer.from('map-1-removed'));
    await db.put(Buffer.from('map-2-draft'), utf16('Grüße ☃'));
    await db.put(Buffer.from('map-2-draft'), utf16('final draft'));
    await db.compactRange(Buffer.from('\x00'), Buffer.from('\xff'));
    await db.put(Buffer.from('map-2-token'), utf16('abc123'));
    await db.close();
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test('lists each tab\'s origin with its GUID and its decoded key/value mapping (live values only)', async () => {
    const registry = createHostRegistry({ network: 'loopback' });
    installArtifactPlugins(registry, repo);
    const a = repo.get('Generic.Applications.Chrome.SessionStorage');
    assert.ok(a, 'the artifact is in the corpus');
    const rows: Value[] = [];
    const logs: string[] = [];
    const params = new Map([['SessionGlobs', `Glob\n${join(home, '*/.config/google-chrome/*/Session Storage')}\n`]]);
    for await (const batch of runArtifact(repo, a, params, {
      registry, signal: new AbortController().signal, preconditions: true, log: (l, m) => logs.push(`${l}: ${m}`),
    })) rows.push(...batch);
    assert.deepEqual(logs.filter((l) => /^(warn|error):/.test(l)), []);
    const out = JSON.parse(toJSON(rows)) as Row[];
    assert.deepEqual(out, [
      { OSPath: folder, GUID: guid2, URL: 'https://mail.example.org/', Mapping: { draft: 'final draft', token: 'abc123' }, _Source: 'Generic.Applications.Chrome.SessionStorage' },
      { OSPath: folder, GUID: guid1, URL: 'https://www.example.com/', Mapping: { cart: '{"items":["thé","café"]}', theme: 'dark' }, _Source: 'Generic.Applications.Chrome.SessionStorage' },
    ]);
  });
});
