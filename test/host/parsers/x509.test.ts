// parse_x509 over certificates the openssl command makes here (RSA, EC and Ed25519 keys; a CA,
// leaves with every extension Go turns into a field, a v1 certificate), each field checked
// against what `openssl x509 -text/-serial/-dates/-fingerprint` says about the same file; DER,
// DER end to end and PEM input; damaged input; and Windows.System.RootCAStore's GetCert path.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load as loadYaml } from 'js-yaml';
import { query } from './runner.ts';
import { certStoreBlob } from '../raw-reg/cert-store.ts';

const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const skip = HAVE_OPENSSL ? false : 'the openssl command is not installed: parse_x509 tests skipped';
if (skip) console.log(`# ${skip}`);

const ROOT_CA_STORE = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts/Windows/System/RootCAStore.yaml', import.meta.url));

type Cert = Record<string, unknown>;

let dir = '';
const path = (name: string) => join(dir, name);

function openssl(...args: string[]): string {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The certificates made in `before`, by name; each has NAME.pem and NAME.der. */
const NAMES = ['ca', 'leaf', 'v1', 'ecca', 'ecsub', 'ed'] as const;
type Name = (typeof NAMES)[number];
const der: Record<Name, Buffer> = {} as never;
const pem: Record<Name, string> = {} as never;

function makeCertificates(): void {
  const rsaCa = ['-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650', '-sha256'];
  openssl('req', '-x509', ...rsaCa, '-set_serial', '0x00f123456789abcdef0123456789abcdef01',
    '-subj', '/C=US/ST=Washington/L=Seattle/O=Acme, Inc./OU=Security/CN=Acme Test Root CA',
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:1', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  writeFileSync(path('leaf.ext'), [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth,clientAuth,codeSigning,1.2.3.4.5',
    'subjectAltName=DNS:leaf.example.com,DNS:*.example.com,IP:192.0.2.7,IP:2001:db8::1,email:admin@example.com,URI:https://example.com/path?q=1',
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid',
    'authorityInfoAccess=OCSP;URI:http://ocsp.example.com/,caIssuers;URI:http://ca.example.com/ca.der',
    'crlDistributionPoints=URI:http://crl.example.com/ca.crl',
    'certificatePolicies=2.23.140.1.2.1,1.3.6.1.4.1.99999.1',
  ].join('\n') + '\n');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr',
    '-subj', '/C=US/O=Acme, Inc./CN=leaf.example.com/emailAddress=admin@example.com');
  openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '4660', '-days', '365', '-sha256', '-extfile', 'leaf.ext', '-out', 'leaf.pem');
  // No extensions: a version 1 certificate.
  openssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '1', '-days', '1', '-sha256', '-out', 'v1.pem');
  // EC: CN before O in the DER, a CA without pathlen; a sub-CA with pathlen 0.
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ecca.key', '-out', 'ecca.pem',
    '-days', '3650', '-sha384', '-subj', '/CN=EC Root/O=Acme EC', '-addext', 'basicConstraints=critical,CA:TRUE');
  writeFileSync(path('ecsub.ext'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=keyCertSign\nsubjectAltName=DNS:ec.example.org\nextendedKeyUsage=timeStamping,OCSPSigning,emailProtection\n');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1', '-nodes', '-keyout', 'ecsub.key', '-out', 'ecsub.csr', '-subj', '/C=DE/L=Berlin/CN=EC Sub CA');
  openssl('x509', '-req', '-in', 'ecsub.csr', '-CA', 'ecca.pem', '-CAkey', 'ecca.key', '-set_serial', '0x7fffffffffffffff', '-days', '100', '-sha256', '-extfile', 'ecsub.ext', '-out', 'ecsub.pem');
  openssl('req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', 'ed.key', '-out', 'ed.pem', '-days', '30', '-subj', '/CN=Ed Root');
  for (const n of NAMES) {
    openssl('x509', '-in', `${n}.pem`, '-outform', 'DER', '-out', `${n}.der`);
    der[n] = readFileSync(path(`${n}.der`));
    pem[n] = readFileSync(path(`${n}.pem`), 'utf8');
  }
}

// ---------------------------------------------------------------------------------------------
// What openssl says about a certificate

interface Facts {
  version: number;
  serialHex: string;
  notBefore: number;
  notAfter: number;
  subject: string;
  issuer: string;
  sigAlg: string;
  keyAlg: string;
  ext: Map<string, string[]>;
  sha1: string;
  sha256: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** openssl's `Dec  7 22:48:47 2026 GMT` as epoch milliseconds. */
function opensslDate(s: string): number {
  const m = /^(\w{3})\s+(\d+) (\d\d):(\d\d):(\d\d) (\d{4}) GMT$/.exec(s.trim());
  assert.ok(m, `openssl date ${s}`);
  return Date.UTC(Number(m[6]), MONTHS.indexOf(m[1]!), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
}

/** The X509v3 extensions of `-text`: header (without "X509v3 " and ": critical") -> value lines. */
function extensions(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === 'X509v3 extensions:');
  if (start < 0) return out;
  const indent = (l: string) => l.length - l.trimStart().length;
  const headerIndent = indent(lines[start + 1]!);
  let current: string[] | null = null;
  for (const l of lines.slice(start + 1)) {
    if (!l.trim() || indent(l) < headerIndent) break;
    if (indent(l) === headerIndent) {
      current = [];
      out.set(l.trim().replace(/^X509v3 /, '').replace(/:( critical)?$/, ''), current);
    } else current!.push(l.trim());
  }
  return out;
}

function facts(name: Name): Facts {
  const file = `${name}.pem`;
  const text = openssl('x509', '-in', file, '-noout', '-text');
  const field = (re: RegExp) => {
    const m = re.exec(text);
    assert.ok(m, `${re} in openssl -text of ${file}`);
    return m[1]!.trim();
  };
  const line = (args: string[], key: string) => {
    const out = openssl('x509', '-in', file, '-noout', ...args).trim();
    assert.ok(out.startsWith(key + '='), out);
    return out.slice(key.length + 1);
  };
  const dates = openssl('x509', '-in', file, '-noout', '-dates');
  return {
    version: Number(field(/Version: (\d+)/)),
    serialHex: line(['-serial'], 'serial'),
    notBefore: opensslDate(/notBefore=(.*)/.exec(dates)![1]!),
    notAfter: opensslDate(/notAfter=(.*)/.exec(dates)![1]!),
    subject: line(['-subject', '-nameopt', 'RFC2253'], 'subject'),
    issuer: line(['-issuer', '-nameopt', 'RFC2253'], 'issuer'),
    sigAlg: field(/Signature Algorithm: (.*)/),
    keyAlg: field(/Public Key Algorithm: (.*)/),
    ext: extensions(text),
    sha1: line(['-fingerprint', '-sha1'], 'sha1 Fingerprint').replaceAll(':', '').toLowerCase(),
    sha256: line(['-fingerprint', '-sha256'], 'sha256 Fingerprint').replaceAll(':', '').toLowerCase(),
  };
}

const SHORT_NAMES: Record<string, string> = {
  C: '2.5.4.6', ST: '2.5.4.8', L: '2.5.4.7', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3', emailAddress: '1.2.840.113549.1.9.1',
};
const FIELDS: Record<string, string> = { C: 'Country', ST: 'Province', L: 'Locality', O: 'Organization', OU: 'OrganizationalUnit' };

/** An RFC 2253 name (openssl's, last RDN first) as [short, value] in DER order. */
function rdns(rfc2253: string): Array<[string, string]> {
  const parts = rfc2253.split(/(?<!\\),/).map((p) => {
    const eq = p.indexOf('=');
    return [p.slice(0, eq), p.slice(eq + 1).replace(/\\(.)/g, '$1')] as [string, string];
  });
  return parts.reverse();
}

/** The pkix.Name openssl's RFC 2253 text describes, as Go's JSON. */
function goName(rfc2253: string): Record<string, unknown> {
  const attrs = rdns(rfc2253);
  const list = (short: string) => {
    const v = attrs.filter(([s]) => s === short).map(([, v]) => v);
    return v.length ? v : null;
  };
  return {
    Country: list('C'), Organization: list('O'), OrganizationalUnit: list('OU'), Locality: list('L'), Province: list('ST'),
    StreetAddress: null, PostalCode: null, SerialNumber: '', CommonName: list('CN')?.at(-1) ?? '',
    Names: attrs.map(([s, v]) => ({ Type: SHORT_NAMES[s]!.split('.').map(Number), Value: v })),
    ExtraNames: null,
  };
}

const SIGNATURE_ALGORITHMS: Record<string, [number, string]> = {
  sha256WithRSAEncryption: [4, 'SHA256-RSA'], 'ecdsa-with-SHA256': [10, 'ECDSA-SHA256'],
  'ecdsa-with-SHA384': [11, 'ECDSA-SHA384'], ED25519: [16, 'Ed25519'],
};
const KEY_ALGORITHMS: Record<string, [number, string]> = { rsaEncryption: [1, 'RSA'], 'id-ecPublicKey': [3, 'ECDSA'], ED25519: [4, 'Ed25519'] };
const KEY_USAGES: Record<string, [number, string]> = {
  'Digital Signature': [1, 'DigitalSignature'], 'Non Repudiation': [2, 'ContentCommitment'], 'Key Encipherment': [4, 'KeyEncipherment'],
  'Data Encipherment': [8, 'DataEncipherment'], 'Key Agreement': [16, 'KeyAgreement'], 'Certificate Sign': [32, 'CertSign'],
  'CRL Sign': [64, 'CRLSign'], 'Encipher Only': [128, 'EncipherOnly'], 'Decipher Only': [256, 'DecipherOnly'],
};
const EXT_KEY_USAGES: Record<string, [number, string]> = {
  'TLS Web Server Authentication': [1, 'ServerAuth'], 'TLS Web Client Authentication': [2, 'ClientAuth'], 'Code Signing': [3, 'CodeSigning'],
  'E-mail Protection': [4, 'EmailProtection'], 'Time Stamping': [8, 'TimeStamping'], 'OCSP Signing': [9, 'OCSPSigning'],
};

const hexToBase64 = (h: string) => Buffer.from(h.replace(/^keyid:/, '').replaceAll(':', ''), 'hex').toString('base64');

/** An IP address as 16 bytes of hex (IPv4 mapped), to compare Go's text with openssl's. */
function ipKey(ip: string): string {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return '00000000000000000000ffff' + Buffer.from(ip.split('.').map(Number)).toString('hex');
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.toLowerCase().padStart(4, '0')).join('');
}

/** Checks every member of `c` against openssl's view of the same certificate. */
function checkAgainstOpenssl(c: Cert, f: Facts, goStrings: { subject?: string; issuer?: string } = {}): void {
  assert.equal(c.Version, f.version, 'Version');
  assert.equal(c.SerialNumberHex, f.serialHex.toLowerCase(), 'SerialNumberHex');
  const serial = BigInt('0x' + f.serialHex);
  assert.deepEqual(c.SerialNumber, serial <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(serial) : serial.toString(), 'SerialNumber');
  assert.equal(Date.parse(c.NotBefore as string), f.notBefore, 'NotBefore');
  assert.equal(Date.parse(c.NotAfter as string), f.notAfter, 'NotAfter');
  assert.deepEqual(c.Subject, goName(f.subject), 'Subject');
  assert.deepEqual(c.Issuer, goName(f.issuer), 'Issuer');
  assert.equal(c.SubjectString, goStrings.subject ?? f.subject, 'SubjectString');
  assert.equal(c.IssuerString, goStrings.issuer ?? f.issuer, 'IssuerString');
  const sig = SIGNATURE_ALGORITHMS[f.sigAlg];
  assert.ok(sig, f.sigAlg);
  assert.deepEqual([c.SignatureAlgorithm, c.SignatureAlgorithmName], sig, 'SignatureAlgorithm');
  const key = KEY_ALGORITHMS[f.keyAlg];
  assert.ok(key, f.keyAlg);
  assert.deepEqual([c.PublicKeyAlgorithm, c.PublicKeyAlgorithmName], key, 'PublicKeyAlgorithm');

  const usages = (f.ext.get('Key Usage')?.[0]?.split(', ') ?? []).map((u) => KEY_USAGES[u]!);
  assert.equal(c.KeyUsage, usages.reduce((a, [bit]) => a | bit, 0), 'KeyUsage');
  assert.deepEqual(c.KeyUsageNames, usages.sort((a, b) => a[0] - b[0]).map(([, n]) => n), 'KeyUsageNames');

  const eku = f.ext.get('Extended Key Usage')?.[0]?.split(', ') ?? null;
  const known = eku?.filter((u) => EXT_KEY_USAGES[u]).map((u) => EXT_KEY_USAGES[u]!) ?? [];
  const unknown = eku?.filter((u) => !EXT_KEY_USAGES[u]) ?? [];
  assert.deepEqual(c.ExtKeyUsage, known.length ? known.map(([n]) => n) : null, 'ExtKeyUsage');
  assert.deepEqual(c.UnknownExtKeyUsage, unknown.length ? unknown.map((o) => o.split('.').map(Number)) : null, 'UnknownExtKeyUsage');
  assert.deepEqual(c.ExtKeyUsageNames, [...known.map(([, n]) => n), ...unknown], 'ExtKeyUsageNames');

  const basic = f.ext.get('Basic Constraints')?.[0];
  const pathLen = basic && /pathlen:(\d+)/.exec(basic);
  assert.equal(c.BasicConstraintsValid, basic !== undefined, 'BasicConstraintsValid');
  assert.equal(c.IsCA, basic?.startsWith('CA:TRUE') ?? false, 'IsCA');
  assert.equal(c.MaxPathLen, basic === undefined ? 0 : pathLen ? Number(pathLen[1]) : -1, 'MaxPathLen');
  assert.equal(c.MaxPathLenZero, pathLen ? pathLen[1] === '0' : false, 'MaxPathLenZero');

  const ski = f.ext.get('Subject Key Identifier')?.[0];
  assert.equal(c.SubjectKeyId, ski ? hexToBase64(ski) : null, 'SubjectKeyId');
  const aki = f.ext.get('Authority Key Identifier')?.[0];
  assert.equal(c.AuthorityKeyId, aki ? hexToBase64(aki) : null, 'AuthorityKeyId');

  const san = f.ext.get('Subject Alternative Name')?.[0]?.split(', ') ?? [];
  const sanOf = (prefix: string) => {
    const v = san.filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length));
    return v.length ? v : null;
  };
  assert.deepEqual(c.DNSNames, sanOf('DNS:'), 'DNSNames');
  assert.deepEqual(c.EmailAddresses, sanOf('email:'), 'EmailAddresses');
  assert.deepEqual(c.URIs, sanOf('URI:'), 'URIs');
  assert.deepEqual((c.IPAddresses as string[] | null)?.map(ipKey) ?? null, sanOf('IP Address:')?.map(ipKey) ?? null, 'IPAddresses');

  const aia = f.ext.get('Authority Information Access') ?? [];
  const aiaOf = (prefix: string) => {
    const v = aia.filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length));
    return v.length ? v : null;
  };
  assert.deepEqual(c.OCSPServer, aiaOf('OCSP - URI:'), 'OCSPServer');
  assert.deepEqual(c.IssuingCertificateURL, aiaOf('CA Issuers - URI:'), 'IssuingCertificateURL');
  const crl = (f.ext.get('CRL Distribution Points') ?? []).filter((s) => s.startsWith('URI:')).map((s) => s.slice(4));
  assert.deepEqual(c.CRLDistributionPoints, crl.length ? crl : null, 'CRLDistributionPoints');
  const policies = (f.ext.get('Certificate Policies') ?? []).filter((s) => s.startsWith('Policy: ')).map((s) => s.slice(8));
  assert.deepEqual(c.Policies, policies.length ? policies : null, 'Policies');
  assert.deepEqual(c.PolicyIdentifiers, policies.length ? policies.map((p) => p.split('.').map(Number)) : null, 'PolicyIdentifiers');

  assert.equal(c.FingerprintSHA1, f.sha1, 'FingerprintSHA1');
  assert.equal(c.FingerprintSHA256, f.sha256, 'FingerprintSHA256');
}

/** Go's pkix.Name.String() where openssl's RFC 2253 order (the DER's, reversed) differs from Go's canonical order. */
const GO_STRINGS: Partial<Record<Name, { subject?: string; issuer?: string }>> = {
  // emailAddress has no short name in Go: its value re-marshalled as a UTF8String (0x0c, 17 bytes), printed last.
  leaf: { subject: 'CN=leaf.example.com,O=Acme\\, Inc.,C=US,1.2.840.113549.1.9.1=#0c1161646d696e406578616d706c652e636f6d' },
  v1: { subject: 'CN=leaf.example.com,O=Acme\\, Inc.,C=US,1.2.840.113549.1.9.1=#0c1161646d696e406578616d706c652e636f6d' },
  // CN comes before O in the DER; Go prints the fields in its own order.
  ecca: { subject: 'CN=EC Root,O=Acme EC', issuer: 'CN=EC Root,O=Acme EC' },
  ecsub: { issuer: 'CN=EC Root,O=Acme EC' },
};

async function parse(data: unknown): Promise<{ certs: Cert[] | null; logs: string[] }> {
  const { rows, logs } = await query(`SELECT parse_x509(data=D) AS C FROM scope()`, { D: data });
  return { certs: rows[0]!.C as Cert[] | null, logs };
}

// ---------------------------------------------------------------------------------------------

describe('parse_x509', { skip }, () => {
  const info: Record<Name, Facts> = {} as never;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vql-x509-'));
    makeCertificates();
    for (const n of NAMES) info[n] = facts(n);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const n of NAMES) {
    test(`${n}: every member agrees with openssl (DER input)`, async () => {
      const { certs, logs } = await parse(new Uint8Array(der[n]));
      assert.deepEqual(logs, []);
      assert.equal(certs?.length, 1);
      checkAgainstOpenssl(certs[0]!, info[n], GO_STRINGS[n]);
    });
  }

  test('the members and their order follow Go\'s x509.Certificate, then ours', async () => {
    const { certs } = await parse(new Uint8Array(der.leaf));
    assert.deepEqual(Object.keys(certs![0]!), [
      'SignatureAlgorithm', 'PublicKeyAlgorithm', 'Version', 'SerialNumber', 'Issuer', 'Subject', 'NotBefore', 'NotAfter',
      'KeyUsage', 'ExtKeyUsage', 'UnknownExtKeyUsage', 'BasicConstraintsValid', 'IsCA', 'MaxPathLen', 'MaxPathLenZero',
      'SubjectKeyId', 'AuthorityKeyId', 'OCSPServer', 'IssuingCertificateURL', 'DNSNames', 'EmailAddresses', 'IPAddresses',
      'URIs', 'CRLDistributionPoints', 'PolicyIdentifiers', 'Policies',
      'SubjectString', 'IssuerString', 'SerialNumberHex', 'SignatureAlgorithmName', 'PublicKeyAlgorithmName',
      'KeyUsageNames', 'ExtKeyUsageNames', 'FingerprintSHA1', 'FingerprintSHA256',
    ]);
  });

  test('spot values: Go\'s numbers, IP text, base64 key ids, a big serial as decimal text', async () => {
    const { certs } = await parse(new Uint8Array(der.leaf));
    const leaf = certs![0]!;
    assert.equal(leaf.SerialNumber, 4660);
    assert.equal(leaf.KeyUsage, 1 | 4);
    assert.deepEqual(leaf.ExtKeyUsage, [1, 2, 3]);
    assert.deepEqual(leaf.UnknownExtKeyUsage, [[1, 2, 3, 4, 5]]);
    assert.deepEqual(leaf.IPAddresses, ['192.0.2.7', '2001:db8::1']);
    assert.deepEqual(leaf.URIs, ['https://example.com/path?q=1']);
    assert.equal(leaf.IsCA, false);
    assert.equal(leaf.BasicConstraintsValid, true);
    assert.equal(leaf.MaxPathLen, -1);
    const ca = (await parse(new Uint8Array(der.ca))).certs![0]!;
    assert.equal(ca.SerialNumber, BigInt('0x00f123456789abcdef0123456789abcdef01').toString());
    assert.equal(ca.SerialNumberHex, 'f123456789abcdef0123456789abcdef01');
    assert.equal(leaf.AuthorityKeyId, ca.SubjectKeyId);
    const ecsub = (await parse(new Uint8Array(der.ecsub))).certs![0]!;
    // 2^63 - 1 does not fit in a double exactly: decimal text.
    assert.equal(ecsub.SerialNumber, '9223372036854775807');
    assert.equal(ecsub.MaxPathLenZero, true);
    const v1 = (await parse(new Uint8Array(der.v1))).certs![0]!;
    assert.equal(v1.Version, 1);
    assert.equal(v1.BasicConstraintsValid, false);
    assert.equal(v1.MaxPathLen, 0);
    assert.equal(v1.DNSNames, null);
  });

  test('DER certificates end to end: one dict each, in order', async () => {
    const { certs, logs } = await parse(new Uint8Array(Buffer.concat(NAMES.map((n) => der[n]))));
    assert.deepEqual(logs, []);
    assert.equal(certs?.length, NAMES.length);
    NAMES.forEach((n, i) => checkAgainstOpenssl(certs[i]!, info[n], GO_STRINGS[n]));
  });

  test('PEM text: every CERTIFICATE block, other blocks ignored, same result as DER', async () => {
    const text = [pem.ca, readFileSync(path('leaf.key'), 'utf8'), 'some comment\n', pem.leaf, pem.ecsub].join('');
    const { certs, logs } = await parse(text);
    assert.deepEqual(logs, []);
    const fromDer = (await parse(new Uint8Array(Buffer.concat([der.ca, der.leaf, der.ecsub])))).certs;
    assert.deepEqual(certs, fromDer);
    // CRLF line ends and a file read through read_file().
    const crlf = path('bundle-crlf.pem');
    writeFileSync(crlf, text.replaceAll('\n', '\r\n'));
    const { rows } = await query(`SELECT parse_x509(data=read_file(filename=F)).SubjectString AS S FROM scope()`, { F: crlf });
    assert.deepEqual(rows[0]!.S, fromDer!.map((c) => c.SubjectString));
  });

  test('garbage, truncated, key-only and bad PEM input give NULL and one error; the query goes on with the next row', async () => {
    const half = new Uint8Array(der.leaf.subarray(0, der.leaf.length >> 1));
    const { rows, logs } = await query(
      `SELECT Name, parse_x509(data=Data)[0].Subject.CommonName AS CN FROM foreach(row=Inputs)`,
      {
        Inputs: [
          { Name: 'garbage', Data: 'hello, this is not a certificate' },
          { Name: 'truncated', Data: half },
          { Name: 'key only', Data: readFileSync(path('leaf.key'), 'utf8') },
          { Name: 'empty', Data: '' },
          { Name: 'bad base64', Data: '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n' },
          { Name: 'PEM not a certificate', Data: '-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n' },
          { Name: 'good', Data: new Uint8Array(der.leaf) },
        ],
      },
    );
    assert.deepEqual(rows, [
      { Name: 'garbage', CN: null },
      { Name: 'truncated', CN: null },
      { Name: 'key only', CN: null },
      { Name: 'empty', CN: null },
      { Name: 'bad base64', CN: null },
      { Name: 'PEM not a certificate', CN: null },
      { Name: 'good', CN: 'leaf.example.com' },
    ]);
    assert.equal(logs.length, 6, logs.join('\n'));
    assert.match(logs[0]!, /^error: parse_x509: data=<32 bytes>: no certificate: 32 bytes at offset 0 are not a DER certificate: tag 0x68 is not a SEQUENCE \(0x30\)$/);
    assert.match(logs[1]!, new RegExp(`^error: parse_x509: data=<${half.length} bytes>: no certificate: .*runs past its container`));
    assert.match(logs[2]!, /^error: parse_x509: data=<\d+ bytes>: no certificate: no CERTIFICATE block in the PEM text \(found PRIVATE KEY\)$/);
    assert.equal(logs[3], 'error: parse_x509: data=<0 bytes>: no certificate: empty input');
    assert.match(logs[4]!, /^error: parse_x509: data=<\d+ bytes>: no certificate: PEM block 1 \(CERTIFICATE\): invalid base64$/);
    // MAMCAQE= is SEQUENCE { INTEGER 1 }.
    assert.match(logs[5]!, /^error: parse_x509: data=<\d+ bytes>: no certificate: PEM block 1 \(CERTIFICATE\): TBSCertificate: expected tag 0x30, found 0x2$/);
  });

  test('a damaged certificate among good ones is skipped with a warning naming it', async () => {
    // The leaf's serial number tag (INTEGER) turned into an OCTET STRING: the outer lengths still hold.
    const bad = Buffer.from(der.leaf);
    const tbs = 4; // SEQUENCE (4-byte header) > SEQUENCE (4-byte header) > [0] version (5 bytes) > serial
    assert.equal(bad[tbs + 4 + 5], 0x02);
    bad[tbs + 4 + 5] = 0x04;
    const tail = Buffer.from('junk after the certificates');
    const { certs, logs } = await parse(new Uint8Array(Buffer.concat([der.ca, bad, der.ecca, tail])));
    assert.deepEqual(certs!.map((c) => c.SubjectString), [info.ca.subject, 'CN=EC Root,O=Acme EC']);
    assert.equal(logs.length, 1, logs.join('\n'));
    assert.ok(logs[0]!.startsWith(`warn: parse_x509: data=<${der.ca.length + bad.length + der.ecca.length + tail.length} bytes>: 2 certificates parsed, skipped: `), logs[0]);
    assert.match(logs[0]!, new RegExp(`certificate 2 \\(offset ${der.ca.length}\\): serial number: expected tag 0x2, found 0x4`));
    assert.match(logs[0]!, new RegExp(`${tail.length} bytes at offset ${der.ca.length + bad.length + der.ecca.length} are not a DER certificate`));
  });

  test('in VQL: members, times and filters', async () => {
    const { rows, logs } = await query(
      `SELECT Subject.CommonName AS CN, NotAfter.Year AS Year, NotAfter > NotBefore AS Ordered, IsCA
       FROM foreach(row=parse_x509(data=D)) WHERE 'CertSign' IN KeyUsageNames ORDER BY CN`,
      { D: new Uint8Array(Buffer.concat([der.ca, der.leaf, der.ecca, der.ecsub])) },
    );
    assert.deepEqual(logs, []);
    assert.deepEqual(rows, [
      { CN: 'Acme Test Root CA', Year: new Date(info.ca.notAfter).getUTCFullYear(), Ordered: true, IsCA: true },
      { CN: 'EC Sub CA', Year: new Date(info.ecsub.notAfter).getUTCFullYear(), Ordered: true, IsCA: true },
    ]);
  });

  test('Windows.System.RootCAStore: the artifact\'s own GetCert, GetFinger and GetName over a registry certificate blob', {
    skip: existsSync(ROOT_CA_STORE) ? false : `../shared is absent (${ROOT_CA_STORE}): the RootCAStore path is not run`,
  }, async () => {
    const artifact = loadYaml(readFileSync(ROOT_CA_STORE, 'utf8')) as { sources: Array<{ query: string }> };
    const source = artifact.sources[0]!.query;
    const cut = source.indexOf('// Glob for certificates');
    assert.ok(cut > 0, 'the artifact still has its LET statements before the glob');
    const lets = source.slice(0, cut);
    assert.match(lets, /parse_x509\(data=Data\)\[0\] AS Cert/);
    const sha1 = createHash('sha1').update(der.ca).digest();
    const blob = certStoreBlob([
      [3, sha1],
      [11, Buffer.from('Acme Test Root\0', 'utf16le')],
      [20, Buffer.from('0123456789abcdef0123', 'latin1')],
      [32, der.ca],
    ]);
    const { rows, logs } = await query(
      `${lets}
       SELECT GetName(CertData=Blob)[0].Name AS Name, GetFinger(CertData=Blob)[0].FingerPrint AS FingerPrint,
              GetCert(CertData=Blob)[0].Cert AS Certificate
       FROM scope()`,
      { Blob: new Uint8Array(blob) },
    );
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(row.Name, 'Acme Test Root');
    assert.equal(row.FingerPrint, sha1.toString('hex'));
    const direct = (await parse(new Uint8Array(der.ca))).certs![0]!;
    assert.deepEqual(row.Certificate, direct);
    checkAgainstOpenssl(row.Certificate as Cert, info.ca);
    assert.equal((row.Certificate as Cert).FingerprintSHA1, row.FingerPrint);
    assert.deepEqual(logs, []);
  });
});
