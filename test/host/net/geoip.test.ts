// geoip() over a MaxMind database the test writes (mmdb-writer.ts), checked against
// libmaxminddb's mmdblookup on the same file; server_metadata()/server_set_metadata() in a
// local folder of the test's; and Velociraptor's Server.Enrichment.GeoIP run unchanged with
// its database path taken from the server metadata.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHostRegistry } from '../../../main/host/index.ts';
import { collect, toJSON, type Registry } from '../../../main/vql/index.ts';
import { attachTools, ToolInventory } from '../../../main/artifacts/tools.ts';
import { installArtifactPlugins, Repository } from '../../../main/artifacts/index.ts';
import { buildMmdb } from './mmdb-writer.ts';

const HAVE_MMDBLOOKUP = spawnSync('mmdblookup', ['--version']).status === 0;
let dir = '';
let db = '';

const SYDNEY = {
  city: { geoname_id: 2147714, names: { en: 'Sydney', de: 'Sydney' } },
  country: { geoname_id: 2077456, iso_code: 'AU', names: { en: 'Australia', de: 'Australien', 'zh-CN': '澳大利亚' } },
  location: { latitude: { double: -33.8591 }, longitude: { double: 151.2002 }, accuracy_radius: 500, time_zone: 'Australia/Sydney' },
  subdivisions: [{ iso_code: 'NSW', names: { en: 'New South Wales' } }],
  traits: { is_anycast: true },
};
const DOCS = { country: { iso_code: 'ZZ', names: { en: 'Documentation' } }, autonomous_system_number: 64512, autonomous_system_organization: 'Example Net' };

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vql-geoip-'));
  db = join(dir, 'Test-City.mmdb');
  writeFileSync(db, buildMmdb([
    ['1.128.0.0/11', SYDNEY],
    ['203.0.113.0/24', DOCS],
    ['2001:db8::/32', DOCS],
  ]));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function registryWithLocal(local: string): Registry {
  const registry = createHostRegistry();
  attachTools(registry, new ToolInventory({ dir: join(local, 'tools'), localDir: local }));
  return registry;
}

async function query(text: string, vars: Record<string, unknown> = {}, registry: Registry = createHostRegistry()) {
  const logs: string[] = [];
  const rows = await collect(text, { registry, vars, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
}

test('geoip: the record of the network holding an address, as stored (IPv4 in ::/96, IPv6), NULL outside', async () => {
  const { rows, logs } = await query(`SELECT geoip(ip='1.130.9.9', db=DB) AS S, geoip(ip='203.0.113.77', db=DB).country.iso_code AS Z,
      geoip(ip='2001:db8:1::5', db=DB).autonomous_system_organization AS V6, geoip(ip='8.8.8.8', db=DB) AS None FROM scope()`, { DB: db });
  assert.deepEqual(logs, []);
  const s = rows[0]!.S as Record<string, any>;
  assert.equal(s.city.names.en, 'Sydney');
  assert.equal(s.country.names['zh-CN'], '澳大利亚');
  assert.equal(s.location.latitude, -33.8591);
  assert.equal(s.location.accuracy_radius, 500);
  assert.equal(s.subdivisions[0].names.en, 'New South Wales');
  assert.equal(s.traits.is_anycast, true);
  assert.equal(rows[0]!.Z, 'ZZ');
  assert.equal(rows[0]!.V6, 'Example Net');
  assert.equal(rows[0]!.None, null);
});

test('geoip agrees with libmaxminddb\'s mmdblookup on the same file', { skip: HAVE_MMDBLOOKUP ? false : 'mmdblookup is not installed (apt-get install mmdb-bin)' }, async () => {
  const lookup = (ip: string, ...path: string[]) => {
    const out = execFileSync('mmdblookup', ['--file', db, '--ip', ip, ...path], { encoding: 'utf8' }).trim();
    // `"Sydney" <utf8_string>`, `-33.859100 <double>`, `500 <uint16>`, `true <boolean>`
    const m = /^("?)(.*?)\1 <(\w+)>$/s.exec(out)!;
    return m[3] === 'utf8_string' ? m[2] : m[3] === 'boolean' ? m[2] === 'true' : Number(m[2]);
  };
  const paths: Array<[string, string[]]> = [
    ['1.130.9.9', ['city', 'names', 'en']], ['1.130.9.9', ['country', 'names', 'de']], ['1.130.9.9', ['location', 'longitude']],
    ['1.159.255.255', ['location', 'accuracy_radius']], ['1.130.9.9', ['subdivisions', '0', 'iso_code']], ['1.130.9.9', ['traits', 'is_anycast']],
    ['203.0.113.1', ['autonomous_system_number']], ['2001:db8:ffff::1', ['country', 'iso_code']],
  ];
  for (const [ip, path] of paths) {
    const { rows } = await query(`SELECT get(item=geoip(ip=IP, db=DB), member=P) AS V FROM scope()`, { IP: ip, DB: db, P: path.join('.') });
    const expected = lookup(ip, ...path);
    if (typeof expected === 'number' && !Number.isInteger(expected)) assert.ok(Math.abs((rows[0]!.V as number) - expected) < 1e-5, `${ip} ${path}`);
    else assert.deepEqual(rows[0]!.V, expected, `${ip} ${path.join('.')}`);
  }
  // Outside every network: mmdblookup finds nothing, geoip gives NULL.
  const none = spawnSync('mmdblookup', ['--file', db, '--ip', '8.8.8.8'], { encoding: 'utf8' });
  assert.match(none.stdout + none.stderr, /Could not find an entry/);
});

test('geoip: a missing or damaged database and a bad address are one clear message each, and NULL', async () => {
  const bad = join(dir, 'bad.mmdb');
  writeFileSync(bad, 'not a database');
  const { rows, logs } = await query(`SELECT geoip(ip='1.2.3.4', db=Missing) AS A, geoip(ip='1.2.3.4', db=Bad) AS B, geoip(ip='1.2.3', db=DB) AS C, geoip(ip='1.2.3.4', db='') AS D FROM scope()`,
    { Missing: join(dir, 'nope.mmdb'), Bad: bad, DB: db });
  assert.deepEqual(rows, [{ A: null, B: null, C: null, D: null }]);
  const text = logs.join('\n');
  assert.match(text, /error: geoip: db=.*nope\.mmdb: cannot open: no such file/);
  assert.match(text, /error: geoip: db=.*bad\.mmdb: cannot open: not a MaxMind database \(\.mmdb\)/);
  assert.match(text, /warn: geoip: argument ip: "1\.2\.3" is not an IP address/);
  assert.match(text, /warn: geoip: argument db: no database given/);
});

test('server_set_metadata keeps keys across runs in the local folder (0600), removes a key set to NULL; server_metadata reads them', async () => {
  const local = join(dir, 'local');
  const set = await query(`SELECT server_set_metadata(metadata=dict(GeoIPDB=DB, VirustotalKey='k-1')) AS M FROM scope()`, { DB: db }, registryWithLocal(local));
  assert.deepEqual(set.logs, []);
  assert.deepEqual(set.rows[0]!.M, { GeoIPDB: db, VirustotalKey: 'k-1' });
  const file = join(local, 'server-metadata.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  await query(`SELECT server_set_metadata(metadata=dict(VirustotalKey=NULL, SlackToken='s')) FROM scope()`, {}, registryWithLocal(local));
  const got = await query(`SELECT server_metadata() AS M, server_metadata().GeoIPDB AS G FROM scope()`, {}, registryWithLocal(local));
  assert.deepEqual(got.rows[0], { M: { GeoIPDB: db, SlackToken: 's' }, G: db });
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { GeoIPDB: db, SlackToken: 's' });
  // A damaged file is said, and read as empty; nothing is lost by reading it.
  writeFileSync(file, '[1,2]');
  const damaged = await query(`SELECT server_metadata() AS M FROM scope()`, {}, registryWithLocal(local));
  assert.deepEqual(damaged.rows[0]!.M, {});
  assert.match(damaged.logs.join('\n'), /server-metadata\.json does not hold a JSON object: fix or remove it/);
});

const CORPUS = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts/', import.meta.url));

test('Velociraptor\'s Server.Enrichment.GeoIP runs unchanged, its database named in the server metadata', { skip: existsSync(CORPUS) ? false : '../shared/velociraptor-artifacts is absent' }, async () => {
  const local = join(dir, 'local-enrich');
  const registry = registryWithLocal(local);
  await query(`SELECT server_set_metadata(metadata=dict(GeoIPDB=DB)) FROM scope()`, { DB: db }, registry);
  installArtifactPlugins(registry, new Repository({ builtinDir: null, definitions: [join(CORPUS, 'Server', 'Enrichment')] }));
  const { rows, logs } = await query(`SELECT * FROM Artifact.Server.Enrichment.GeoIP(IP=['1.130.9.9', '203.0.113.5'])`, {}, registry);
  assert.deepEqual(logs.filter((l) => l.startsWith('error')), []);
  assert.deepEqual(rows.map((r) => [r.Country, r.State, r.City]), [['Australia', 'New South Wales', 'Sydney'], ['Documentation', null, null]]);
});
