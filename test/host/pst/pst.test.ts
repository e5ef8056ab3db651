// Outlook PST files (main/host/pst): parse_pst() and the pst accessor on files written by
// pst-writer.ts (Unicode and ANSI, without and with compressible encryption), checked against
// what the writer was given and against libpst's readpst (readpst-oracle.ts); damaged and
// truncated files; LIMIT stopping the walk; XXBLOCK data; throughput on a large file.
// Windows.Forensics.Pst is in pst-artifact.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHostRegistry } from '../../../main/host/index.ts';
import { collect, toJSON, type Registry } from '../../../main/vql/index.ts';
import { registerCountingAccessor, type ReadCounter } from '../counting-accessor.ts';
import { crc32, crc32js, DECODE, ENCODE } from '../../../main/host/pst/ndb.ts';
import { writePst, type WFolder, type WMessage, type WrittenPst } from './pst-writer.ts';
import { flatten, IMAGE, LONG_BODY, mailbox, NOTES, unicodeSubject } from './pst-fixture.ts';
import { readpstMessages, readpstMissing, lspst } from './readpst-oracle.ts';

const MISSING = readpstMissing();
if (MISSING) console.log(`# ${MISSING}`);

type Row = Record<string, unknown>;
let dir = '';
let registry: Registry;
let counter: ReadCounter;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vql-pst-'));
  registry = createHostRegistry();
  // Local files through an accessor that counts reads: a query reads on demand, and LIMIT stops it.
  counter = registerCountingAccessor(registry);
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function query(text: string, vars: Record<string, unknown> = {}) {
  const logs: string[] = [];
  const rows = await collect(text, { registry, vars, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)) as Row[], logs };
}

const problems = (logs: string[]) => logs.filter((l) => /^(error|warn)/.test(l));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function save(name: string, w: WrittenPst | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, Buffer.isBuffer(w) ? w : w.bytes);
  return file;
}

const person = (name: string, email: string) => `${name} <${email}>`;
const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');

/** The row parse_pst must give for a message the writer was given (Attachments' Path aside). */
function expectedRow(path: string, m: WMessage): Row {
  return {
    Path: path,
    Sender: person(m.senderName, m.senderEmail),
    Receiver: m.recipients.map((r) => person(r.name, r.email)).join(', '),
    Subject: m.subject,
    Message: m.body,
    Delivered: iso(m.delivered),
    Attachments: (m.attachments ?? []).map((a) => ({ Name: a.name, Size: a.data.length })),
  };
}

function withoutAttachmentPaths(r: Row): Row {
  return { ...r, Attachments: (r.Attachments as Row[]).map(({ Name, Size }) => ({ Name, Size })) };
}

test('the permutation table is a permutation, and ENCODE is its inverse; the CRC is MS-PST\'s (IEEE table, no inversion)', () => {
  assert.equal(new Set(DECODE).size, 256);
  for (let i = 0; i < 256; i++) assert.equal(DECODE[ENCODE[i]!], i);
  // [MS-PST] 5.1 mpbbR starts 65, 54, 19, 98 (what ENCODE is).
  assert.deepEqual([...ENCODE.subarray(0, 4)], [65, 54, 19, 98]);
  assert.equal(crc32(Buffer.from('123456789')), 0x2dfd2d88);
  // zlib's CRC (used for blocks of 64 bytes or more where Node has it) gives the same.
  const random = Buffer.from(Array.from({ length: 9000 }, (_, i) => (i * 131 + (i >> 3)) & 0xff));
  for (const n of [0, 1, 63, 64, 496, 8176, 9000]) assert.equal(crc32(random, 0, n), crc32js(random, 0, n), `${n} bytes`);
});

const VARIANTS = [
  { name: 'Unicode, no encryption', ansi: false, crypt: 0 as const },
  { name: 'Unicode, compressible encryption', ansi: false, crypt: 1 as const },
  { name: 'ANSI, no encryption', ansi: true, crypt: 0 as const },
  { name: 'ANSI, compressible encryption', ansi: true, crypt: 1 as const },
];

for (const v of VARIANTS) {
  const folders = mailbox({ ansi: v.ansi });
  const want = flatten(folders);
  let file = '';
  let written: WrittenPst;
  const setup = () => {
    if (file) return;
    written = writePst(folders, { ansi: v.ansi, crypt: v.crypt });
    file = save(`${v.ansi ? 'ansi' : 'unicode'}-${v.crypt}.pst`, written);
  };

  test(`${v.name}: one row per message of every folder, as written (B-trees of several levels)`, async () => {
    setup();
    const levels = (t: string) => Math.max(...written.pages.filter((p) => p.tree === t).map((p) => p.level));
    assert.ok(levels('NBT') >= (v.ansi ? 1 : 2) && levels('BBT') >= (v.ansi ? 1 : 2), `B-tree levels NBT ${levels('NBT')} BBT ${levels('BBT')}`);
    const { rows, logs } = await query('SELECT * FROM parse_pst(filename=F)', { F: file });
    assert.deepEqual(problems(logs), []);
    assert.equal(rows.length, want.length);
    assert.deepEqual(Object.keys(rows[0]!), ['Path', 'Sender', 'Receiver', 'Subject', 'Message', 'Delivered', 'Attachments']);
    rows.forEach((r, i) => assert.deepEqual(withoutAttachmentPaths(r), expectedRow(want[i]!.path, want[i]!.m), `row ${i}`));
    assert.equal(rows[1]!.Subject, unicodeSubject(v.ansi));
    assert.equal(rows[5]!.Message, LONG_BODY);
    const paths = [...new Set(rows.map((r) => r.Path))];
    assert.deepEqual(paths.slice(0, 4), ['/Top of Outlook data file/Inbox', '/Top of Outlook data file/Inbox/Projects', '/Top of Outlook data file/Inbox/Projects/2024', '/Top of Outlook data file/Sent Items']);
    assert.equal(paths.length, 14);
  });

  test(`${v.name}: the pst accessor reads each attachment given by parse_pst (whole, in ranges, through upload-like hashing)`, async () => {
    setup();
    const { rows, logs } = await query(`
      SELECT Name, Size, Path,
             read_file(accessor='pst', filename=pathspec(DelegatePath=F, Path=Path), length=100000) AS Text,
             hash(accessor='pst', path=pathspec(DelegatePath=F, Path=Path)).SHA256 AS SHA256,
             read_file(accessor='pst', filename=pathspec(DelegatePath=F, Path=Path), offset=8170, length=20) AS Across
      FROM foreach(row={ SELECT * FROM parse_pst(filename=F) WHERE Attachments }, query={ SELECT * FROM foreach(row=Attachments) })`, { F: file });
    assert.deepEqual(problems(logs), []);
    // Message 3 of each folder that has one.
    const withAtt = want.filter((w) => w.m.attachments);
    assert.equal(rows.length, withAtt.length * 2);
    for (let i = 0; i < rows.length; i += 2) {
      assert.equal(rows[i]!.Name, 'notes.txt');
      assert.equal(rows[i]!.Text, NOTES.toString());
      assert.equal(rows[i + 1]!.Name, 'image.bin');
      assert.equal(rows[i + 1]!.Size, IMAGE.length);
      assert.equal(rows[i + 1]!.SHA256, sha256(IMAGE));
      assert.match(String(rows[i]!.Path), /^\/\d+\/\d+\/notes\.txt$/);
    }
  });

  test(`${v.name}: readpst (libpst) extracts the same subjects, senders, bodies and attachment bytes`, { skip: MISSING ?? false }, async () => {
    setup();
    const oracle = readpstMessages(file);
    assert.equal(oracle.length, want.length, 'readpst found every message');
    const { rows, logs } = await query(`
      SELECT *, { SELECT Name, hash(accessor='pst', path=pathspec(DelegatePath=F, Path=Path)).SHA256 AS SHA256 FROM foreach(row=Attachments) } AS Hashes
      FROM parse_pst(filename=F)`, { F: file });
    assert.deepEqual(problems(logs), []);
    const key = (folder: string, subject: string) => `${folder}\n${subject}`;
    const ours = new Map(rows.map((r) => [key(String(r.Path).split('/').slice(2).join('/'), String(r.Subject)), r]));
    assert.equal(ours.size, rows.length, 'subjects are unique per folder');
    for (const o of oracle) {
      const r = ours.get(key(o.folder, o.subject));
      assert.ok(r, `readpst's "${o.subject}" in ${o.folder} is a row of parse_pst`);
      assert.equal(r.Sender, person(o.fromName, o.fromEmail), o.subject);
      assert.equal(String(r.Message).replace(/\r\n/g, '\n'), o.body, o.subject);
      for (const name of o.to.split(/;\s*/).filter(Boolean)) assert.match(String(r.Receiver), new RegExp(`(^|, )${name} <`), `${o.subject}: To ${name}`);
      const hashes = new Map(((r.Hashes as Row[] | null) ?? []).map((h) => [h.Name, h.SHA256]));
      assert.deepEqual([...o.attachments.keys()].sort(), [...hashes.keys()].sort(), `${o.subject}: attachments`);
      for (const [name, bytes] of o.attachments) assert.equal(hashes.get(name), sha256(bytes), `${o.subject}: ${name}`);
    }
    assert.ok(oracle.some((o) => o.attachments.get('image.bin')?.equals(IMAGE)), 'readpst decodes every byte value of the binary attachment the same');
    assert.ok(oracle.some((o) => o.subject === unicodeSubject(v.ansi)));
    const listing = lspst(file);
    assert.equal(listing.filter((l) => l.startsWith('Email')).length, want.length);
  });
}

test('XXBLOCK data: an attachment of more than 1021 blocks reads whole and in ranges; readpst agrees', async () => {
  const big = Buffer.alloc(9 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
  const m: WMessage = { ...flatten(mailbox({ inbox: 1 }))[0]!.m, subject: 'big one', attachments: [{ name: 'disk.img', data: big }] };
  const file = save('xx.pst', writePst([{ name: 'Inbox', messages: [m], folders: [] }], { crypt: 1 }));
  const { rows, logs } = await query(`
    SELECT Name, Size, hash(accessor='pst', path=pathspec(DelegatePath=F, Path=Path)).SHA256 AS SHA256,
           encode(string=read_file(accessor='pst', filename=pathspec(DelegatePath=F, Path=Path), offset=8388600, length=16), type='hex') AS Mid
    FROM foreach(row={ SELECT * FROM parse_pst(filename=F) }, query={ SELECT * FROM foreach(row=Attachments) })`, { F: file });
  assert.deepEqual(problems(logs), []);
  assert.deepEqual(rows, [{ Name: 'disk.img', Size: big.length, SHA256: sha256(big), Mid: big.subarray(8388600, 8388616).toString('hex') }]);
  if (!MISSING) {
    const [o] = readpstMessages(file);
    assert.equal(sha256(o!.attachments.get('disk.img')!), sha256(big));
  }
});

test('LIMIT stops the walk: the file is read on demand', async () => {
  const folders = mailbox({ inbox: 3000 });
  const file = save('limit.pst', writePst(folders, {}));
  counter.reads = 0;
  const all = await query(`SELECT Subject FROM parse_pst(filename=F, accessor='counting')`, { F: file });
  const full = counter.reads;
  counter.reads = 0;
  const few = await query(`SELECT Subject FROM parse_pst(filename=F, accessor='counting') LIMIT 3`, { F: file });
  assert.equal(all.rows.length, flatten(folders).length);
  assert.deepEqual(few.rows.map((r) => r.Subject), all.rows.slice(0, 3).map((r) => r.Subject));
  assert.ok(full * 64 * 1024 >= statSync(file).size, `the whole walk read ${full} times`);
  assert.ok(counter.reads * 4 < full, `LIMIT 3 read ${counter.reads} times, the whole walk ${full}`);
});

// Damage: one error naming parse_pst, the file and the page or block (with its offset); the
// query goes on and the rows already given stay.
const small: WFolder[] = [
  { name: 'Inbox', messages: flatten(mailbox({ inbox: 40 })).filter((x) => x.path.endsWith('/Inbox')).map((x) => x.m), folders: [] },
  { name: 'Sent Items', messages: [flatten(mailbox())[0]!.m], folders: [] },
];

async function errorsOf(bytes: Buffer, name: string) {
  const file = save(name, bytes);
  const r = await query(`SELECT Subject FROM parse_pst(filename=F)`, { F: file });
  return { ...r, file, errors: problems(r.logs) };
}

test('not a PST, an empty file, a damaged header: one error naming parse_pst and the file', async () => {
  for (const [name, bytes, why] of [
    ['text.pst', Buffer.from('hello, this is not a PST file\n'.repeat(40)), /not a PST file: the header starts 68656c6c/],
    ['empty.pst', Buffer.alloc(0), /the file has 0 bytes: too short for a PST header/],
    ['cyclic.pst', (() => {
      const b = writePst(small).bytes;
      b[513] = 2;
      b.writeUInt32LE(crc32(b, 8, 8 + 471), 4);
      b.writeUInt32LE(crc32(b, 8, 8 + 516), 524);
      return b;
    })(), /cyclic encryption \(bCryptMethod 2, NDB_CRYPT_CYCLIC\), which is not supported/],
    ['ost.pst', (() => {
      const b = writePst(small).bytes;
      b.writeUInt16LE(36, 10);
      b.writeUInt32LE(crc32(b, 8, 8 + 471), 4);
      b.writeUInt32LE(crc32(b, 8, 8 + 516), 524);
      return b;
    })(), /wVer=36: an OST file with 4 KiB pages, which is not supported/],
    ['header.pst', (() => {
      const b = writePst(small).bytes;
      b[300] ^= 0x55;
      return b;
    })(), /damaged header: dwCRCPartial is 0x[0-9a-f]+, the header's CRC is 0x[0-9a-f]+ \(offset 4\)/],
  ] as const) {
    const { rows, errors, file } = await errorsOf(bytes, name);
    assert.deepEqual(rows, [], name);
    assert.equal(errors.length, 1, `${name}: ${errors.join('\n')}`);
    assert.match(errors[0]!, /^error: parse_pst: filename=/);
    assert.ok(errors[0]!.includes(file), errors[0]);
    assert.match(errors[0]!, why);
  }
});

test('a file that is not there: one error, cannot open', async () => {
  const missing = join(dir, 'nowhere.pst');
  const { rows, logs } = await query(`SELECT * FROM parse_pst(filename=F)`, { F: missing });
  assert.deepEqual(rows, []);
  assert.deepEqual(problems(logs), [`error: parse_pst: filename=${missing}: cannot open: no such file`]);
});

test('a truncated file: the error names the B-tree page past the end', async () => {
  const full = writePst(small);
  const { rows, errors } = await errorsOf(full.bytes.subarray(0, full.pages[0]!.ib + 100), 'truncated.pst');
  assert.deepEqual(rows, []);
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0]!, /node B-tree \(NBT\) page at offset \d+: the file ends after \d+ bytes of it \(truncated file\)/);
  // Cut inside the data blocks (the B-trees kept): the messages whose blocks are gone are
  // skipped with the block's offset named, those before stay.
  const w = writePst(small);
  const cut = Buffer.from(w.bytes);
  const msgBlock = w.blocks.find((b) => b.ib > cut.length / 2 && b.ib < w.pages[0]!.ib)!;
  cut.fill(0, msgBlock.ib, w.pages[0]!.ib);
  const r = await errorsOf(cut, 'holed.pst');
  assert.ok(r.rows.length > 0 && r.rows.length < 41, `${r.rows.length} rows`);
  assert.ok(r.errors.length >= 1);
  assert.match(r.errors[0]!, /block 0x[0-9a-f]+ at offset \d+: (its trailer|the block's CRC)/);
});

test('a damaged data block: that message is skipped with the block and offset named, the others stay', async () => {
  const w = writePst(small);
  const b = Buffer.from(w.bytes);
  // The block of the eleventh message's property context.
  const { rows: before } = await errorsOf(w.bytes, 'intact.pst');
  const node = w.nodes.find((n) => n.nid === w.messageNids[10])!;
  const target = w.blocks.find((x) => x.bid === node.bidData)!;
  b[target.ib + 20] ^= 0xff;
  const { rows, errors } = await errorsOf(b, 'damaged-block.pst');
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0]!, new RegExp(`^error: parse_pst: filename=.*damaged-block\\.pst: .*block 0x${target.bid.toString(16)} at offset ${target.ib}: the block's CRC is 0x[0-9a-f]+, its trailer says 0x[0-9a-f]+ \\(damaged block\\)`));
  assert.equal(rows.length, before.length - 1);
  assert.deepEqual(rows, before.filter((_, i) => i !== 10), 'the other messages, in order');
});

test('a damaged B-tree page: the CRC error names the page and its offset; messages under other pages stay', async () => {
  for (const tree of ['NBT', 'BBT'] as const) {
    const w = writePst(small);
    const b = Buffer.from(w.bytes);
    const leaves = w.pages.filter((p) => p.tree === tree && p.level === 0);
    assert.ok(leaves.length > 2, `${tree}: ${leaves.length} leaves`);
    const page = leaves[Math.floor(leaves.length / 2)]!;
    b[page.ib + 10] ^= 0x01;
    const { rows, errors } = await errorsOf(b, `damaged-${tree}.pst`);
    assert.ok(errors.length >= 1, tree);
    const name = tree === 'NBT' ? 'node B-tree \\(NBT\\)' : 'block B-tree \\(BBT\\)';
    assert.match(errors[0]!, new RegExp(`^error: parse_pst: filename=.*: .*${name} page at offset ${page.ib}: the page's CRC is 0x[0-9a-f]+, its trailer says 0x[0-9a-f]+ \\(damaged page\\)`));
    assert.ok(rows.length > 0 && rows.length < 41, `${tree}: ${rows.length} rows`);
    // The cause is told once; the other messages it made fail are counted in one more line.
    assert.ok(errors.length <= 2, `${tree}: ${errors.join('\n')}`);
    if (errors.length === 2) assert.match(errors[1]!, new RegExp(`^error: parse_pst: filename=.*: \\d+ more messages skipped for the same reason: ${name} page at offset ${page.ib}: `));
  }
});

test('the pst accessor: a path that is not an attachment, a PST that is not one', async () => {
  const file = save('acc.pst', writePst(small));
  const { rows, logs } = await query(`
    SELECT read_file(accessor='pst', filename=pathspec(DelegatePath=F, Path='/inbox/x')) AS A,
           read_file(accessor='pst', filename=pathspec(DelegatePath=F, Path='/2097188/99999/x')) AS B,
           read_file(accessor='pst', filename=pathspec(DelegatePath=G, Path='/1/2/x')) AS C
    FROM scope()`, { F: file, G: save('not.pst', Buffer.from('nope'.repeat(200))) });
  assert.deepEqual(rows, [{ A: '', B: '', C: '' }]);
  const p = problems(logs);
  assert.equal(p.length, 3, p.join('\n'));
  assert.match(p[0]!, /pst accessor: "\/inbox\/x" is not an attachment path/);
  assert.match(p[1]!, /pst accessor: .*acc\.pst: message node 0x200024: no attachment subnode 0x1869f/);
  assert.match(p[2]!, /pst accessor: .*not\.pst: not a PST file/);
});

test('throughput: a large PST is parsed message by message', async () => {
  const body = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(30);
  const count = 20000;
  const msgs = Array.from({ length: count }, (_, i) => ({ ...flatten(mailbox({ inbox: 1 }))[0]!.m, subject: `bulk ${i}`, body: `${i}: ${body}` }));
  const folders: WFolder[] = Array.from({ length: 10 }, (_, k) => ({ name: `Bulk ${k}`, messages: msgs.slice(k * 2000, (k + 1) * 2000), folders: [] }));
  const file = save('large.pst', writePst(folders, { crypt: 1 }));
  const size = statSync(file).size;
  const start = performance.now();
  const { rows, logs } = await query(`SELECT Subject, len(list=Message) AS L FROM parse_pst(filename=F)`, { F: file });
  const secs = (performance.now() - start) / 1000;
  assert.deepEqual(problems(logs), []);
  assert.equal(rows.length, count);
  assert.equal(rows[count - 1]!.Subject, `bulk ${count - 1}`);
  console.log(`# throughput: ${count} messages, ${(size / 1e6).toFixed(1)} MB in ${secs.toFixed(2)} s: ${Math.round(count / secs)} messages/s, ${(size / 1e6 / secs).toFixed(1)} MB/s`);
  assert.ok(readFileSync(file).length === size);
});
