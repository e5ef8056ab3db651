import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { testRun, type TestRun } from './helpers.ts';

let t: TestRun;
let png = '';

/** A real 1x1 PNG the test makes itself. */
function tinyPng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, c]);
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.from([0, 255, 0, 0]))), chunk('IEND', Buffer.alloc(0))]);
}

before(() => {
  t = testRun();
  png = join(t.dir, 'pixel.png');
  writeFileSync(png, tinyPng());
  writeFileSync(join(t.dir, 'notes.txt'), 'plain words\n');
  mkdirSync(join(t.dir, 'folder'));
  if (process.platform !== 'win32') symlinkSync(png, join(t.dir, 'link'));
});
after(() => t.close());

test('magic(): a description, a MIME type, extensions', { timeout: 60_000 }, async () => {
  const { rows, logs } = await t.query(`SELECT magic(path=P) AS D, magic(path=P, type='mime') AS M, magic(path=P, type='extension') AS E, magic(path=T) AS Text, magic(path=T, type='mime') AS TextMime FROM scope()`, { P: png, T: join(t.dir, 'notes.txt') });
  assert.deepEqual(logs, []);
  assert.match(String(rows[0]!.D), /^PNG image data, 1 x 1, 8-bit\/color RGB/);
  assert.equal(rows[0]!.M, 'image/png');
  assert.equal(rows[0]!.E, 'png');
  assert.equal(rows[0]!.Text, 'ASCII text');
  assert.equal(rows[0]!.TextMime, 'text/plain');
});

test('magic(): through an accessor; folders and links as libmagic names them', { timeout: 60_000 }, async () => {
  const { rows } = await t.query(`SELECT magic(path='%PDF-1.4\n%', accessor='data') AS Pdf, magic(path=F) AS Folder, magic(path=F, type='mime') AS FolderMime FROM scope()`, { F: join(t.dir, 'folder') });
  assert.match(String(rows[0]!.Pdf), /^PDF document, version 1\.4/);
  assert.equal(rows[0]!.Folder, 'directory');
  assert.equal(rows[0]!.FolderMime, 'inode/directory');
  if (process.platform !== 'win32') {
    const { rows: l } = await t.query(`SELECT magic(path=L) AS Link FROM scope()`, { L: join(t.dir, 'link') });
    assert.equal(l[0]!.Link, `symbolic link to ${png}`);
  }
});

test('magic(magic=): extra rules; bad input is NULL and logged', { timeout: 60_000 }, async () => {
  const { rows } = await t.query(`SELECT magic(path='VQLTEST and more', accessor='data', magic='0 string VQLTEST a test format of ours') AS Custom FROM scope()`);
  assert.equal(rows[0]!.Custom, 'a test format of ours');
  const { rows: bad, logs } = await t.query(`SELECT magic(path=P, type='colour') AS BadType, magic(path=Missing) AS Missing, magic(path=P, accessor='nosuch') AS BadAccessor FROM scope()`, { P: png, Missing: join(t.dir, 'missing') });
  assert.deepEqual(bad[0], { BadType: null, Missing: null, BadAccessor: null });
  assert.ok(logs.some((l) => l.startsWith('error: magic:') && l.includes('colour')), logs.join('\n'));
  assert.ok(logs.some((l) => l.includes('missing')), logs.join('\n'));
  assert.ok(logs.some((l) => l.includes('unknown accessor')), logs.join('\n'));
});
