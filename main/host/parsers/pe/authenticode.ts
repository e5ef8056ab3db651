/**
 * The Authenticode signature of a PE: the PKCS#7 SignedData in the certificate table (the
 * security directory), decoded with a small DER reader. What it gives (parse_pe's
 * `Authenticode` member; the shape follows go-pe's PKCS7ToOrderedDict as best known):
 *
 * - `Signer`: {IssuerName, SerialNumber (decimal, as Go's big.Int), DigestAlgorithm,
 *   AuthenticatedAttributes {ContentType, MessageDigestHex, ProgramName, MoreInfo},
 *   UnauthenticatedAttributes {SigningTime: the countersignature's or RFC 3161 timestamp's
 *   time, when there is one}, Subject (the signing certificate's subject)};
 * - `Certificates`: {SerialNumber, SignatureAlgorithm, Subject, Issuer, NotBefore, NotAfter}
 *   for every certificate the signature carries;
 * - `HashType` ("SHA256", "SHA1", "MD5") and `ExpectedHash` (hex): the image digest that was
 *   signed, to compare with `AuthenticodeHash`.
 *
 * Names are printed as Go's pkix.Name.String(): RDNs in reverse order, joined by ",", known
 * types by their short names (CN, O, OU, L, ST, C, ...), others as a dotted OID and `#hex`.
 * Nothing here verifies signatures or chains (as parse_pe; authenticode() is for trust).
 */
import { children, content, der, DerError, hexOf, integerText, nameText, oid, timeText, type Der } from '../der.ts';

/** Digest algorithm names (SHA256...) by OID; verify.ts hashes with them in lower case. */
export const DIGESTS: ReadonlyMap<string, string> = new Map([
  ['1.2.840.113549.2.5', 'MD5'], ['1.3.14.3.2.26', 'SHA1'], ['2.16.840.1.101.3.4.2.1', 'SHA256'],
  ['2.16.840.1.101.3.4.2.2', 'SHA384'], ['2.16.840.1.101.3.4.2.3', 'SHA512'],
]);

const ALGORITHMS: ReadonlyMap<string, string> = new Map([
  ['1.2.840.113549.1.1.1', 'RSA'], ['1.2.840.113549.1.1.4', 'MD5-RSA'], ['1.2.840.113549.1.1.5', 'SHA1-RSA'], ['1.3.14.3.2.29', 'SHA1-RSA'],
  ['1.2.840.113549.1.1.11', 'SHA256-RSA'], ['1.2.840.113549.1.1.12', 'SHA384-RSA'], ['1.2.840.113549.1.1.13', 'SHA512-RSA'],
  ['1.2.840.113549.1.1.10', 'RSASSA-PSS'], ['1.2.840.10045.4.1', 'ECDSA-SHA1'], ['1.2.840.10045.4.3.2', 'ECDSA-SHA256'],
  ['1.2.840.10045.4.3.3', 'ECDSA-SHA384'], ['1.2.840.10045.4.3.4', 'ECDSA-SHA512'], ['1.2.840.10040.4.3', 'DSA-SHA1'],
]);

export const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
export const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
export const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';
export const OID_COUNTER_SIGNATURE = '1.2.840.113549.1.9.6';
const OID_SPC_SP_OPUS_INFO = '1.3.6.1.4.1.311.2.1.12';
export const OID_RFC3161_TIMESTAMP = '1.3.6.1.4.1.311.3.3.1';
export const OID_SPC_INDIRECT_DATA = '1.3.6.1.4.1.311.2.1.4';

const CONTENT_TYPES: ReadonlyMap<string, string> = new Map([
  [OID_SPC_INDIRECT_DATA, 'SPC_INDIRECT_DATA_OBJID'], ['1.2.840.113549.1.7.1', 'PKCS7_DATA'],
  ['1.2.840.113549.1.9.16.1.4', 'TSTInfo'],
]);

export interface CertificateInfo {
  SerialNumber: string;
  SignatureAlgorithm: string;
  Subject: string;
  Issuer: string;
  NotBefore: string;
  NotAfter: string;
}

export interface AuthenticodeInfo {
  Signer: {
    IssuerName: string;
    SerialNumber: string;
    DigestAlgorithm: string;
    AuthenticatedAttributes: Record<string, string>;
    UnauthenticatedAttributes: Record<string, string>;
    Subject: string;
  };
  Certificates: CertificateInfo[];
  HashType: string;
  ExpectedHash: string;
}

/** The fields of an X.509 certificate (TBSCertificate), with the key to match a signer. */
function certificate(e: Der): CertificateInfo & { key: string } {
  const [tbs, sigAlg] = children(e);
  if (!tbs || !sigAlg) throw new DerError('malformed certificate');
  let f = children(tbs);
  if (f[0] && f[0].tag === 0xa0) f = f.slice(1); // [0] version
  const [serial, , issuer, validity, subject] = f;
  if (!serial || !issuer || !validity || !subject) throw new DerError('malformed certificate');
  const [notBefore, notAfter] = children(validity);
  const algo = oid(children(sigAlg)[0]!);
  const info = {
    SerialNumber: integerText(serial),
    SignatureAlgorithm: ALGORITHMS.get(algo) ?? algo,
    Subject: nameText(subject),
    Issuer: nameText(issuer),
    NotBefore: notBefore ? timeText(notBefore) : '',
    NotAfter: notAfter ? timeText(notAfter) : '',
  };
  return { ...info, key: `${info.Issuer}|${info.SerialNumber}` };
}

/** The SignedData of a ContentInfo (throws when it is not one). */
function signedData(contentInfo: Der): Der[] {
  const [type, explicit] = children(contentInfo);
  if (!type || oid(type) !== OID_SIGNED_DATA || !explicit) throw new DerError('not a PKCS#7 SignedData');
  const sd = children(explicit)[0];
  if (!sd) throw new DerError('empty SignedData');
  return children(sd);
}

/** The signing time of a timestamp SignedData (RFC 3161 TSTInfo genTime). */
function rfc3161Time(contentInfo: Der): string {
  const sd = signedData(contentInfo);
  const encap = sd[2];
  if (!encap) return '';
  const [, explicit] = children(encap);
  const octets = explicit && children(explicit)[0];
  if (!octets) return '';
  const tst = der(octets.bytes, octets.start, octets.end);
  const fields = children(tst);
  // TSTInfo: version, policy, messageImprint, serialNumber, genTime, ...
  const gen = fields.find((x) => x.tag === 0x18);
  return gen ? timeText(gen) : '';
}

/** Attributes ([0] or [1] IMPLICIT SET OF Attribute) as oid -> first value. */
export function attributes(e: Der | null | undefined): Map<string, Der> {
  const out = new Map<string, Der>();
  if (!e) return out;
  for (const a of children(e)) {
    const [type, values] = children(a);
    const first = values && children(values)[0];
    if (type && first && !out.has(oid(type))) out.set(oid(type), first);
  }
  return out;
}

/**
 * SpcString (programName: [0] IMPLICIT BMPString or [1] IMPLICIT IA5String) or SpcLink
 * (moreInfo: [0] IMPLICIT IA5String url, [2] EXPLICIT SpcString file) as text.
 */
function spcText(e: Der, link: boolean): string {
  const n = e.tag & 0x1f;
  if (link && n === 2 && e.constructed) {
    const inner = children(e)[0];
    return inner ? spcText(inner, false) : '';
  }
  const b = content(e);
  if (!link && n === 0 && b.length % 2 === 0) return Buffer.from(b).swap16().toString('utf16le');
  return Buffer.from(b).toString('latin1');
}

/** The PKCS#7 SignedData of a WIN_CERTIFICATE (the security directory's bytes); throws a DerError when it is not one. */
export function winCertificateContent(table: Uint8Array): Uint8Array {
  if (table.length < 8) throw new DerError('certificate table too short');
  const v = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const length = Math.min(v.getUint32(0, true), table.length);
  const type = v.getUint16(6, true);
  if (type !== 2) throw new DerError(`certificate type ${type} is not PKCS#7 SignedData (2)`);
  return table.subarray(8, length);
}

/** Decodes a WIN_CERTIFICATE (the security directory's bytes); throws a DerError when malformed. */
export function parseAuthenticode(table: Uint8Array): AuthenticodeInfo {
  return parseSignature(winCertificateContent(table));
}

/** Decodes a PKCS#7 SignedData (a file's signature, or a security catalog); throws a DerError when malformed. */
export function parseSignature(blob: Uint8Array): AuthenticodeInfo {
  const sd = signedData(der(blob));
  // version, digestAlgorithms, contentInfo, [0] certificates?, [1] crls?, signerInfos
  const encap = sd[2];
  const certs = sd.find((x) => x.tag === 0xa0);
  const signerInfos = sd[sd.length - 1];
  if (!encap || !signerInfos) throw new DerError('malformed SignedData');

  // SpcIndirectDataContent: the signed image digest.
  let hashType = '';
  let expected = '';
  const [encapType, indirectExplicit] = children(encap);
  // (A catalog's content is a certificate trust list: no image digest.)
  const indirect = encapType && oid(encapType) === OID_SPC_INDIRECT_DATA && indirectExplicit && children(indirectExplicit)[0];
  if (indirect) {
    const digestInfo = children(indirect)[1];
    if (digestInfo) {
      const [alg, digest] = children(digestInfo);
      if (alg) {
        const a = oid(children(alg)[0]!);
        hashType = DIGESTS.get(a) ?? a;
      }
      if (digest) expected = hexOf(content(digest));
    }
  }

  const certificates = certs ? children(certs).filter((c) => c.tag === 0x30).map(certificate) : [];
  const signer = children(signerInfos)[0];
  if (!signer) throw new DerError('no signer');
  const s = children(signer);
  const [issuer, serial] = children(s[1]!);
  const digestAlg = s[2] ? oid(children(s[2])[0]!) : '';
  const auth = attributes(s.find((x) => x.tag === 0xa0));
  const unauth = attributes(s.find((x) => x.tag === 0xa1));
  const authOut: Record<string, string> = {};
  const ct = auth.get(OID_CONTENT_TYPE);
  if (ct) authOut.ContentType = CONTENT_TYPES.get(oid(ct)) ?? oid(ct);
  const md = auth.get(OID_MESSAGE_DIGEST);
  if (md) authOut.MessageDigestHex = hexOf(content(md));
  const opus = auth.get(OID_SPC_SP_OPUS_INFO);
  if (opus) {
    for (const f of children(opus)) {
      const inner = children(f)[0];
      if (!inner) continue;
      if (f.tag === 0xa0) authOut.ProgramName = spcText(inner, false);
      if (f.tag === 0xa1) authOut.MoreInfo = spcText(inner, true);
    }
  }
  const unauthOut: Record<string, string> = {};
  const counter = unauth.get(OID_COUNTER_SIGNATURE);
  if (counter) {
    const t = attributes(children(counter).find((x) => x.tag === 0xa0)).get(OID_SIGNING_TIME);
    if (t) unauthOut.SigningTime = timeText(t);
  }
  const ts = unauth.get(OID_RFC3161_TIMESTAMP);
  if (ts && !unauthOut.SigningTime) {
    const t = rfc3161Time(ts);
    if (t) unauthOut.SigningTime = t;
  }
  const issuerName = issuer ? nameText(issuer) : '';
  const serialText = serial ? integerText(serial) : '';
  const signing = certificates.find((c) => c.key === `${issuerName}|${serialText}`);
  return {
    Signer: {
      IssuerName: issuerName,
      SerialNumber: serialText,
      DigestAlgorithm: DIGESTS.get(digestAlg) ?? digestAlg,
      AuthenticatedAttributes: authOut,
      UnauthenticatedAttributes: unauthOut,
      Subject: signing?.Subject ?? '',
    },
    Certificates: certificates.map(({ key: _key, ...c }) => c),
    HashType: hashType,
    ExpectedHash: expected,
  };
}
