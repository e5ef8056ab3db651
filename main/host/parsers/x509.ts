/**
 * `parse_x509(data)`: Velociraptor's X.509 certificate parser (Windows.System.RootCAStore:
 * `parse_x509(data=Data)[0] AS Cert`). `data` is one or more DER certificates end to end, or PEM
 * text (every CERTIFICATE block in it); the result is a list with one dict per certificate.
 *
 * Velociraptor hands back Go's crypto/x509.Certificate, which reaches the user as its JSON
 * encoding; Velociraptor's source is not in ../shared, so the shape is Go's as best known. The
 * members, in Go's struct order (a Go nil slice is NULL, as Go's JSON gives it):
 *
 * - `SignatureAlgorithm`, `PublicKeyAlgorithm`: Go's enum ints (encoding/json does not use
 *   their String()): SHA256WithRSA = 4, ECDSAWithSHA256 = 10, ...; RSA = 1, ECDSA = 3, ...;
 *   0 for an algorithm Go does not know;
 * - `Version` (3 for v3: Go adds one to the encoded value), `SerialNumber` (a number when it
 *   fits in a double exactly, else its decimal text: Go's big.Int is a JSON number of any size,
 *   which a VQL number cannot hold);
 * - `Issuer`, `Subject`: Go's pkix.Name {Country, Organization, OrganizationalUnit, Locality,
 *   Province, StreetAddress, PostalCode (lists), SerialNumber, CommonName (text), Names (every
 *   attribute in order, {Type, Value}), ExtraNames (always NULL on a parsed certificate)}.
 *   `Type` is Go's asn1.ObjectIdentifier, which JSON writes as a list of ints: [2, 5, 4, 3];
 * - `NotBefore`, `NotAfter`: times;
 * - `KeyUsage`: Go's bits (DigitalSignature 1, ContentCommitment 2, KeyEncipherment 4,
 *   DataEncipherment 8, KeyAgreement 16, CertSign 32, CRLSign 64, EncipherOnly 128,
 *   DecipherOnly 256); `ExtKeyUsage`: Go's ints (ServerAuth 1, ClientAuth 2, CodeSigning 3, ...),
 *   `UnknownExtKeyUsage`: the other OIDs as lists of ints;
 * - `BasicConstraintsValid`, `IsCA`, `MaxPathLen` (-1 when the extension has no pathLen, 0
 *   without the extension), `MaxPathLenZero`;
 * - `SubjectKeyId`, `AuthorityKeyId`: base64 (Go's JSON of []byte);
 * - `OCSPServer`, `IssuingCertificateURL` (authority information access), `DNSNames`,
 *   `EmailAddresses`, `IPAddresses` (Go's net.IP text), `URIs` (the URI text: Go's JSON would
 *   spell out a url.URL struct), `CRLDistributionPoints`, `PolicyIdentifiers` (lists of ints)
 *   and `Policies` (dotted text: Go's x509.OID marshals as text).
 *
 * Left out: the raw blobs (Raw, RawTBSCertificate, RawSubjectPublicKeyInfo, RawSubject,
 * RawIssuer, Signature), PublicKey, Extensions, ExtraExtensions, UnhandledCriticalExtensions and
 * the name constraints (Permitted... / Excluded...).
 *
 * Ours, after Go's members (Go's struct has none of these names): `SubjectString`,
 * `IssuerString` (Go's pkix.Name.String(): "CN=Leaf,O=Acme,C=US"), `SerialNumberHex` (lower-case
 * hex, as certutil and openssl show serials), `SignatureAlgorithmName` and
 * `PublicKeyAlgorithmName` (Go's String() of the enums, or the dotted OID when Go has no name),
 * `KeyUsageNames` and `ExtKeyUsageNames` (Go's constant names without the prefix; unknown
 * extended usages as dotted OIDs), `FingerprintSHA1` and `FingerprintSHA256` (lower-case hex of
 * the DER: SHA-1 is Windows' thumbprint).
 *
 * Nothing is verified (signatures, chains, validity). A certificate that does not decode is
 * skipped with a warning naming it and the others are returned; when none decodes the result
 * is NULL and one error says why: `parse_x509: data=<120 bytes>: not a DER certificate: ...`.
 */
import { createHash } from 'node:crypto';
import { VDict, VTime, type FunctionDef, type Value } from '../../vql/index.ts';
import { ipString } from '../net/ip-address.ts';
import { textBytes } from '../files/text.ts';
import { errorText } from './common.ts';
import { DN_SHORT_NAMES, DerError, children, content, der, encoding, escapeDn, hexOf, integer, oid, stringText, timeText, type Der } from './der.ts';

/** Signature algorithm OID -> [Go's x509.SignatureAlgorithm, its String()]. RSASSA-PSS depends on its hash (pssAlgorithm). */
const SIGNATURE_ALGORITHMS: ReadonlyMap<string, readonly [number, string]> = new Map([
  ['1.2.840.113549.1.1.2', [1, 'MD2-RSA']], ['1.2.840.113549.1.1.4', [2, 'MD5-RSA']],
  ['1.2.840.113549.1.1.5', [3, 'SHA1-RSA']], ['1.3.14.3.2.29', [3, 'SHA1-RSA']],
  ['1.2.840.113549.1.1.11', [4, 'SHA256-RSA']], ['1.2.840.113549.1.1.12', [5, 'SHA384-RSA']],
  ['1.2.840.113549.1.1.13', [6, 'SHA512-RSA']], ['1.2.840.10040.4.3', [7, 'DSA-SHA1']],
  ['2.16.840.1.101.3.4.3.2', [8, 'DSA-SHA256']], ['1.2.840.10045.4.1', [9, 'ECDSA-SHA1']],
  ['1.2.840.10045.4.3.2', [10, 'ECDSA-SHA256']], ['1.2.840.10045.4.3.3', [11, 'ECDSA-SHA384']],
  ['1.2.840.10045.4.3.4', [12, 'ECDSA-SHA512']], ['1.3.101.112', [16, 'Ed25519']],
]);
const OID_RSASSA_PSS = '1.2.840.113549.1.1.10';
const PSS_BY_HASH: ReadonlyMap<string, readonly [number, string]> = new Map([
  ['2.16.840.1.101.3.4.2.1', [13, 'SHA256-RSAPSS']], ['2.16.840.1.101.3.4.2.2', [14, 'SHA384-RSAPSS']],
  ['2.16.840.1.101.3.4.2.3', [15, 'SHA512-RSAPSS']],
]);

/** Public key algorithm OID -> [Go's x509.PublicKeyAlgorithm, its String()]. */
const PUBLIC_KEY_ALGORITHMS: ReadonlyMap<string, readonly [number, string]> = new Map([
  ['1.2.840.113549.1.1.1', [1, 'RSA']], ['1.2.840.10040.4.1', [2, 'DSA']],
  ['1.2.840.10045.2.1', [3, 'ECDSA']], ['1.3.101.112', [4, 'Ed25519']],
]);

/** Go's KeyUsage bits in order (bit i of the BIT STRING is 1 << i). */
const KEY_USAGES = ['DigitalSignature', 'ContentCommitment', 'KeyEncipherment', 'DataEncipherment', 'KeyAgreement', 'CertSign', 'CRLSign', 'EncipherOnly', 'DecipherOnly'];

/** Go's ExtKeyUsage values, by OID. */
const EXT_KEY_USAGES: ReadonlyMap<string, readonly [number, string]> = new Map([
  ['2.5.29.37.0', [0, 'Any']], ['1.3.6.1.5.5.7.3.1', [1, 'ServerAuth']], ['1.3.6.1.5.5.7.3.2', [2, 'ClientAuth']],
  ['1.3.6.1.5.5.7.3.3', [3, 'CodeSigning']], ['1.3.6.1.5.5.7.3.4', [4, 'EmailProtection']],
  ['1.3.6.1.5.5.7.3.5', [5, 'IPSECEndSystem']], ['1.3.6.1.5.5.7.3.6', [6, 'IPSECTunnel']],
  ['1.3.6.1.5.5.7.3.7', [7, 'IPSECUser']], ['1.3.6.1.5.5.7.3.8', [8, 'TimeStamping']],
  ['1.3.6.1.5.5.7.3.9', [9, 'OCSPSigning']], ['1.3.6.1.4.1.311.10.3.3', [10, 'MicrosoftServerGatedCrypto']],
  ['2.16.840.1.113730.4.1', [11, 'NetscapeServerGatedCrypto']], ['1.3.6.1.4.1.311.2.1.22', [12, 'MicrosoftCommercialCodeSigning']],
  ['1.3.6.1.4.1.311.61.1.1', [13, 'MicrosoftKernelCodeSigning']],
]);

/** The 2.5.4.N attributes pkix.Name has fields for (their short names are der.ts's DN_SHORT_NAMES). */
const NAME_FIELDS: ReadonlyMap<string, string> = new Map([
  ['2.5.4.6', 'Country'], ['2.5.4.10', 'Organization'], ['2.5.4.11', 'OrganizationalUnit'], ['2.5.4.7', 'Locality'],
  ['2.5.4.8', 'Province'], ['2.5.4.9', 'StreetAddress'], ['2.5.4.17', 'PostalCode'], ['2.5.4.5', 'SerialNumber'],
  ['2.5.4.3', 'CommonName'],
]);
/** Each field's short name in Name.String() (`CN`, `O`...). */
const FIELD_SHORT: ReadonlyMap<string, string> = new Map([...NAME_FIELDS].map(([oid, field]) => [field, DN_SHORT_NAMES.get(oid)!]));
const LIST_FIELDS = ['Country', 'Organization', 'OrganizationalUnit', 'Locality', 'Province', 'StreetAddress', 'PostalCode'];
/** pkix.Name.ToRDNSequence()'s order (String() prints it reversed). */
const RDN_ORDER = ['Country', 'Province', 'Locality', 'StreetAddress', 'PostalCode', 'Organization', 'OrganizationalUnit', 'CommonName', 'SerialNumber'];

const STRING_TAGS = new Set([0x0c, 0x12, 0x13, 0x14, 0x16, 0x1a, 0x1c, 0x1e]);

const OID_AIA_OCSP = '1.3.6.1.5.5.7.48.1';
const OID_AIA_CA_ISSUERS = '1.3.6.1.5.5.7.48.2';

function arcs(dotted: string): number[] {
  return dotted.split('.').map(Number);
}

function expect(e: Der | undefined, tag: number, what: string): Der {
  if (!e) throw new DerError(`${what} is missing`);
  if (e.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${e.tag.toString(16)}`);
  return e;
}

/** An (unsigned-looking) DER length, for re-encoding a value. */
function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return [0x80 | out.length, ...out];
}

/**
 * The DER Go's asn1.Marshal gives a string value (PrintableString when every character is in
 * its set, else UTF8String): what Name.String() prints as `#hex` for an attribute it has no
 * short name for.
 */
function goMarshalString(s: string): Uint8Array {
  const body = Buffer.from(s, 'utf8');
  const tag = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s) ? 0x13 : 0x0c;
  return Uint8Array.from([tag, ...derLength(body.length), ...body]);
}

interface Attribute {
  type: string;
  value: string;
}

/** A Name as Go's pkix.Name (FillFromRDNSequence) and its String(). */
function decodeName(e: Der): { name: VDict; text: string } {
  const attrs: Attribute[] = [];
  for (const set of children(e)) {
    for (const atv of children(set)) {
      const [type, value] = children(atv);
      if (!type || !value) throw new DerError('malformed name attribute');
      // A value that is not a string (Go refuses the certificate) is kept as its RFC 4514 #hex.
      attrs.push({ type: oid(type), value: STRING_TAGS.has(value.tag) ? stringText(value) : `#${hexOf(encoding(value))}` });
    }
  }
  const fields: Record<string, string[]> = {};
  let commonName = '';
  let serialNumber = '';
  for (const a of attrs) {
    const f = NAME_FIELDS.get(a.type);
    if (f === 'CommonName') commonName = a.value;
    else if (f === 'SerialNumber') serialNumber = a.value;
    else if (f) (fields[f] ??= []).push(a.value);
  }
  const name = new VDict();
  for (const f of LIST_FIELDS) name.set(f, fields[f] ?? null);
  name.set('SerialNumber', serialNumber);
  name.set('CommonName', commonName);
  name.set('Names', attrs.length ? attrs.map((a) => new VDict([['Type', arcs(a.type)], ['Value', a.value]])) : null);
  name.set('ExtraNames', null);

  // Name.String(): the attributes without a field first (so they print last), then the fields.
  const rdns: string[][] = attrs.filter((a) => !NAME_FIELDS.has(a.type)).map((a) => [`${a.type}=#${hexOf(goMarshalString(a.value))}`]);
  for (const f of RDN_ORDER) {
    const short = FIELD_SHORT.get(f)!;
    const values = f === 'CommonName' ? (commonName ? [commonName] : []) : f === 'SerialNumber' ? (serialNumber ? [serialNumber] : []) : (fields[f] ?? []);
    if (values.length) rdns.push(values.map((v) => `${short}=${escapeDn(v)}`));
  }
  return { name, text: rdns.reverse().map((r) => r.join('+')).join(',') };
}

function time(e: Der | undefined, what: string): VTime {
  if (!e || (e.tag !== 0x17 && e.tag !== 0x18)) throw new DerError(`${what} is not a time`);
  const text = timeText(e);
  const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw new DerError(`${what}: invalid time ${JSON.stringify(text)}`);
  return VTime.fromMillis(ms);
}

/** Go's SignatureAlgorithm of an AlgorithmIdentifier, with its name (the OID when Go has none). */
function signatureAlgorithm(alg: Der): readonly [number, string] {
  const [id, params] = children(alg);
  const o = id ? oid(id) : '';
  if (o === OID_RSASSA_PSS) {
    // RSASSA-PSS-params: [0] hashAlgorithm (default SHA-1, which Go does not support).
    const hash = params && params.tag === 0x30 ? children(params).find((x) => x.tag === 0xa0) : undefined;
    const hashId = hash && children(hash)[0] && children(children(hash)[0]!)[0];
    return (hashId && PSS_BY_HASH.get(oid(hashId))) || [0, o];
  }
  return SIGNATURE_ALGORITHMS.get(o) ?? [0, o];
}

/** A GeneralName's text for the choices Go keeps: rfc822Name [1], dNSName [2], URI [6], iPAddress [7]. */
function generalName(g: Der): { kind: 'email' | 'dns' | 'uri' | 'ip'; text: string } | null {
  const b = content(g);
  switch (g.tag) {
    case 0x81:
      return { kind: 'email', text: Buffer.from(b).toString('latin1') };
    case 0x82:
      return { kind: 'dns', text: Buffer.from(b).toString('latin1') };
    case 0x86:
      return { kind: 'uri', text: Buffer.from(b).toString('latin1') };
    case 0x87:
      if (b.length !== 4 && b.length !== 16) throw new DerError(`IP address of ${b.length} bytes in a name`);
      return { kind: 'ip', text: ipString(b) };
    default:
      return null;
  }
}

/** Extension values, as Go's Certificate fields (a nil slice stays null). */
interface Extensions {
  KeyUsage: number;
  ExtKeyUsage: number[] | null;
  UnknownExtKeyUsage: string[] | null;
  BasicConstraintsValid: boolean;
  IsCA: boolean;
  MaxPathLen: number;
  MaxPathLenZero: boolean;
  SubjectKeyId: string | null;
  AuthorityKeyId: string | null;
  OCSPServer: string[] | null;
  IssuingCertificateURL: string[] | null;
  DNSNames: string[] | null;
  EmailAddresses: string[] | null;
  IPAddresses: string[] | null;
  URIs: string[] | null;
  CRLDistributionPoints: string[] | null;
  Policies: string[] | null;
}

function push<K extends keyof Extensions>(x: Extensions, key: K, v: string | number): void {
  ((x[key] as Array<string | number> | null) ??= [] as never).push(v);
}

/** Decodes the extensions Go turns into fields; the others are ignored. */
function extensions(list: Der | undefined): Extensions {
  const x: Extensions = {
    KeyUsage: 0, ExtKeyUsage: null, UnknownExtKeyUsage: null, BasicConstraintsValid: false, IsCA: false, MaxPathLen: 0,
    MaxPathLenZero: false, SubjectKeyId: null, AuthorityKeyId: null, OCSPServer: null, IssuingCertificateURL: null,
    DNSNames: null, EmailAddresses: null, IPAddresses: null, URIs: null, CRLDistributionPoints: null, Policies: null,
  };
  if (!list) return x;
  for (const ext of children(expect(children(list)[0], 0x30, 'extensions'))) {
    const parts = children(ext);
    const id = oid(expect(parts[0], 0x06, 'extension id'));
    const octets = expect(parts[parts.length - 1], 0x04, `extension ${id} value`);
    const value = der(octets.bytes, octets.start, octets.end);
    try {
      extension(x, id, value);
    } catch (e) {
      throw new DerError(`extension ${id}: ${errorText(e)}`);
    }
  }
  return x;
}

function extension(x: Extensions, id: string, v: Der): void {
  switch (id) {
    case '2.5.29.15': {
      // KeyUsage BIT STRING: bit i (most significant first) is Go's 1 << i.
      const b = content(expect(v, 0x03, 'key usage'));
      const bitLength = (b.length - 1) * 8 - (b[0] ?? 0);
      for (let i = 0; i < KEY_USAGES.length && i < bitLength; i++) if ((b[1 + (i >> 3)]! >> (7 - (i & 7))) & 1) x.KeyUsage |= 1 << i;
      return;
    }
    case '2.5.29.37':
      for (const u of children(expect(v, 0x30, 'extended key usage'))) {
        const o = oid(u);
        const known = EXT_KEY_USAGES.get(o);
        if (known) push(x, 'ExtKeyUsage', known[0]);
        else push(x, 'UnknownExtKeyUsage', o);
      }
      return;
    case '2.5.29.19': {
      const [first, second] = children(expect(v, 0x30, 'basic constraints'));
      const isCA = first?.tag === 0x01 ? content(first)[0] !== 0 : false;
      const len = [first, second].find((e) => e?.tag === 0x02);
      x.BasicConstraintsValid = true;
      x.IsCA = isCA;
      x.MaxPathLen = len ? Number(integer(len)) : -1;
      x.MaxPathLenZero = x.MaxPathLen === 0;
      return;
    }
    case '2.5.29.14':
      x.SubjectKeyId = Buffer.from(content(expect(v, 0x04, 'subject key id'))).toString('base64');
      return;
    case '2.5.29.35': {
      const keyId = children(expect(v, 0x30, 'authority key id')).find((e) => e.tag === 0x80);
      if (keyId) x.AuthorityKeyId = Buffer.from(content(keyId)).toString('base64');
      return;
    }
    case '2.5.29.17':
      for (const g of children(expect(v, 0x30, 'subject alternative name'))) {
        const n = generalName(g);
        if (n) push(x, ({ email: 'EmailAddresses', dns: 'DNSNames', uri: 'URIs', ip: 'IPAddresses' } as const)[n.kind], n.text);
      }
      return;
    case '1.3.6.1.5.5.7.1.1':
      for (const ad of children(expect(v, 0x30, 'authority information access'))) {
        const [method, location] = children(ad);
        if (!method || !location || location.tag !== 0x86) continue;
        const m = oid(method);
        const url = Buffer.from(content(location)).toString('latin1');
        if (m === OID_AIA_OCSP) push(x, 'OCSPServer', url);
        else if (m === OID_AIA_CA_ISSUERS) push(x, 'IssuingCertificateURL', url);
      }
      return;
    case '2.5.29.31':
      // DistributionPoint { [0] distributionPoint { [0] fullName GeneralNames } }: the URIs.
      for (const dp of children(expect(v, 0x30, 'CRL distribution points'))) {
        const point = children(dp).find((e) => e.tag === 0xa0);
        const full = point && children(point).find((e) => e.tag === 0xa0);
        for (const g of full ? children(full) : []) if (g.tag === 0x86) push(x, 'CRLDistributionPoints', Buffer.from(content(g)).toString('latin1'));
      }
      return;
    case '2.5.29.32':
      for (const p of children(expect(v, 0x30, 'certificate policies'))) push(x, 'Policies', oid(expect(children(p)[0], 0x06, 'policy id')));
      return;
  }
}

/** A serial number as a number when exact in a double, else its decimal text. */
function serialValue(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
}

function serialHex(v: bigint): string {
  const h = (v < 0n ? -v : v).toString(16);
  return (v < 0n ? '-' : '') + (h.length % 2 ? '0' + h : h);
}

/** One certificate (the whole DER element) as the result dict; throws a DerError when it does not decode. */
export function certificateValue(cert: Der): VDict {
  const [tbs, sigAlg] = children(expect(cert, 0x30, 'certificate'));
  let f = children(expect(tbs, 0x30, 'TBSCertificate'));
  let version = 1;
  if (f[0]?.tag === 0xa0) {
    version = Number(integer(expect(children(f[0])[0], 0x02, 'version'))) + 1;
    f = f.slice(1);
  }
  const serial = integer(expect(f[0], 0x02, 'serial number'));
  const issuer = decodeName(expect(f[2], 0x30, 'issuer'));
  const [notBefore, notAfter] = children(expect(f[3], 0x30, 'validity'));
  const subject = decodeName(expect(f[4], 0x30, 'subject'));
  const spki = children(expect(f[5], 0x30, 'subject public key info'));
  const keyAlgId = children(expect(spki[0], 0x30, 'public key algorithm'))[0];
  const keyAlg = keyAlgId ? oid(keyAlgId) : '';
  const [keyAlgInt, keyAlgName] = PUBLIC_KEY_ALGORITHMS.get(keyAlg) ?? [0, keyAlg];
  const [sigAlgInt, sigAlgName] = signatureAlgorithm(expect(sigAlg, 0x30, 'signature algorithm'));
  const x = extensions(f.slice(6).find((e) => e.tag === 0xa3));
  const raw = encoding(cert);
  const unknownEku = x.UnknownExtKeyUsage;
  return new VDict([
    ['SignatureAlgorithm', sigAlgInt],
    ['PublicKeyAlgorithm', keyAlgInt],
    ['Version', version],
    ['SerialNumber', serialValue(serial)],
    ['Issuer', issuer.name],
    ['Subject', subject.name],
    ['NotBefore', time(notBefore, 'NotBefore')],
    ['NotAfter', time(notAfter, 'NotAfter')],
    ['KeyUsage', x.KeyUsage],
    ['ExtKeyUsage', x.ExtKeyUsage],
    ['UnknownExtKeyUsage', unknownEku ? unknownEku.map(arcs) : null],
    ['BasicConstraintsValid', x.BasicConstraintsValid],
    ['IsCA', x.IsCA],
    ['MaxPathLen', x.MaxPathLen],
    ['MaxPathLenZero', x.MaxPathLenZero],
    ['SubjectKeyId', x.SubjectKeyId],
    ['AuthorityKeyId', x.AuthorityKeyId],
    ['OCSPServer', x.OCSPServer],
    ['IssuingCertificateURL', x.IssuingCertificateURL],
    ['DNSNames', x.DNSNames],
    ['EmailAddresses', x.EmailAddresses],
    ['IPAddresses', x.IPAddresses],
    ['URIs', x.URIs],
    ['CRLDistributionPoints', x.CRLDistributionPoints],
    ['PolicyIdentifiers', x.Policies ? x.Policies.map(arcs) : null],
    ['Policies', x.Policies],
    // Ours (not in Go's struct).
    ['SubjectString', subject.text],
    ['IssuerString', issuer.text],
    ['SerialNumberHex', serialHex(serial)],
    ['SignatureAlgorithmName', sigAlgName],
    ['PublicKeyAlgorithmName', keyAlgName],
    ['KeyUsageNames', KEY_USAGES.filter((_, i) => x.KeyUsage & (1 << i))],
    ['ExtKeyUsageNames', [...(x.ExtKeyUsage ?? []).map((n) => [...EXT_KEY_USAGES.values()].find((k) => k[0] === n)![1]), ...(unknownEku ?? [])]],
    ['FingerprintSHA1', createHash('sha1').update(raw).digest('hex')],
    ['FingerprintSHA256', createHash('sha256').update(raw).digest('hex')],
  ]);
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const PEM_CERTIFICATES = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);

/** A certificate found in the input: its DER and where it was (for messages). */
interface Candidate {
  der: Uint8Array;
  where: string;
}

/** The DER elements laid end to end in `bytes`, and what follows them when it is not one. */
function splitDer(bytes: Uint8Array): { found: Candidate[]; rest: string | null } {
  const found: Candidate[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    let e: Der & { next: number };
    try {
      // A certificate is a SEQUENCE: say so before reading a length out of some other byte.
      if (bytes[pos] !== 0x30) throw new DerError(`tag 0x${bytes[pos]!.toString(16).padStart(2, '0')} is not a SEQUENCE (0x30)`);
      e = der(bytes, pos);
    } catch (err) {
      return { found, rest: `${bytes.length - pos} bytes at offset ${pos} are not a DER certificate: ${errorText(err)}` };
    }
    found.push({ der: bytes.subarray(pos, e.next), where: `certificate ${found.length + 1} (offset ${pos})` });
    pos = e.next;
  }
  return { found, rest: null };
}

/** The CERTIFICATE blocks of PEM text; other blocks (keys, requests) are named in `others`. */
function splitPem(text: string): { found: Candidate[]; others: string[]; bad: string[] } {
  const found: Candidate[] = [];
  const others: string[] = [];
  const bad: string[] = [];
  let n = 0;
  for (const m of text.matchAll(PEM_BLOCK)) {
    if (!PEM_CERTIFICATES.has(m[1]!)) {
      others.push(m[1]!);
      continue;
    }
    n++;
    // Header lines ("Proc-Type: ...") come before a blank line; the rest is base64.
    const body = m[2]!.includes(':') ? m[2]!.replace(/^[\s\S]*?\r?\n\r?\n/, '') : m[2]!;
    const b64 = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) {
      bad.push(`PEM block ${n} (${m[1]}): invalid base64`);
      continue;
    }
    const bytes = Buffer.from(b64, 'base64');
    // A TRUSTED CERTIFICATE has OpenSSL's trust settings after the certificate: take the first element.
    let end = bytes.length;
    try {
      end = der(bytes).next;
    } catch {
      // Left whole: certificateValue reports the error for this block.
    }
    found.push({ der: new Uint8Array(bytes.subarray(0, end)), where: `PEM block ${n} (${m[1]})` });
  }
  return { found, others, bad };
}

/**
 * The certificates in `bytes` (DER end to end, or PEM text) and the problems met: `fatal` says
 * why nothing was found, `warnings` what was skipped.
 */
export function parseX509(bytes: Uint8Array): { certs: VDict[]; problems: string[] } {
  if (bytes.length === 0) return { certs: [], problems: ['empty input'] };
  const problems: string[] = [];
  let found: Candidate[];
  const head = Buffer.from(bytes.subarray(0, Math.min(bytes.length, 1 << 20))).toString('latin1');
  if (bytes[0] !== 0x30 && head.includes('-----BEGIN ')) {
    const pem = splitPem(Buffer.from(bytes).toString('latin1'));
    found = pem.found;
    problems.push(...pem.bad);
    if (found.length === 0 && pem.bad.length === 0) {
      problems.push(`no CERTIFICATE block in the PEM text${pem.others.length ? ` (found ${pem.others.join(', ')})` : ''}`);
    }
  } else {
    const split = splitDer(bytes);
    found = split.found;
    if (split.rest) problems.push(split.rest);
  }
  const certs: VDict[] = [];
  for (const c of found) {
    try {
      certs.push(certificateValue(der(c.der)));
    } catch (e) {
      // Whatever a malformed certificate makes the decoder throw is that certificate's problem.
      problems.push(`${c.where}: ${errorText(e)}`);
    }
  }
  return { certs, problems };
}

export const parseX509Function: FunctionDef = {
  name: 'parse_x509',
  doc: 'Parse X.509 certificates (DER, several end to end, or PEM text): a list with one dict per certificate in the shape of Go\'s x509.Certificate (Version, SerialNumber, Issuer, Subject, NotBefore, NotAfter, KeyUsage, ExtKeyUsage, IsCA, DNSNames...) plus SubjectString, IssuerString, SerialNumberHex, algorithm and usage names and SHA-1/SHA-256 fingerprints; NULL when nothing parses. Nothing is verified.',
  args: {
    data: { type: 'any', required: true, doc: 'The certificate bytes: DER (one or more end to end) or PEM text' },
  },
  run(call) {
    const data: Value = call.args.data;
    const bytes = data === null || data === undefined ? new Uint8Array(0) : textBytes(data);
    const label = `data=<${bytes.length} bytes>`;
    const { certs, problems } = parseX509(bytes);
    if (certs.length === 0) {
      call.log('error', `${label}: no certificate: ${problems.join('; ')}`);
      return null;
    }
    if (problems.length) call.log('warn', `${label}: ${certs.length} certificate${certs.length === 1 ? '' : 's'} parsed, skipped: ${problems.join('; ')}`);
    return certs;
  },
};
