// Listing collection zips from their central directory (main/collections/listing.ts) and
// streaming one member out (member.ts): Velociraptor's offline collection, flow and hunt
// exports, a password-protected one, and damaged zips (truncated, a bad entry, an unsafe name,
// a zip bomb), each built in Velociraptor's layout (fixtures.ts). Nothing is written into a zip.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { listCollection, uploadPath } from '../../main/collections/listing.ts';
import { copyMember, findMember } from '../../main/collections/member.ts';
import { CollectionError } from '../../main/collections/zip-file.ts';
import { damagedCollection, encryptedCollection, flowExport, HOSTS, huntExport, offlineCollection, PSLIST, SYSLOG_CSV } from './fixtures.ts';

let DIR = '';
const file = (name: string, bytes: Uint8Array) => {
  const p = join(DIR, name);
  writeFileSync(p, bytes);
  return p;
};
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

before(() => {
  DIR = mkdtempSync(join(tmpdir(), 'vql-collections-'));
});
after(() => rmSync(DIR, { recursive: true, force: true }));

describe('listCollection', () => {
  test("Velociraptor's offline collection: sources unescaped with rows from the index, the log, uploads decoded, client and context", async () => {
    const p = file('Collection-WIN-DC01.zip', offlineCollection());
    const known = new Set(['Windows.System.Pslist', 'Generic.Client.Info']);
    const l = await listCollection(p, { known: (n) => known.has(n) });
    assert.equal(l.kind, 'velociraptor collection');
    assert.deepEqual(l.sources.map((s) => [s.name, s.artifact, s.source ?? null, s.rows, s.format, s.known]), [
      ['Custom.Unknown.Thing', 'Custom.Unknown.Thing', null, 1, 'jsonl', false],
      ['Generic.Client.Info/BasicInformation', 'Generic.Client.Info', 'BasicInformation', 1, 'jsonl', true],
      ['Windows.System.Pslist', 'Windows.System.Pslist', null, 3, 'jsonl', true],
    ]);
    assert.deepEqual(l.logs.map((x) => [x.entry, x.rows]), [['log.json', 3]]);
    assert.deepEqual(l.uploads.map((u) => [u.accessor, u.path, u.size, u.sparse ?? false]), [
      ['auto', 'C:\\Windows\\System32\\drivers\\etc\\hosts', HOSTS.length, false],
      ['file', '/var/log/syslog.csv', SYSLOG_CSV.length, false],
      ['ntfs', '\\\\.\\C:\\$MFT', 11, false],
      ['sparse', 'C:\\file.sparse.txt', 8, true],
    ]);
    assert.equal(l.uploads[0]!.mtime, Date.parse('2022-10-16T16:20:30Z'));
    assert.equal(l.client?.Hostname, 'WIN-DC01');
    assert.equal(l.context?.sessionId, 'F.CD3B5RM4QK2S0');
    assert.equal(l.context?.created, 1665937230200, 'nanoseconds read as epoch ms');
    assert.equal(l.context?.state, 'finished');
    assert.deepEqual(l.problems.map((x) => x.entry), ['results/Custom.Unknown.Thing.json']);
    assert.match(l.problems[0]!.message, /no artifact Custom\.Unknown\.Thing is known here.*open all the same/);
  });

  test('a flow export: rows unknown without an index; a hunt export: combined results and one folder per client', async () => {
    const f = await listCollection(file('flow.zip', flowExport()));
    assert.equal(f.kind, 'flow export');
    assert.deepEqual(f.sources.map((s) => [s.name, s.rows]), [['Linux.Sys.Users', null]]);
    assert.deepEqual(f.uploads.map((u) => u.path), ['/etc/passwd']);
    assert.equal(f.context?.clientId, 'C.4f5e6d7c8b9a0123');
    assert.equal(f.context?.created, 1700000000000, 'microseconds read as epoch ms');

    const h = await listCollection(file('hunt.zip', huntExport()));
    assert.equal(h.kind, 'hunt export');
    assert.deepEqual(h.sources.map((s) => [s.client ?? '', s.name, s.artifact]), [
      ['', 'All Linux.Sys.Users', 'Linux.Sys.Users'],
      ['web1-C.11', 'Linux.Sys.Users', 'Linux.Sys.Users'],
      ['web2-C.22', 'Linux.Sys.Users', 'Linux.Sys.Users'],
    ]);
    assert.deepEqual(h.logs.map((x) => [x.client, x.entry]), [['web1-C.11', 'web1-C.11/log.json']]);
    assert.deepEqual(h.uploads.map((u) => [u.client, u.path]), [['web2-C.22', '/etc/hostname']]);
  });

  test('a password-protected collection says so and what to do', async () => {
    const l = await listCollection(file('locked.zip', encryptedCollection()));
    assert.equal(l.kind, 'encrypted collection');
    assert.match(l.encrypted ?? '', /password-protected.*data\.zip.*Extract data\.zip with the collection's password/);
    assert.deepEqual(l.sources, []);
  });

  test('a truncated zip is refused with what to do; not a zip neither', async () => {
    const whole = offlineCollection();
    const p = file('cut.zip', whole.subarray(0, Math.floor(whole.length * 0.6)));
    await assert.rejects(listCollection(p), (e: Error) => e instanceof CollectionError && /cut\.zip: .*truncated or damaged.*copy it again/.test(e.message));
    await assert.rejects(listCollection(file('text.zip', new TextEncoder().encode('hello'))), /not a zip file/);
    await assert.rejects(listCollection(join(DIR, 'missing.zip')), /does not exist/);
  });

  test('bad entries are named and the rest is listed: an unsafe name, metadata that does not parse', async () => {
    const p = file('damaged.zip', damagedCollection());
    const l = await listCollection(p);
    assert.deepEqual(l.sources.map((s) => s.name), ['Windows.Bad.Crc', 'Windows.Bad.Line', 'Windows.System.Pslist']);
    const by = new Map(l.problems.map((x) => [x.entry, x.message]));
    assert.match(by.get('../evil.json') ?? '', /contains '\.\.'.*not listed/);
    assert.match(by.get('collection_context.json') ?? '', /cannot be read/);
  });

  test('a member that inflates more than 200 times is a named problem and is not read', async () => {
    const p = file('bomb.zip', zipSync({ 'results/Zeros.json': new Uint8Array(20 * 2 ** 20), 'results/Ok.json': new TextEncoder().encode('{"a":1}\n') }, { level: 9 }));
    const l = await listCollection(p);
    const bomb = l.sources.find((s) => s.name === 'Zeros')!;
    assert.match(bomb.problem ?? '', /inflates more than 200 times.*zip bomb/);
    assert.equal(l.sources.find((s) => s.name === 'Ok')!.problem, undefined);
    await assert.rejects(findMember(p, 'results/Zeros.json'), /bomb\.zip: results\/Zeros\.json inflates more than 200 times/);
  });

  test('upload paths: drives and devices as Windows paths, others as POSIX', () => {
    assert.equal(uploadPath(['C:', 'Users', 'x:y.txt']), 'C:\\Users\\x:y.txt');
    assert.equal(uploadPath(['\\\\.\\C:', '$Extend', '$UsnJrnl:$J']), '\\\\.\\C:\\$Extend\\$UsnJrnl:$J');
    assert.equal(uploadPath(['var', 'log', 'x']), '/var/log/x');
  });
});

describe('copyMember', () => {
  test('streams a member out, checked; a damaged one fails with the zip and member names and leaves no copy; the zip is not written', async () => {
    const p = file('damaged2.zip', damagedCollection());
    const before = { sha: sha(p), mtime: statSync(p).mtimeMs };
    const ok = join(DIR, 'pslist.out');
    const n = await copyMember(p, await findMember(p, 'results/Windows.System.Pslist.json'), ok);
    assert.equal(n, readFileSync(ok).length);
    assert.deepEqual(readFileSync(ok, 'utf8').trim().split('\n').map((l) => JSON.parse(l)), PSLIST);
    const bad = join(DIR, 'crc.out');
    await assert.rejects(copyMember(p, await findMember(p, 'results/Windows.Bad.Crc.json'), bad), /damaged2\.zip: member results\/Windows\.Bad\.Crc\.json is damaged \(its checksum does not match\)/);
    assert.equal(existsSync(bad), false, 'the partial copy is removed');
    await assert.rejects(findMember(p, '../evil.json'), /member \.\.\/evil\.json contains '\.\.'/);
    await assert.rejects(findMember(p, 'results/Nope.json'), /has no member results\/Nope\.json/);
    assert.deepEqual({ sha: sha(p), mtime: statSync(p).mtimeMs }, before, 'the zip is unchanged');
  });

  test('an encrypted member is refused with what to do', async () => {
    const p = file('locked2.zip', encryptedCollection());
    await assert.rejects(findMember(p, 'data.zip'), /data\.zip is encrypted: extract the collection with its password first/);
  });
});
