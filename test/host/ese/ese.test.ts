// ESE databases (main/host/ese): parse_ese(), parse_ese_catalog() and srum_lookup_id() on
// databases written by ese-writer.ts, checked against libesedb's esedbexport (esedb-oracle.ts)
// and against the values the writer was given; damaged files; the SRUM artifact is in srum.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHostRegistry } from '../../../main/host/index.ts';
import { collect, makeFloat, normInt, toJSON, VDict, VTime, type Registry, type Value } from '../../../main/vql/index.ts';
import { registerCountingAccessor, type ReadCounter } from '../counting-accessor.ts';
import { lzxpressDecompress, decompressValue } from '../../../main/host/ese/compression.ts';
import { esedbMissing, fixChecksum, guidBytes, JET, lzxpressCompress, pack7, writeEse, type WColumn, type WTable, type WValue, type Written } from './ese-writer.ts';
import { compareTable, esedbExport, plainRows, type CatalogColumn } from './esedb-oracle.ts';
import { CONNECTIONS, EXECUTION, ID_MAP, LONG_PATH, mixedTable, NETWORK_USAGE, RESOURCE, SID_ALICE, srumTables, writeSrum } from './srum-fixture.ts';

const MISSING = esedbMissing();
if (MISSING) console.log(`# ${MISSING}: the esedbexport cross-checks are skipped (apt-get install libesedb-utils)`);

let dir = '';
let registry: Registry;
let counter: ReadCounter;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vql-ese-'));
  registry = createHostRegistry();
  // Local files through an accessor that counts reads: a query reads on demand, and LIMIT stops it.
  counter = registerCountingAccessor(registry);
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function query(text: string, vars: Record<string, unknown> = {}) {
  const logs: string[] = [];
  const rows = await collect(text, { registry, vars, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows, json: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
}

const problems = (logs: string[]) => logs.filter((l) => /^(error|warn)/.test(l));

function save(name: string, w: Written | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, Buffer.isBuffer(w) ? w : w.bytes);
  return file;
}

/** The value parse_ese() must give for what the writer stored. */
function expected(c: WColumn, v: WValue): Value {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map((x) => expected({ ...c, multi: false }, x));
  switch (c.type) {
    case JET.Bit: return Boolean(v);
    case JET.UnsignedByte: case JET.Short: case JET.Long: case JET.UnsignedLong: case JET.UnsignedShort: return Number(v);
    case JET.Currency: case JET.LongLong: return normInt(BigInt(v as number | bigint));
    case JET.IEEESingle: return makeFloat(Math.fround(Number(v)));
    case JET.IEEEDouble: return makeFloat(Number(v));
    case JET.DateTime: return VTime.fromMillis((v as Date).getTime());
    case JET.GUID: return String(v).toUpperCase();
    case JET.Text: case JET.LongText: return String(v);
    default: return Buffer.from(v as Uint8Array).toString('hex');
  }
}

/** Row by row, the JSON of what parse_ese gave and of what the table holds. */
function assertTable(rows: VDict[], t: WTable): void {
  assert.equal(rows.length, t.rows.length, `${t.name}: rows`);
  rows.forEach((row, i) => {
    const want = new VDict(t.columns.map((c) => [c.name, expected(c, t.rows[i]![c.name])] as [string, Value]));
    // Columns come in column-id order: compare as sorted key sets, values by name.
    assert.deepEqual([...row.keys()].sort(), [...want.keys()].sort(), `${t.name} row ${i}: columns`);
    for (const k of want.keys()) assert.equal(toJSON(row.get(k) as Value), toJSON(want.get(k) as Value), `${t.name} row ${i} column ${k}`);
  });
}

test('compression: 7-bit ASCII and Unicode packing and LZXPRESS round-trip through the decompressor', () => {
  const text = 'packed ascii text number 12345678';
  const chars = [...text].map((c) => c.charCodeAt(0));
  assert.equal(Buffer.from(decompressValue(pack7(chars, false))).toString('latin1'), text);
  assert.equal(Buffer.from(decompressValue(pack7(chars, true))).toString('utf16le'), text);
  for (let n = 1; n < 20; n++) assert.equal(Buffer.from(decompressValue(pack7(chars.slice(0, n), false))).toString('latin1'), text.slice(0, n), `${n} chars`);
  const inputs = [Buffer.from('abcabcabcabcabc'.repeat(100)), Buffer.alloc(70000, 0x61).subarray(0, 60000), Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251))];
  for (const input of inputs) assert.deepEqual(Buffer.from(lzxpressDecompress(lzxpressCompress(input), input.length)), input);
  assert.throws(() => decompressValue(Buffer.from([0x28, 1, 2])), /compression type 5 \(first byte 0x28\) is not supported/);
  assert.throws(() => lzxpressDecompress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x10, 0x00]), 10), /reaches 3 bytes back from output byte 0/);
});

for (const pageSize of [4096, 8192, 32768]) {
  test(`${pageSize}-byte pages: every table reads as it was written (several leaves under a branch, long values, compression)`, async () => {
    const w = writeSrum(40, { pageSize });
    const file = save(`srum-${pageSize}.dat`, w);
    // The resource table spans several leaves under a branch page; long values are in their tree.
    assert.ok(w.tables[RESOURCE]!.leaves.length > 2, 'several leaves');
    assert.ok(w.tables.SruDbIdMapTable!.lvRoot > 0 && w.tables.Mixed!.lvPages.length > 0, 'long-value trees');
    for (const t of [...srumTables(40), mixedTable()]) {
      const { rows, logs } = await query(`SELECT * FROM parse_ese(file=F, table=T)`, { F: file, T: t.name });
      assert.deepEqual(problems(logs), [], t.name);
      assertTable(rows, t);
    }
  });

  test(`${pageSize}-byte pages: every table reads as esedbexport (libesedb) exports it`, { skip: MISSING ? `${MISSING}` : false }, async () => {
    const w = writeSrum(40, { pageSize });
    const file = save(`oracle-${pageSize}.dat`, w);
    const { tables: oracle } = esedbExport(file);
    const { json: catalog } = await query(`SELECT * FROM parse_ese_catalog(file=F)`, { F: file });
    assert.deepEqual([...oracle.keys()].sort(), ['MSysObjects', ...[...srumTables(40), mixedTable()].map((t) => t.name)].sort());
    let compared = 0;
    const skipped: Record<string, number> = {};
    for (const [name, o] of oracle) {
      const { rows, logs } = await query(`SELECT * FROM parse_ese(file=F, table=T)`, { F: file, T: name });
      assert.deepEqual(problems(logs), [], name);
      const json = plainRows(toJSON(rows));
      const cols = (catalog as unknown as CatalogColumn[]).filter((c) => c.Table === name);
      const r = compareTable(o, json, cols, 1024);
      assert.deepEqual(r.mismatches, [], name);
      compared += r.compared;
      for (const [k, n] of Object.entries(r.skipped)) skipped[k] = (skipped[k] ?? 0) + n;
    }
    assert.ok(compared > 10000, `${compared} cells compared`);
    console.log(`# ${pageSize}-byte pages: ${compared} cells equal to esedbexport's; not comparable with libesedb 20181229: ${JSON.stringify(skipped)}`);
  });
}

test('parse_ese: columns in column-id order, types as go-ese gives them, NULL for absent and NULL values', async () => {
  const file = save('srum.dat', writeSrum());
  const { json, logs } = await query(`SELECT * FROM parse_ese(file=F, table=T) LIMIT 2`, { F: file, T: 'Mixed' });
  assert.deepEqual(problems(logs), []);
  // Fixed (1..), variable (128..) then tagged (256..) columns.
  assert.deepEqual(Object.keys(json[0]!), ['Id', 'Flag', 'Byte', 'Small', 'USmall', 'ULong', 'Money', 'Single', 'Double', 'When', 'Big', 'Guid',
    'Name', 'Ansi', 'Blob', 'Tags', 'Numbers', 'Memo', 'Packed', 'PackedAnsi', 'Squeezed', 'TaggedText']);
  assert.deepEqual(json[1], {
    Id: 1, Flag: false, Byte: 1, Small: -1, USmall: 65534, ULong: 4000000001, Money: -10000, Single: 1.5, Double: 0.25,
    When: '2023-12-31T23:59:01.25Z', Big: -1152921504606846975, Guid: '{3F2504E0-4F89-11D3-9A0C-0305E82C3301}',
    Name: 'Zoë 1 ☃', Ansi: 'café 1', Blob: '0001ff', Tags: null, Numbers: [1, -1, 7], Memo: `memo ${'ünïcode '.repeat(400)}end`,
    Packed: 'packed ascii text number 1', PackedAnsi: 'ansi packed 1', Squeezed: null, TaggedText: null,
  });
  assert.equal(json[0]!.Small, null, 'a NULL fixed column');
  assert.deepEqual(json[0]!.Tags, ['alpha', 'béta', 't0'], 'a multi-valued text column');
  // The SRUM timestamp compares with a time (the artifact's TimeStamp > TimeAfter).
  const { json: late } = await query(`SELECT AutoIncId FROM parse_ese(file=F, table=T) WHERE TimeStamp > timestamp(string='2024-05-02T10:30:00Z')`, { F: file, T: EXECUTION });
  assert.deepEqual(late.map((r) => r.AutoIncId), Array.from({ length: 40 - 27 }, (_, i) => i + 28));
  // Table names match whatever their case.
  const { json: ids } = await query(`SELECT IdIndex FROM parse_ese(file=F, table='srudbidmaptable')`, { F: file });
  assert.equal(ids.length, ID_MAP.length);
});

test('parse_ese_catalog: one row per column of each table, with go-ese\'s type names', async () => {
  const w = writeSrum();
  const file = save('catalog.dat', w);
  const { json, logs } = await query(`SELECT * FROM parse_ese_catalog(file=F)`, { F: file });
  assert.deepEqual(problems(logs), []);
  assert.deepEqual([...new Set(json.map((r) => r.Table))], ['MSysObjects', 'SruDbIdMapTable', EXECUTION, RESOURCE, NETWORK_USAGE, CONNECTIONS, 'Mixed']);
  assert.deepEqual(json.filter((r) => r.Table === 'SruDbIdMapTable'), [
    { Table: 'SruDbIdMapTable', Column: 'IdType', Type: 'Unsigned byte', ColumnId: 1, JetType: 'UnsignedByte', Space: 'Fixed', Size: 1, Codepage: 0, Flags: 1, TableFDP: 4, TableRootPage: w.tables.SruDbIdMapTable!.root, LongValueRootPage: w.tables.SruDbIdMapTable!.lvRoot },
    { Table: 'SruDbIdMapTable', Column: 'IdIndex', Type: 'Signed long', ColumnId: 2, JetType: 'Long', Space: 'Fixed', Size: 4, Codepage: 0, Flags: 1, TableFDP: 4, TableRootPage: w.tables.SruDbIdMapTable!.root, LongValueRootPage: w.tables.SruDbIdMapTable!.lvRoot },
    { Table: 'SruDbIdMapTable', Column: 'IdBlob', Type: 'Long Binary', ColumnId: 256, JetType: 'LongBinary', Space: 'Tagged', Size: 0, Codepage: 0, Flags: 2, TableFDP: 4, TableRootPage: w.tables.SruDbIdMapTable!.root, LongValueRootPage: w.tables.SruDbIdMapTable!.lvRoot },
  ]);
  const mixed = json.filter((r) => r.Table === 'Mixed');
  assert.deepEqual(mixed.map((r) => `${r.Column}:${r.Type}`).slice(0, 13), [
    'Id:Signed long', 'Flag:Boolean', 'Byte:Unsigned byte', 'Small:Signed short', 'USmall:Unsigned short', 'ULong:Unsigned long', 'Money:Currency',
    'Single:Single precision FP', 'Double:Double precision FP', 'When:DateTime', 'Big:Long long', 'Guid:GUID', 'Name:Text',
  ]);
  assert.equal(mixed.find((r) => r.Column === 'Ansi')!.Codepage, 1252);
});

test('srum_lookup_id: app names as UTF-16 text, users as SIDs, long values, unknown ids as themselves; the map is read once per query', async () => {
  const file = save('lookup.dat', writeSrum());
  const { json, logs } = await query(`SELECT srum_lookup_id(file=F, id=1) AS App, srum_lookup_id(file=F, id=4) AS Package,
      srum_lookup_id(file=F, id=5) AS Service, srum_lookup_id(file=F, id=7) AS Alice, srum_lookup_id(file=F, id=8) AS System,
      srum_lookup_id(file=F, id=9) AS Long, srum_lookup_id(file=F, id=999) AS Unknown FROM scope()`, { F: file });
  assert.deepEqual(problems(logs), []);
  assert.deepEqual(json, [{
    App: ID_MAP[0]!.value, Package: ID_MAP[3]!.value, Service: 'wuauserv', Alice: SID_ALICE, System: 'S-1-5-18', Long: LONG_PATH, Unknown: 999,
  }]);
  // The map is read once per file per query: 20 lookups read what one does.
  const count = async (n: number) => {
    counter.reads = 0;
    const r = await query(`SELECT srum_lookup_id(file=F, accessor='counting', id=_value) AS V FROM range(start=0, end=N)`, { F: file, N: n });
    assert.deepEqual(problems(r.logs), []);
    assert.equal(r.json.length, n);
    return counter.reads;
  };
  const one = await count(1);
  assert.ok(one > 0);
  assert.equal(await count(20), one);
});

test('a file that is not an ESE database, or an unknown table, is one error naming the function and the file; the query goes on', async () => {
  const text = save('not-ese.txt', Buffer.from('just some text, not a database\n'.repeat(200)));
  const r = await query(`SELECT * FROM chain(a={ SELECT * FROM parse_ese(file=F, table='x') }, b={ SELECT * FROM parse_ese_catalog(file=F) },
      c={ SELECT srum_lookup_id(file=F, id=3) AS Id FROM scope() }, d={ SELECT 'after' AS Next FROM scope() })`, { F: text });
  assert.deepEqual(r.json, [{ Id: 3 }, { Next: 'after' }]);
  const msg = `file=${text}: not an ESE database: no signature 0x89ABCDEF at offset 4 (found 0x6D6F7320)`;
  assert.deepEqual(problems(r.logs), [`error: parse_ese: ${msg}`, `error: parse_ese_catalog: ${msg}`, `error: srum_lookup_id: ${msg}`]);

  const file = save('tables.dat', writeEse([mixedTable(3)]));
  const u = await query(`SELECT * FROM parse_ese(file=F, table='Nope')`, { F: file });
  assert.deepEqual(u.json, []);
  assert.deepEqual(problems(u.logs), [`error: parse_ese: file=${file}: no table "Nope" in the catalog (tables: MSysObjects, Mixed)`]);
  const s = await query(`SELECT srum_lookup_id(file=F, id=7) AS Id FROM scope()`, { F: file });
  assert.deepEqual(s.json, [{ Id: 7 }]);
  assert.deepEqual(problems(s.logs), [`error: srum_lookup_id: file=${file}: no table "SruDbIdMapTable" in the catalog (tables: MSysObjects, Mixed): not a SRUM database`]);
  const missing = await query(`SELECT * FROM parse_ese(file=F, table='Mixed')`, { F: join(dir, 'absent.dat') });
  assert.deepEqual(problems(missing.logs), [`error: parse_ese: file=${join(dir, 'absent.dat')}: cannot open: no such file`]);
});

for (const pageSize of [4096, 32768]) {
  test(`${pageSize}-byte pages: a page whose checksum fails ends the table with an error naming the page and its offset; rows before it stay`, async () => {
    const w = writeSrum(80, { pageSize });
    const leaves = w.tables[RESOURCE]!.leaves;
    assert.ok(leaves.length >= 4);
    const bad = leaves[2]!;
    const bytes = Buffer.from(w.bytes);
    bytes[(bad + 1) * pageSize + pageSize / 2] ^= 0x55;
    const file = save(`bad-checksum-${pageSize}.dat`, bytes);
    const r = await query(`SELECT * FROM chain(a={ SELECT AutoIncId FROM parse_ese(file=F, table=T) }, b={ SELECT 'after' AS AutoIncId FROM scope() })`, { F: file, T: RESOURCE });
    const ids = r.json.map((x) => x.AutoIncId);
    assert.equal(ids.pop(), 'after');
    assert.ok(ids.length > 0 && ids.length < 80 * 15, `${ids.length} rows before the bad page`);
    assert.deepEqual(ids, Array.from({ length: ids.length }, (_, i) => i + 1));
    assert.equal(problems(r.logs).length, 1);
    assert.match(problems(r.logs)[0]!, new RegExp(`^error: parse_ese: file=${file.replace(/[.]/g, '\\.')}: table \\{D10CA2FE-6FCF-4F6D-848E-B2E99266FA89\\}: page ${bad} at offset ${(bad + 1) * pageSize}: checksum mismatch \\(stored 0x[0-9a-f]{8}\\)$`));
    // The same page with its checksum made right again reads whole.
    fixChecksumFor(bytes, pageSize, bad);
    const fixed = save(`fixed-${pageSize}.dat`, bytes);
    const ok = await query(`SELECT count() AS N FROM parse_ese(file=F, table=T) GROUP BY 1`, { F: fixed, T: RESOURCE });
    assert.deepEqual(problems(ok.logs), []);
    assert.deepEqual(ok.json, [{ N: 80 * 15 }]);
  });
}

/** Recomputes a page's checksum(s) as the writer makes them. */
function fixChecksumFor(bytes: Buffer, pageSize: number, n: number): void {
  if (pageSize <= 8192) return fixChecksum(bytes, pageSize, n);
  const b = bytes.subarray((n + 1) * pageSize, (n + 2) * pageSize);
  const x = (s: number, e: number) => {
    let v = n | 0;
    for (let i = s; i < e; i += 4) v ^= b.readInt32LE(i);
    return v >>> 0;
  };
  const blk = pageSize / 4;
  for (let i = 1; i < 4; i++) b.writeUInt32LE(x(i * blk, (i + 1) * blk), 40 + 8 * (i - 1));
  b.writeUInt32LE(x(8, blk), 0);
}

test('a truncated file: the table ends with an error naming the missing page and its offset; a damaged file header falls back on its shadow', async () => {
  const pageSize = 32768;
  const w = writeSrum(200, { pageSize });
  const leaves = w.tables[RESOURCE]!.leaves;
  const cut = leaves[4]!;
  const file = save('truncated.dat', w.bytes.subarray(0, (cut + 1) * pageSize + 1000));
  const r = await query(`SELECT AutoIncId FROM parse_ese(file=F, table=T)`, { F: file, T: RESOURCE });
  assert.ok(r.json.length > 0 && r.json.length < 3000);
  assert.deepEqual(problems(r.logs), [`error: parse_ese: file=${file}: table ${RESOURCE}: page ${cut} at offset ${(cut + 1) * pageSize}: truncated, 1000 of 32768 bytes`]);
  const r2 = await query(`SELECT AutoIncId FROM parse_ese(file=F, table=T)`, { F: file, T: NETWORK_USAGE });
  assert.deepEqual(r2.json, []);
  assert.match(problems(r2.logs)[0]!, new RegExp(`: table \\{973F5D5C-1D90-4944-BE8E-24B94231A174\\}: page ${w.tables[NETWORK_USAGE]!.root} \\(offset ${(w.tables[NETWORK_USAGE]!.root + 1) * pageSize}\\) is past the end of the file \\(${cut} pages, ${(cut + 1) * pageSize + 1000} bytes\\): truncated or damaged$`));
  // Too short for the catalog.
  const stub = save('stub.dat', w.bytes.subarray(0, 3 * pageSize));
  const s = await query(`SELECT * FROM parse_ese_catalog(file=F)`, { F: stub });
  assert.deepEqual(problems(s.logs), [`error: parse_ese_catalog: file=${stub}: truncated: the file is ${3 * pageSize} bytes, too short for the catalog page 4 (${6 * pageSize} bytes at least)`]);
  // The header's checksum fails: its shadow copy (the second page) is read.
  const bytes = Buffer.from(w.bytes);
  bytes[300] ^= 0xff;
  const shadowed = save('shadowed.dat', bytes);
  const h = await query(`SELECT count() AS N FROM parse_ese(file=F, table=T) GROUP BY 1`, { F: shadowed, T: EXECUTION });
  assert.deepEqual([h.json, problems(h.logs)], [[{ N: 200 }], []]);
  bytes[pageSize + 300] ^= 0xff;
  const both = save('both-headers.dat', bytes);
  const b = await query(`SELECT * FROM parse_ese(file=F, table=T)`, { F: both, T: EXECUTION });
  assert.match(problems(b.logs).join('\n'), /^error: parse_ese: file=.*: file header: checksum mismatch at offset 0 \(stored 0x[0-9a-f]+\), and the shadow header at offset 32768 does not check either$/);
});

test('pages are read on demand: LIMIT stops the reading after the first leaf pages', async () => {
  const w = writeSrum(200, { pageSize: 4096 });
  const file = save('limit.dat', w);
  counter.reads = 0;
  const all = await query(`SELECT count() AS N FROM parse_ese(file=F, accessor='counting', table=T) GROUP BY 1`, { F: file, T: RESOURCE });
  assert.deepEqual(all.json, [{ N: 3000 }]);
  const full = counter.reads;
  counter.reads = 0;
  const some = await query(`SELECT AutoIncId FROM parse_ese(file=F, accessor='counting', table=T) LIMIT 3`, { F: file, T: RESOURCE });
  assert.deepEqual(some.json.map((r) => r.AutoIncId), [1, 2, 3]);
  assert.ok(full > w.tables[RESOURCE]!.pages.length, `${full} reads for the whole table`);
  assert.ok(counter.reads < 15, `${counter.reads} reads for LIMIT 3 (the whole table took ${full})`);
});

test('a damaged record is skipped with an error naming the table and its page; the other records of the page are given', async () => {
  const pageSize = 4096;
  const w = writeSrum(40, { pageSize });
  const bytes = Buffer.from(w.bytes);
  const leaf = w.tables[EXECUTION]!.leaves[0]!;
  const page = bytes.subarray((leaf + 1) * pageSize, (leaf + 2) * pageSize);
  // Tag 2 (the second record): its value starts with the key size, the key, then the record,
  // whose bytes 2-3 are the offset of its variable data: make it point past the record.
  const tag = pageSize - 4 * 3;
  const at = 40 + (page.readUInt16LE(tag + 2) & 0x1fff);
  const common = (page.readUInt16LE(tag + 2) >> 13) & 4 ? 2 : 0;
  const keySize = page.readUInt16LE(at + common);
  page.writeUInt16LE(0x7fff, at + common + 2 + keySize + 2);
  fixChecksum(bytes, pageSize, leaf);
  const file = save('bad-record.dat', bytes);
  const r = await query(`SELECT AutoIncId FROM parse_ese(file=F, table=T)`, { F: file, T: EXECUTION });
  assert.deepEqual(r.json.map((x) => x.AutoIncId), Array.from({ length: 40 }, (_, i) => i + 1).filter((i) => i !== 2), r.logs.join("\n"));
  assert.deepEqual(problems(r.logs), [`error: parse_ese: file=${file}: table ${EXECUTION}: record skipped: page ${leaf}: a record's variable data offset 32767 is past its end (${page.readUInt16LE(tag) - common - 2 - keySize} bytes) (page offset ${(leaf + 1) * pageSize})`]);
});

test('32 KiB pages whose checksum scheme is not known here are read with one warning that checksums are not verified', async () => {
  const pageSize = 32768;
  const bytes = Buffer.from(writeSrum(10, { pageSize }).bytes);
  // Page 4 (the catalog's root) decides the scheme: a checksum no scheme gives.
  bytes.writeUInt32LE(0x12345678, 5 * pageSize);
  const file = save('unknown-scheme.dat', bytes);
  const r = await query(`SELECT count() AS N FROM parse_ese(file=F, table=T) GROUP BY 1`, { F: file, T: EXECUTION });
  assert.deepEqual(r.json, [{ N: 10 }]);
  assert.deepEqual(problems(r.logs), [`warn: parse_ese: file=${file}: page checksums are not verified: the catalog root page 4 matches no known checksum scheme of 32768-byte pages (format revision 0x14)`]);
});

test('a tree three levels deep (branch pages under the root) reads every record in key order', async () => {
  const w = writeSrum(1000, { pageSize: 4096 }, []);
  const t = w.tables[RESOURCE]!;
  assert.ok(t.pages.length - t.leaves.length > 2, `${t.pages.length - t.leaves.length} branch pages`);
  const file = save('deep.dat', w);
  const r = await query(`SELECT AutoIncId FROM parse_ese(file=F, table=T)`, { F: file, T: RESOURCE });
  assert.deepEqual(problems(r.logs), []);
  assert.equal(r.json.length, 15000);
  assert.ok(r.json.every((x, i) => x.AutoIncId === i + 1));
});
