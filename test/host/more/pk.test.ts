// pk_encrypt() / pk_decrypt(): RSA-OAEP (SHA-1) round trips through VQL, the output length, the
// format checked against node:crypto, signing and verification, and the logged errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, verify } from 'node:crypto';
import { query } from './helpers.ts';

function keyPair(bits: number, pkcs1 = false): { pub: string; priv: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: pkcs1 ? 'pkcs1' : 'spki', format: 'pem' },
    privateKeyEncoding: { type: pkcs1 ? 'pkcs1' : 'pkcs8', format: 'pem' },
  });
  return { pub: publicKey, priv: privateKey };
}

const A = keyPair(2048);
const B = keyPair(2048);
const S = keyPair(1024, true); // a signer, PKCS#1 PEM
const vars = { PubA: A.pub, PrivA: A.priv, PubB: B.pub, PrivB: B.priv, PubS: S.pub, PrivS: S.priv };

const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' } as const;

function hasLog(logs: string[], re: RegExp): void {
  assert.ok(logs.some((l) => re.test(l)), `no log matching ${re}:\n${logs.join('\n')}`);
}

test('round trip through VQL; len() of the output is the key size in bytes', async () => {
  const k1024 = keyPair(1024);
  const { rows, logs } = await query(`
LET C <= pk_encrypt(data="Hello World", public_key=PubA)
LET D <= pk_encrypt(data="Hello World", public_key=Pub1024)
SELECT len(list=C) AS L, pk_decrypt(data=C, private_key=PrivA) AS P,
       len(list=D) AS L2, pk_decrypt(data=D, private_key=Priv1024, scheme="RSA") AS P2
FROM scope()`, { vars: { ...vars, Pub1024: k1024.pub, Priv1024: k1024.priv } });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [{ L: 256, P: 'Hello World', L2: 128, P2: 'Hello World' }]);
});

test('bytes in, bytes out (a leading BOM kept); unicode text; the empty string; encryption is randomized', async () => {
  // unhex()/base64decode() drop a leading BOM themselves (the engine's bytesToValue), so the
  // BOM plaintext is encrypted by node:crypto. Retry the 1-in-2^24 ciphertext that starts with one.
  let bomCt = '';
  do bomCt = publicEncrypt({ key: A.pub, ...OAEP }, Buffer.from('efbbbf41', 'hex')).toString('base64');
  while (bomCt.startsWith('77u/'));
  const { rows, logs } = await query(`
LET C1 <= pk_encrypt(data=unhex(string="00ff80efbbbf"), public_key=PubA)
LET C2 <= pk_encrypt(data="héllo ✓", public_key=PubA)
LET C3 <= pk_encrypt(data="", public_key=PubA)
LET C4 <= pk_encrypt(data="héllo ✓", public_key=PubA)
LET C5 <= base64decode(string=BomCt)
SELECT base64encode(string=pk_decrypt(data=C1, private_key=PrivA)) AS B,
       base64encode(string=pk_decrypt(data=C5, private_key=PrivA)) AS Bom,
       pk_decrypt(data=C2, private_key=PrivA) AS U, pk_decrypt(data=C3, private_key=PrivA) AS E,
       C2 = C4 AS Same
FROM scope()`, { vars: { ...vars, BomCt: bomCt } });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [{ B: Buffer.from('00ff80efbbbf', 'hex').toString('base64'), Bom: '77u/QQ==', U: 'héllo ✓', E: '', Same: false }]);
});

test('the output is standard RSA-OAEP SHA-1 both ways (node:crypto decrypts it and is decrypted)', async () => {
  const theirs = publicEncrypt({ key: A.pub, ...OAEP }, Buffer.from('from node')).toString('base64');
  const { rows, logs } = await query(`
SELECT base64encode(string=pk_encrypt(data="from VQL", public_key=PubA)) AS C,
       pk_decrypt(data=base64decode(string=Theirs), private_key=PrivA) AS P
FROM scope()`, { vars: { ...vars, Theirs: theirs } });
  assert.deepEqual(logs, []);
  const ct = Buffer.from(rows[0]!.C, 'base64');
  assert.equal(ct.length, 256);
  assert.equal(privateDecrypt({ key: A.priv, ...OAEP }, ct).toString(), 'from VQL');
  assert.equal(rows[0]!.P, 'from node');
});

test('a wrong private key: a logged error and NULL, and the next row is still processed', async () => {
  const { rows, logs } = await query(`
LET C <= pk_encrypt(data="secret", public_key=PubA)
SELECT N, pk_decrypt(data=C, private_key=K) AS P
FROM foreach(row=[dict(N=1, K=PrivB), dict(N=2, K=PrivA), dict(N=3, K="not a key")])`, { vars });
  assert.deepEqual(rows, [{ N: 1, P: null }, { N: 2, P: 'secret' }, { N: 3, P: null }]);
  hasLog(logs, /^error: pk_decrypt: decryption failed \(wrong private_key/);
  hasLog(logs, /^error: pk_decrypt: argument private_key: not a PEM private key/);
});

test('no public_key / private_key: a clear error (no server key here) and NULL', async () => {
  const { rows, logs } = await query(`
SELECT pk_encrypt(data="x") AS E, pk_decrypt(data="x") AS D, pk_encrypt(data="x", public_key="junk") AS J
FROM scope()`, { vars });
  assert.deepEqual(rows, [{ E: null, D: null, J: null }]);
  hasLog(logs, /^error: pk_encrypt: argument public_key: required here .*server/);
  hasLog(logs, /^error: pk_decrypt: argument private_key: required here .*server/);
  hasLog(logs, /^error: pk_encrypt: argument public_key: not a PEM public key/);
});

test('data longer than one OAEP block: an error naming pk_encrypt, data and the limit', async () => {
  const { rows, logs } = await query(`
SELECT len(list=pk_encrypt(data=format(format="%0214d", args=0), public_key=PubA)) AS Max,
       pk_encrypt(data=format(format="%0215d", args=0), public_key=PubA) AS Over
FROM scope()`, { vars });
  assert.deepEqual(rows, [{ Max: 256, Over: null }]);
  hasLog(logs, /^error: pk_encrypt: argument data: 215 bytes is too long; a 2048-bit key encrypts at most 214 bytes/);
});

test('scheme pgp and unknown schemes are refused with a clear error', async () => {
  const { rows, logs } = await query(`
SELECT pk_encrypt(data="x", public_key=PubA, scheme="pgp") AS P, pk_decrypt(data="x", private_key=PrivA, scheme="PGP") AS Q,
       pk_encrypt(data="x", public_key=PubA, scheme="aes") AS U
FROM scope()`, { vars });
  assert.deepEqual(rows, [{ P: null, Q: null, U: null }]);
  hasLog(logs, /^error: pk_encrypt: argument scheme: scheme pgp is not supported here; use rsa/);
  hasLog(logs, /^error: pk_decrypt: argument scheme: scheme pgp is not supported here; use rsa/);
  hasLog(logs, /^error: pk_encrypt: argument scheme: unknown scheme "aes"/);
});

test('signing_key: ciphertext || PKCS#1 v1.5 SHA-256 signature, verified by verify_key', async () => {
  const { rows, logs } = await query(`
LET C <= pk_encrypt(data="signed secret", public_key=PubA, signing_key=PrivS)
SELECT len(list=C) AS L, base64encode(string=C) AS B64,
       pk_decrypt(data=C, private_key=PrivA, verify_key=PubS) AS P,
       pk_decrypt(data=C, private_key=PrivA, verify_key=PrivS) AS PFromPrivate
FROM scope()`, { vars });
  assert.deepEqual(logs, []);
  assert.equal(rows[0]!.L, 256 + 128);
  assert.equal(rows[0]!.P, 'signed secret');
  assert.equal(rows[0]!.PFromPrivate, 'signed secret');
  const all = Buffer.from(rows[0]!.B64, 'base64');
  const ct = all.subarray(0, 256);
  const sig = all.subarray(256);
  assert.ok(verify('sha256', ct, { key: S.pub, padding: constants.RSA_PKCS1_PADDING }, sig));
  assert.equal(privateDecrypt({ key: A.priv, ...OAEP }, ct).toString(), 'signed secret');
});

test('tampered data, the wrong verify_key or a missing signature fail verification; no verify_key only warns', async () => {
  const signed = (await query('SELECT base64encode(string=pk_encrypt(data="msg", public_key=PubA, signing_key=PrivS)) AS B FROM scope()', { vars })).rows[0]!.B as string;
  const bytes = Buffer.from(signed, 'base64');
  const tamperedCt = Buffer.from(bytes); tamperedCt[10]! ^= 1;
  const tamperedSig = Buffer.from(bytes); tamperedSig[300]! ^= 1;
  const unsigned = bytes.subarray(0, 256);
  const { rows, logs } = await query(`
SELECT N, pk_decrypt(data=base64decode(string=D), private_key=PrivA, verify_key=V) AS P
FROM foreach(row=[dict(N=1, D=T1, V=PubS), dict(N=2, D=T2, V=PubS), dict(N=3, D=Ok, V=PubB),
                  dict(N=4, D=Unsigned, V=PubS), dict(N=5, D=Ok, V=PubS)])`, {
    vars: { ...vars, T1: tamperedCt.toString('base64'), T2: tamperedSig.toString('base64'), Ok: signed, Unsigned: unsigned.toString('base64') },
  });
  assert.deepEqual(rows, [{ N: 1, P: null }, { N: 2, P: null }, { N: 3, P: null }, { N: 4, P: null }, { N: 5, P: 'msg' }]);
  assert.equal(logs.filter((l) => /^error: pk_decrypt: signature verification failed/.test(l)).length, 3, logs.join('\n'));
  hasLog(logs, /^error: pk_decrypt: argument verify_key: the data carries no signature/);

  const plain = await query('SELECT pk_decrypt(data=base64decode(string=Ok), private_key=PrivA) AS P FROM scope()', { vars: { ...vars, Ok: signed } });
  assert.deepEqual(plain.rows, [{ P: 'msg' }]);
  hasLog(plain.logs, /^warn: pk_decrypt: 128 bytes after the ciphertext .*not verified: no verify_key/);
});

test('data shorter than one block is a clear error', async () => {
  const { rows, logs } = await query('SELECT pk_decrypt(data="short", private_key=PrivA) AS P FROM scope()', { vars });
  assert.deepEqual(rows, [{ P: null }]);
  hasLog(logs, /^error: pk_decrypt: argument data: 5 bytes is shorter than one 2048-bit RSA block \(256 bytes\)/);
});
