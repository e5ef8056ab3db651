// authenticode(): PE files the test builds, signed by osslsigncode (the open-source signtool)
// with a certificate hierarchy OpenSSL makes here (root, intermediate, code-signing leaf, a
// timestamping authority answering RFC 3161 requests on 127.0.0.1 with `openssl ts -reply`),
// then judged here and by `osslsigncode verify` against the same root: the two must agree on
// every file, good or tampered.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, X509Certificate } from 'node:crypto';
import { buildPe } from './pe-builder.ts';
import { realPeFiles } from './real-pe.ts';
import { query } from './runner.ts';
import { machineAnchors } from '../../../main/host/parsers/pe/trust-anchors.ts';
import { verifyAuthenticode, verifyCatalog } from '../../../main/host/parsers/pe/verify.ts';
import { catalogDigests } from '../../../main/host/parsers/pe/catalog.ts';
import { buildCatalog } from './catalog-writer.ts';
import { winCertificateContent } from '../../../main/host/parsers/pe/authenticode.ts';
import { authenticodeDigests, parsePe } from '../../../main/host/parsers/pe/pe.ts';
import { RangeReader } from '../../../main/host/parsers/pe/reader.ts';
import { memoryReader } from '../../../main/host/files/accessors.ts';

const missing = ['openssl', 'osslsigncode'].filter((t) => spawnSync(t, ['--version']).error !== undefined);
const skip = missing.length ? `needs ${missing.join(' and ')} (apt-get install ${missing.join(' ')})` : false;

let dir = '';
const at = (name: string) => join(dir, name);

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** A key and a certificate `name` issued by `issuer` (self-signed without one), with extensions `ext`. */
function certificate(name: string, cn: string, ext: string, issuer?: string, days = 3650): void {
  run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-subj', `/C=US/O=Acme Test/CN=${cn}`, '-out', `${name}.csr`]);
  writeFileSync(at(`${name}.ext`), ext);
  const sign = issuer ? ['-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial'] : ['-key', `${name}.key`];
  run('openssl', ['x509', '-req', '-in', `${name}.csr`, ...sign, '-days', String(days), '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
}

const CA = 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n';
const LEAF = (eku: string) => `basicConstraints=CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=${eku}\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n`;
/** `openssl ts -reply`'s configuration: the TSA signs with tsa.pem and includes its chain. */
const TS_CONFIG = `[ tsa ]
default_tsa = tsa1
[ tsa1 ]
serial = ./tsaserial
crypto_device = builtin
signer_cert = ./tsa.pem
certs = ./root.pem
signer_key = ./tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha1, sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha1
`;

/** An RFC 3161 timestamping authority on 127.0.0.1: each request answered by `openssl ts -reply`. */
function startTsa(): Promise<{ server: Server; url: string }> {
  writeFileSync(at('ts.cnf'), TS_CONFIG);
  writeFileSync(at('tsaserial'), '01\n');
  let n = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const id = ++n;
      writeFileSync(at(`ts${id}.tsq`), Buffer.concat(chunks));
      try {
        await promisify(execFile)('openssl', ['ts', '-reply', '-config', 'ts.cnf', '-queryfile', `ts${id}.tsq`, '-out', `ts${id}.tsr`], { cwd: dir });
        res.writeHead(200, { 'Content-Type': 'application/timestamp-reply' }).end(readFileSync(at(`ts${id}.tsr`)));
      } catch (e) {
        res.writeHead(500).end(String(e));
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const a = server.address() as { port: number };
    resolve({ server, url: `http://127.0.0.1:${a.port}/` });
  }));
}

/** Signs `input` into `output` with the leaf `leaf` (its chain: the intermediate), options `more`. */
async function sign(input: string, output: string, leaf = 'leaf', more: string[] = [], chain = ['inter']): Promise<void> {
  writeFileSync(at(`${leaf}-chain.pem`), [leaf, ...chain].map((c) => readFileSync(at(`${c}.pem`), 'utf8')).join(''));
  const args = ['sign', '-certs', `${leaf}-chain.pem`, '-key', `${leaf}.key`, '-n', 'Acme Tester', '-i', 'https://acme.example/', ...more, '-in', input, '-out', output];
  // Asynchronous: the timestamping authority answers from this process.
  await promisify(execFile)('osslsigncode', args, { cwd: dir }).catch((e: { stderr?: string; stdout?: string }) => {
    throw new Error(`osslsigncode ${args.join(' ')}: ${e.stderr || e.stdout}`);
  });
}

/** osslsigncode's verdict with `root` trusted (the timestamp's root too). */
function osslVerifies(file: string): boolean {
  const r = spawnSync('osslsigncode', ['verify', '-CAfile', at('root.pem'), '-TSA-CAfile', at('root.pem'), '-in', at(file)], { encoding: 'utf8' });
  return r.status === 0 && /Signature verification: ok/.test(r.stdout);
}

async function authenticode(file: string) {
  const { rows, logs } = await query('SELECT authenticode(filename=F) AS A FROM scope()', { F: at(file) });
  return { a: rows[0]!.A as Record<string, unknown> & { _ExtraInfo: Record<string, unknown> }, logs };
}

/** Verifies `file` in-process at `now` with `root` as the only root. */
async function verifyAt(file: string, now: Date) {
  const bytes = readFileSync(at(file));
  const r = new RangeReader(memoryReader(bytes), 0);
  const info = await parsePe(r);
  const anchors = { roots: [new X509Certificate(readFileSync(at('root.pem')))], distrusted: new Set<string>(), source: 'the test root' };
  return verifyAuthenticode(winCertificateContent(info.certificateTable!), async (a) => (await authenticodeDigests(r, info, false, [a]))[0]!, anchors, now);
}

describe('authenticode()', { skip }, () => {
  const savedExtra = process.env.NODE_EXTRA_CA_CERTS;
  let tsa: { server: Server; url: string } | null = null;
  let stampedFrom = 0;
  let stampedTo = 0;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vql-authenticode-'));
    certificate('root', 'Acme Test Root', CA);
    certificate('inter', 'Acme Intermediate CA', CA, 'root');
    certificate('leaf', 'Acme Code Signing', LEAF('codeSigning'), 'inter');
    certificate('server', 'Acme Web Server', LEAF('serverAuth'), 'inter');
    certificate('tsa', 'Acme Timestamping', LEAF('critical,timeStamping'), 'root');
    const pe = buildPe({
      is64: true, machine: 0x8664, timeDateStamp: 1700000000, imageBase: 0x140000000n, characteristics: 0x22,
      imports: [{ dll: 'KERNEL32.dll', functions: ['ExitProcess'] }],
    }).bytes;
    writeFileSync(at('unsigned.exe'), pe);
    await sign('unsigned.exe', 'signed.exe');
    await sign('unsigned.exe', 'sha1.exe', 'leaf', ['-h', 'sha1']);
    await sign('unsigned.exe', 'server.exe', 'server');
    await sign('unsigned.exe', 'withroot.exe', 'leaf', [], ['inter', 'root']);
    tsa = await startTsa();
    stampedFrom = Math.floor(Date.now() / 1000);
    await sign('unsigned.exe', 'stamped.exe', 'leaf', ['-ts', tsa.url]);
    stampedTo = Math.ceil(Date.now() / 1000);
    // One byte of the code changed after signing.
    const tampered = readFileSync(at('signed.exe'));
    tampered[0x400] ^= 0xff;
    writeFileSync(at('tampered.exe'), tampered);
    process.env.NODE_EXTRA_CA_CERTS = at('root.pem');
  });
  after(() => {
    tsa?.server.close();
    if (savedExtra === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = savedExtra;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a signed file whose root is trusted: "trusted", with the signer, issuer, serial, program name and chain', async () => {
    const { a, logs } = await authenticode('signed.exe');
    assert.deepEqual(logs, []);
    const leaf = new X509Certificate(readFileSync(at('leaf.pem')));
    assert.equal(a.Trusted, 'trusted', String(a._ExtraInfo.Reason));
    assert.equal(a.Filename, at('signed.exe'));
    assert.equal(a.SubjectName, 'Acme Code Signing');
    assert.equal(a.IssuerName, 'Acme Intermediate CA');
    assert.equal(a.SerialNumber, leaf.serialNumber.toLowerCase());
    assert.equal(a.ProgramName, 'Acme Tester');
    assert.equal(a.MoreInfoLink, 'https://acme.example/');
    assert.equal(a.Timestamp, null);
    assert.deepEqual(a._ExtraInfo.Chain, ['Acme Code Signing', 'Acme Intermediate CA', 'Acme Test Root']);
    assert.equal(a._ExtraInfo.DigestAlgorithm, 'SHA256');
    assert.match(String(a._ExtraInfo.TrustedBy), /NODE_EXTRA_CA_CERTS/);
    assert.ok(osslVerifies('signed.exe'), 'osslsigncode agrees');
    const verbose = (await query('SELECT authenticode(filename=F, verbose=TRUE) AS A FROM scope()', { F: at('signed.exe') })).rows[0]!.A as typeof a;
    assert.deepEqual((verbose._ExtraInfo.Certificates as Array<{ Subject: string }>).map((c) => c.Subject).sort(), ['CN=Acme Code Signing,O=Acme Test,C=US', 'CN=Acme Intermediate CA,O=Acme Test,C=US']);
    assert.equal(a._ExtraInfo.Certificates, undefined, 'only with verbose');
    const sha1 = (await authenticode('sha1.exe')).a;
    assert.equal(sha1.Trusted, 'trusted', String(sha1._ExtraInfo.Reason));
    assert.equal(sha1._ExtraInfo.DigestAlgorithm, 'SHA1');
  });

  test('a timestamp: its time and authority are reported, and it keeps the signature good after the certificate expires', async () => {
    const { a } = await authenticode('stamped.exe');
    assert.equal(a.Trusted, 'trusted', String(a._ExtraInfo.Reason));
    const t = Date.parse(String(a.Timestamp)) / 1000;
    assert.ok(t >= stampedFrom - 1 && t <= stampedTo + 1, `the timestamp (${String(a.Timestamp)}) is when the file was signed`);
    assert.equal(a._ExtraInfo.TimestampSigner, 'Acme Timestamping');
    assert.ok(osslVerifies('stamped.exe'));
    // Eleven years on, every certificate has expired: only the timestamped file stays good.
    const later = new Date(Date.now() + 11 * 365 * 86400_000);
    const plain = await verifyAt('signed.exe', later);
    assert.equal(plain.trusted, 'untrusted');
    assert.match(plain.reason, /the certificate of Acme Code Signing is not valid at/);
    const stamped = await verifyAt('stamped.exe', later);
    assert.equal(stamped.trusted, 'trusted', stamped.reason);
    // And before the certificates existed, nothing is.
    assert.match((await verifyAt('signed.exe', new Date('2001-01-01T00:00:00Z'))).reason, /not valid at 2001-01-01/);
  });

  test('a file changed after signing is "untrusted", and says so (osslsigncode agrees)', async () => {
    const { a } = await authenticode('tampered.exe');
    assert.equal(a.Trusted, 'untrusted');
    assert.match(String(a._ExtraInfo.Reason), /the file was changed after it was signed: its SHA256 Authenticode digest is [0-9a-f]{64}, the signature is for [0-9a-f]{64}/);
    assert.equal(a.SubjectName, 'Acme Code Signing', 'the signer is still named');
    assert.equal(osslVerifies('tampered.exe'), false);
  });

  test('a certificate that is not for code signing is "untrusted" (osslsigncode agrees)', async () => {
    const { a } = await authenticode('server.exe');
    assert.equal(a.Trusted, 'untrusted');
    assert.match(String(a._ExtraInfo.Reason), /the certificate of Acme Web Server is not for code signing/);
    assert.equal(osslVerifies('server.exe'), false);
  });

  test('a root this machine does not trust: "untrusted", naming the root', async () => {
    delete process.env.NODE_EXTRA_CA_CERTS;
    try {
      const { a } = await authenticode('signed.exe');
      assert.equal(a.Trusted, 'untrusted');
      assert.match(String(a._ExtraInfo.Reason), /the issuer of Acme Intermediate CA \(Acme Test Root\) is neither in the signature nor among this machine's \d+ trusted roots/);
      const withRoot = (await authenticode('withroot.exe')).a;
      assert.equal(withRoot.Trusted, 'untrusted');
      assert.match(String(withRoot._ExtraInfo.Reason), /the chain ends at Acme Test Root, a root that is not among this machine's \d+ trusted roots/);
      assert.ok(machineAnchors().roots.length > 50, "Node's bundled roots are there");
    } finally {
      process.env.NODE_EXTRA_CA_CERTS = at('root.pem');
    }
  });

  test('unsigned, not a PE, not there: "unsigned", or one error naming the file and null', async () => {
    const { a, logs } = await authenticode('unsigned.exe');
    assert.deepEqual(logs, []);
    assert.equal(a.Trusted, 'unsigned');
    assert.equal(a.SubjectName, null);
    writeFileSync(at('notes.txt'), 'not a program');
    for (const [file, why] of [['notes.txt', /not a PE file/], ['gone.exe', /ENOENT|no such file|not found/i]] as const) {
      const r = await authenticode(file);
      assert.equal(r.a, null);
      assert.equal(r.logs.length, 1, r.logs.join('\n'));
      assert.match(r.logs[0]!, new RegExp(`authenticode: filename=${at(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
      assert.match(r.logs[0]!, why);
    }
  });

  test('a damaged signature is "untrusted" with the reason, never a crash', async () => {
    const signed = readFileSync(at('signed.exe'));
    const info = await parsePe(new RangeReader(memoryReader(signed), 0));
    const table = info.directories.find((d) => d.index === 4)!;
    // The last byte of the signer's signature value flipped: the structure is intact.
    const broken = Buffer.from(signed);
    let end = table.virtualAddress + table.size - 1;
    while (broken[end] === 0) end--; // the table is padded to 8 bytes
    broken[end] ^= 0x01;
    writeFileSync(at('badsig.exe'), broken);
    const { a } = await authenticode('badsig.exe');
    assert.equal(a.Trusted, 'untrusted');
    assert.match(String(a._ExtraInfo.Reason), /signature/);
    assert.equal(osslVerifies('badsig.exe'), false);
    // A table cut in the middle of its DER.
    const cut = Buffer.from(signed);
    cut.fill(0xee, table.virtualAddress + 200, table.virtualAddress + 260);
    writeFileSync(at('cut.exe'), cut);
    const c = await authenticode('cut.exe');
    assert.equal(c.a.Trusted, 'untrusted');
    assert.match(String(c.a._ExtraInfo.Reason), /malformed|not a PKCS#7|could not be read/);
    assert.equal(osslVerifies('cut.exe'), false);
  });

  test('real signed programs on this machine (Microsoft-signed signtool.exe...): intact, and judged by their root', async (t) => {
    const files = realPeFiles(100);
    let signed = 0;
    for (const f of files) {
      const { rows } = await query('SELECT authenticode(filename=F) AS A FROM scope()', { F: f });
      const a = rows[0]?.A as (Record<string, unknown> & { _ExtraInfo: Record<string, unknown> }) | null;
      if (!a || a.Trusted === 'unsigned') continue;
      signed++;
      // Their digests and signatures verify: what stops them is a root this machine lacks
      // (Microsoft's code-signing roots are not in Mozilla's bundle) or an expired certificate.
      const reason = String(a._ExtraInfo.Reason ?? '');
      assert.ok(a.Trusted === 'trusted' || /is neither in the signature nor among|a root that is not among|is not valid at/.test(reason), `${f}: ${reason}`);
      assert.ok(a.SubjectName && a.IssuerName, `${f}: the signer is named`);
    }
    if (signed === 0) return t.skip('no signed PE file found on this machine');
    t.diagnostic(`${signed} signed PE files of this machine verified up to their roots`);
  });

  test('security catalogs: the members and the signature osslsigncode made are read, and it agrees on each file', async () => {
    const anchors = { roots: [new X509Certificate(readFileSync(at('root.pem')))], distrusted: new Set<string>(), source: 'the test root' };
    const bytes = readFileSync(at('unsigned.exe'));
    const r = new RangeReader(memoryReader(bytes), 0);
    const [sha1, sha256] = await authenticodeDigests(r, await parsePe(r), false, ['sha1', 'sha256']);
    const other = createHash('sha256').update('another file').digest();
    for (const [hash, digest] of [['sha1', sha1!], ['sha256', sha256!]] as const) {
      writeFileSync(at(`${hash}.cat`), buildCatalog([{ digest: other, file: 'other.exe' }, { digest: Buffer.from(digest, 'hex'), file: 'unsigned.exe' }], hash));
      await sign(`${hash}.cat`, `${hash}-signed.cat`);
      const cat = readFileSync(at(`${hash}-signed.cat`));
      assert.deepEqual(catalogDigests(cat), [other.toString('hex'), digest]);
      const v = await verifyCatalog(cat, anchors);
      assert.equal(v.trusted, 'trusted', v.reason);
      assert.deepEqual(v.chain, ['Acme Code Signing', 'Acme Intermediate CA', 'Acme Test Root']);
      const ossl = spawnSync('osslsigncode', ['verify', '-CAfile', at('root.pem'), '-catalog', at(`${hash}-signed.cat`), '-in', at('unsigned.exe')], { encoding: 'utf8' });
      assert.equal(ossl.status, 0, ossl.stdout + ossl.stderr);
      // One member's digest changed after signing: the catalog no longer verifies, for either.
      const changed = Buffer.from(cat);
      const at0 = changed.indexOf(other);
      changed[at0] ^= 0xff;
      writeFileSync(at(`${hash}-changed.cat`), changed);
      const bad = await verifyCatalog(changed, anchors);
      assert.equal(bad.trusted, 'untrusted');
      assert.match(bad.reason, /the signed digest of the content does not match/);
      assert.notEqual(spawnSync('osslsigncode', ['verify', '-CAfile', at('root.pem'), '-catalog', at(`${hash}-changed.cat`), '-in', at('unsigned.exe')]).status, 0);
    }
    // A file's own signature is not a catalog.
    assert.match((await verifyCatalog(winCertificateContent((await parsePe(new RangeReader(memoryReader(readFileSync(at('signed.exe'))), 0))).certificateTable!), anchors)).reason, /not a certificate trust list/);
  });
});
