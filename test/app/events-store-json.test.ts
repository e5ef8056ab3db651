// The log browser's fast reader against the old path: day files written by the real
// MonitoringStore (every value kind the writer encodes, plus hand-made cells) must give exactly
// the JSON text that `toJSON` of the rows `readDayFile` reads gives, with records cut at every
// byte of small buffers, and the problems of malformed records reported as before.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeParts, readDayRows } from '../../main/logs/csv-read.ts';
import { dayParts } from '../../main/logs/store.ts';
import { JsonOut, writeCell } from '../../main/logs/json-out.ts';
import { printsAsItself } from '../../main/logs/json-float.ts';
import { readDayFile } from '../../main/collector/csv-file.ts';
import { MonitoringStore } from '../../main/collector/store.ts';
import { toJSON } from '../../main/vql/values/json.ts';
import { parseCsvCell } from '../../main/vql/values/csv-cell.ts';
import { VBytes, VDict, VFloat, VTime, type Value } from '../../main/vql/values/types.ts';

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'vql-store-json-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Values of every kind the store writes (and strings that look like other kinds). */
const KINDS: Value[] = [
  'plain', '', ' leading space', '  two spaces', 'say "hi"', '""', '"', 'a,b', 'line\nbreak', 'crlf\r\nend', 'cr\ronly', 'tab\there',
  'ctl \u0001\u0008\u000c\u001f\u007f', 'back\\slash', 'é ü ß', '日本語', 'emoji 🦖 pair', '\u2028\u2029', 'U+FEFF \ufeff',
  '123', '-0', '1.5', '1e5', '007', '+5', '0x1F', 'true', 'false', 'null', 'NaN', '+Inf', '-Inf', 'inf', 'base64:AAAA', 'base64:nope',
  '{not json', '[1,2', '{"looks":"like json"}', '\\.', '-', '.5', '5.', 'x"y', ',', '\n',
  0, 1, -1, 42, -17, 2 ** 53 - 1, 2 ** 53 + 2, -(2 ** 53) - 2, 123456789012345, 1234567890123456, 9223372036854775807n, -9223372036854775808n,
  0.1, -0.5, 1.5, 3.14159, 1e-7, 1e-6, 0.000001234, 1e20, 1e21, 1.7976931348623157e308, 5e-324, 1709287200.1234567, 0.0010030090270812437,
  12.490000000000002, 100.25, new VFloat(2), new VFloat(-0), new VFloat(1e21), NaN, Infinity, -Infinity,
  true, false, null,
  VDict.fromObject({ a: 1, b: 'two "quoted" é', c: [1, 2.5, null, true, { d: [] }], e: {}, f: -0.5, g: '🦖\n' }),
  [1, 'x', [new VFloat(3), 1e21], VDict.fromObject({ k: 'v' })], [], new VDict(),
  new VBytes(new Uint8Array([0xff, 0x00, 0x41])), new Uint8Array([104, 105]), VTime.fromSeconds(1709287200.5),
];

function row(values: Value[], ts: number): VDict {
  const d = new VDict();
  values.forEach((v, i) => d.set(`c${i}`, v));
  d.set('_ts', ts);
  return d;
}

/** The old path's text of every row of a file: readDayFile (strict CSV, parseCsvCell) then toJSON. */
async function oldRows(path: string): Promise<string[]> {
  return (await readDayFile(path)).map((r) => toJSON(r));
}

async function newRows(path: string, chunkBytes?: number, warnings: string[] = []): Promise<string[]> {
  const out: string[] = [];
  for await (const b of readDayRows(path, (m) => warnings.push(m), undefined, chunkBytes)) out.push(...b.rows);
  return out;
}

/** Writes rows with a store and returns the day file. */
async function writeDay(name: string, rows: VDict[]): Promise<string> {
  const store = new MonitoringStore({ datastore: join(root, name), now: () => new Date('2024-03-01T12:00:00Z') });
  await store.append('Test.Kinds', rows);
  await store.close();
  return join(store.dir('Test.Kinds'), '2024-03-01.csv');
}

test('every value kind the store writes reads back as the old path\'s JSON text, whatever the buffer size', async () => {
  // One kind per row (so each cell is the first, a middle and the last field), then all in one
  // row (other columns: the store puts it in part 1 of the day).
  const rows = KINDS.map((v, i) => row([v, i, v], 1000 + i));
  rows.push(row(KINDS, 2000));
  const file = await writeDay('kinds', rows);
  const files = [file, file.replace(/\.csv$/, '.1.csv')];
  const want = await Promise.all(files.map(oldRows));
  assert.deepEqual(want.map((w) => w.length), [KINDS.length, 1]);
  for (const chunk of [undefined, 1, 7, 64, 1000]) {
    const warnings: string[] = [];
    for (let i = 0; i < files.length; i++) assert.deepEqual(await newRows(files[i]!, chunk, warnings), want[i], `chunk ${chunk}`);
    assert.deepEqual(warnings, []);
  }
});

test('random rows of mixed kinds match the old path, and long records grow the buffer', async () => {
  let seed = 7;
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  const rows: VDict[] = [];
  for (let i = 0; i < 3000; i++) {
    const values = [0, 1, 2, 3].map(() => KINDS[rnd(KINDS.length)]);
    values.push(rnd(3) === 0 ? rnd(1e6) / 7 : rnd(1e9));
    rows.push(row(values, 5000 + i));
  }
  rows.push(row(['x'.repeat(300_000) + '"', 'é'.repeat(100_000), VDict.fromObject({ big: 'y'.repeat(200_000) }), 1, 2], 9000));
  rows.push(row(['after', 'the', 'long', 'one', 3], 9001));
  const file = await writeDay('random', rows);
  const want = await oldRows(file);
  assert.deepEqual(await newRows(file), want);
  assert.deepEqual(await newRows(file, 4096), want);
});

test('hand-made cells (quoted numbers, exponents, CRLF, duplicate JSON keys) match the old path', async () => {
  const file = join(root, 'hand.csv');
  writeFileSync(file, [
    'A,B,_ts',
    '"12","-0",1',
    '1E5,1e400,2',
    '-1e400,0.10000000000000001,3',
    '"{""a"":1,""a"":2}","[1.0, 2e0, -0.0]",4',
    '"{""deep"":' + '['.repeat(70) + ']'.repeat(70) + '}",x,5',
    '12345678901234567890,-00,6',
    '" padded ",+Inf,7\r',
    '"crlf quoted","x",9\r',
    '000,1.50,8',
    // 16 significant digits that are not the shortest form; a decimal JS prints with an exponent.
    '760450.8098340673,0.0000001234,10',
    '-0.000001,123456789012345.6,11',
    '',
  ].join('\n'));
  const want = await oldRows(file);
  assert.deepEqual(await newRows(file), want);
  assert.deepEqual(await newRows(file, 3), want);
});

test('a repeated header name, and bytes that are not UTF-8, take the old path with the same text', async () => {
  const dup = join(root, 'dup.csv');
  writeFileSync(dup, 'A,A,_ts\n1,2,3\nx,y,4\n');
  assert.deepEqual(await newRows(dup), await oldRows(dup));
  const bad = join(root, 'latin1.csv');
  writeFileSync(bad, Buffer.concat([Buffer.from('A,_ts\n'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2c, 0x31, 0x0a]), Buffer.from('ok,2\n')]));
  const want = await oldRows(bad);
  assert.deepEqual(await newRows(bad), want);
  assert.match(want[0]!, /caf\ufffd/);
});

test('malformed and ragged records are reported with their record number; the others are kept', async () => {
  const file = join(root, 'bad.csv');
  // (Each line has an even number of quotes: an odd one would join lines, as a quoted newline does.)
  writeFileSync(file, 'N,Name,_ts\n1,a,10\n2,b"c",11\n3,"d"e,12\n4,f\n5,g,13,extra\n6,h,14\n7,"torn');
  const warnings: string[] = [];
  const rows = (await newRows(file, undefined, warnings)).map((t) => JSON.parse(t) as Record<string, unknown>);
  assert.deepEqual(rows.map((r) => r.N), [1, 4, 5, 6], 'the torn tail is left out');
  assert.deepEqual(rows[1], { N: 4, Name: 'f', _ts: null });
  assert.deepEqual(rows[2], { N: 5, Name: 'g', _ts: 13, _extra1: 'extra' });
  assert.equal(warnings.length, 4, warnings.join('\n'));
  assert.match(warnings[0]!, /bad\.csv: line 3: bare " in non-quoted field \(record 3\); the record is left out/);
  assert.match(warnings[1]!, /bad\.csv: line 4: extraneous or missing " in quoted field \(record 4\)/);
  assert.match(warnings[2]!, /bad\.csv: line 5 \(record 5\) has 2 fields, the header has 3/);
  assert.match(warnings[3]!, /bad\.csv: line 6 \(record 6\) has 4 fields, the header has 3/);
});

test('a problem names the file line, not the line inside its record: quoted newlines before it and any chunk size', async () => {
  const file = join(root, 'lines.csv');
  // Records 2 and 3 span 3 and 2 lines: record 5 (a bare quote) is on line 8 of the file.
  writeFileSync(file, 'N,Text,_ts\n1,"a\nb\nc",10\n2,"d\ne",11\n3,f,12\n4,g"h"i,13\n5,i,14\n');
  for (const chunk of [undefined, 3, 7, 16]) {
    const warnings: string[] = [];
    const rows = (await newRows(file, chunk, warnings)).map((t) => JSON.parse(t) as Record<string, unknown>);
    assert.deepEqual(rows.map((r) => r.N), [1, 2, 3, 5], `chunk ${chunk}`);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /lines\.csv: line 8: bare " in non-quoted field \(record 5\); the record is left out/, `chunk ${chunk}`);
    assert.doesNotMatch(warnings[0]!, /line 1\b/);
  }
});

test('a malformed header is reported and the next record is read as the header', async () => {
  const file = join(root, 'badheader.csv');
  writeFileSync(file, 'A,B"x",_ts\nN,Name,_ts\n1,a,10\n2,b,11\n');
  for (const chunk of [undefined, 5]) {
    const warnings: string[] = [];
    assert.deepEqual(await newRows(file, chunk, warnings), ['{"N":1,"Name":"a","_ts":10}', '{"N":2,"Name":"b","_ts":11}']);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /badheader\.csv: line 1: bare " in non-quoted field \(record 1\); it is the header, so the next record is read as the header/);
  }
});

test('parts merge by _ts (ties in part order; a row without _ts sorts with the row before it)', async () => {
  const dir = join(root, 'parts');
  const store = new MonitoringStore({ datastore: dir, now: () => new Date('2024-03-01T12:00:00Z') });
  const a = (n: number, ts: Value) => VDict.fromObject({ N: n, _ts: ts as number });
  const b = (n: number, ts: Value) => VDict.fromObject({ M: n, X: 'b', _ts: ts as number });
  await store.append('Test.Parts', [a(1, 10), a(2, 20), a(3, null), a(4, 40)]);
  await store.append('Test.Parts', [b(11, 10), b(12, 25), b(13, 30)]);
  await store.close();
  const paths = (await dayParts(store.dir('Test.Parts'))).get('2024-03-01')!;
  assert.ok(paths.length === 2 && paths[0]!.endsWith('2024-03-01.csv') && paths[1]!.endsWith('2024-03-01.1.csv'), 'part 0, then part 1');
  const order: unknown[] = [];
  for await (const batch of mergeParts(paths, () => {}, undefined, 2)) {
    assert.ok(batch.length <= 2);
    for (const t of batch) order.push((JSON.parse(t) as { N?: number; M?: number }).N ?? (JSON.parse(t) as { M: number }).M);
  }
  // Row 3 has no _ts: it keeps 20, so it comes before 12 (25).
  assert.deepEqual(order, [1, 11, 2, 3, 12, 13, 4]);
});

test('a record still being written when the file was opened is left out, and read once complete', async () => {
  const file = await writeDay('growing', [row(['a'], 1)]);
  appendFileSync(file, '"b\nstill');
  assert.deepEqual((await newRows(file, 8)).length, 1);
  appendFileSync(file, ' writing",2\n');
  assert.deepEqual(await newRows(file, 8), await oldRows(file));
});

test('number cells of every shape give the value path\'s JSON (random texts)', () => {
  let seed = 99;
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  const digits = (n: number) => Array.from({ length: n }, () => String(rnd(10))).join('');
  const out = new JsonOut();
  for (let i = 0; i < 20_000; i++) {
    let t = (rnd(3) === 0 ? '-' : '') + (rnd(4) === 0 ? '0' : String(1 + rnd(9)) + digits(rnd(18)));
    if (rnd(2)) t += '.' + '0'.repeat(rnd(3) ? 0 : rnd(9)) + digits(1 + rnd(17));
    if (rnd(8) === 0) t += (rnd(2) ? 'e' : 'E') + ['', '+', '-'][rnd(3)] + String(rnd(400));
    const src = Buffer.from(t);
    out.pos = 0;
    writeCell(out, src, 0, src.length, false);
    assert.equal(out.take(0), toJSON(new VDict([['', parseCsvCell(t)]])).slice(4, -1), t);
  }
});

test('a decimal is copied as it is only when JS prints its number with the same text', () => {
  // JS's own texts (what the writer prints), and each with its last digit changed (mostly not
  // shortest, or not the closest): printsAsItself must never say yes wrongly, and must say yes
  // for nearly all of the writer's texts (else the fast path would not be taken).
  let seed = 5;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  let own = 0;
  let copied = 0;
  for (let i = 0; i < 40_000; i++) {
    const x = (rnd() + rnd() * 1e-9) * 10 ** (Math.floor(rnd() * 26) - 6) * (rnd() < 0.2 ? -1 : 1);
    const t = String(x);
    if (t.includes('e') || !t.includes('.')) continue;
    const last = Number(t.at(-1));
    for (const cand of [t, t.slice(0, -1) + String((last + 1) % 10), t.slice(0, -1) + String((last + 9) % 10), t + '3']) {
      const src = Buffer.from(cand);
      const n = Number(cand);
      const yes = printsAsItself(src, 0, src.length, n);
      if (yes) assert.equal(String(n), cand, `${cand} was taken as JS's text of ${String(n)}`);
      if (cand === t) {
        own++;
        if (yes) copied++;
      }
    }
  }
  assert.ok(copied / own > 0.9, `${copied} of ${own} own texts copied`);
});
