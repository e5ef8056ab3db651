/**
 * Authenticode verification, as WinVerifyTrust decides it for a file's embedded signature, with
 * Node's crypto (no native code): the PKCS#7 SignedData of a PE's certificate table (or of a
 * catalog file) is checked step by step, and the first step that fails is the reason.
 *
 * 1. The image digest the publisher signed (SpcIndirectDataContent's DigestInfo) is the file's
 *    Authenticode digest computed here (the caller supplies it for the named algorithm).
 * 2. The signer's `messageDigest` attribute is the digest of that content (the DER of
 *    SpcIndirectDataContent less its own tag and length), and the signature over the signed
 *    attributes (re-tagged as a SET) verifies with the signing certificate's key (RSA PKCS #1
 *    v1.5 or ECDSA).
 * 3. A timestamp (RFC 3161 token or PKCS #9 countersignature) is checked the same way, over the
 *    signer's signature; when it holds (and chains to a trusted root), certificates are judged
 *    at its time, as Windows does, so a signature made while the certificate was valid stays
 *    good after it expires. An intact timestamp's time is reported even when its root is not
 *    trusted here.
 * 4. The signing certificate chains, through the signature's own certificates, to one of the
 *    trusted roots, each link's signature checked, each certificate valid at that time, the
 *    leaf allowed to sign code (its extended key usage) and none of them distrusted.
 *
 * A security catalog's signature is verified the same way, over its certificate trust list
 * (catalog.ts finds the catalog that lists a file). Not done: revocation (no network),
 * RSASSA-PSS and DSA signers (reported as not verifiable).
 */
import { createHash, verify as verifySignature, X509Certificate } from 'node:crypto';
import { children, content, der, DerError, encoding, integer, oid, stringText, type Der } from '../der.ts';
import { attributes, DIGESTS, OID_COUNTER_SIGNATURE, OID_MESSAGE_DIGEST, OID_RFC3161_TIMESTAMP, OID_SIGNED_DATA, OID_SIGNING_TIME } from './authenticode.ts';

const OID_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
const OID_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';
const OID_ANY_EKU = '2.5.29.37.0';
/** RSASSA-PSS and DSA: not verified here. */
const UNSUPPORTED_SIGNATURES: ReadonlyMap<string, string> = new Map([
  ['1.2.840.113549.1.1.10', 'RSASSA-PSS'], ['1.2.840.10040.4.1', 'DSA'], ['1.2.840.10040.4.3', 'DSA'],
]);

/** The roots a chain may end at, and the certificates distrusted outright (by SHA-256 fingerprint). */
export interface TrustAnchors {
  roots: readonly X509Certificate[];
  distrusted: ReadonlySet<string>;
  /** Where the roots come from, for the report ("this machine's roots", "the evidence's ROOT store"). */
  source: string;
}

/** One SignerInfo, its parts located in the DER. */
interface Signer {
  issuer: Der;
  serial: bigint;
  digest: string;
  signedAttrs: Der | null;
  signatureAlgorithm: string;
  signature: Uint8Array;
  unsignedAttrs: Der | null;
}

export interface SignedData {
  /** The encapsulated content's type and its element (inside the [0] EXPLICIT). */
  contentType: string;
  content: Der | null;
  certificates: Der[];
  signers: Signer[];
}

function signedData(contentInfo: Der): SignedData {
  const [type, explicit] = children(contentInfo);
  if (!type || oid(type) !== OID_SIGNED_DATA || !explicit) throw new DerError('not a PKCS#7 SignedData');
  const sd = children(children(explicit)[0] ?? explicit);
  const encap = sd[2];
  const infos = sd[sd.length - 1];
  if (!encap || !infos || infos.tag !== 0x31) throw new DerError('malformed SignedData');
  const [ctype, cexplicit] = children(encap);
  const certs = sd.find((x) => x.tag === 0xa0);
  return {
    contentType: ctype ? oid(ctype) : '',
    content: cexplicit ? (children(cexplicit)[0] ?? null) : null,
    certificates: certs ? children(certs).filter((c) => c.tag === 0x30) : [],
    signers: children(infos).map(signerInfo),
  };
}

function signerInfo(e: Der): Signer {
  const f = children(e);
  const sid = f[1];
  if (!sid || sid.tag !== 0x30) throw new VerifyError('the signer is named by a key identifier, not by issuer and serial number, which is not verified here');
  const [issuer, serial] = children(sid);
  let i = 3;
  const signedAttrs = f[i]?.tag === 0xa0 ? f[i++]! : null;
  const sigAlg = f[i++];
  const sig = f[i++];
  const unsignedAttrs = f[i]?.tag === 0xa1 ? f[i]! : null;
  if (!issuer || !serial || !f[2] || !sigAlg || !sig) throw new DerError('malformed SignerInfo');
  return {
    issuer,
    serial: integer(serial),
    digest: oid(children(f[2])[0]!),
    signedAttrs,
    signatureAlgorithm: oid(children(sigAlg)[0]!),
    signature: content(sig),
    unsignedAttrs,
  };
}

function hashName(o: string): string {
  const h = DIGESTS.get(o)?.toLowerCase();
  if (!h) throw new VerifyError(`digest algorithm ${o} is not known`);
  return h;
}

class VerifyError extends Error {}

/** A certificate with the DER parts matching needs. */
interface Cert {
  x509: X509Certificate;
  issuerHex: string;
  serial: bigint;
  /** The subject's common name (or the whole subject when it has none). */
  name: string;
}

function cert(e: Der): Cert {
  const x509 = new X509Certificate(encoding(e));
  let tbs = children(children(e)[0]!);
  if (tbs[0]?.tag === 0xa0) tbs = tbs.slice(1);
  return { x509, issuerHex: Buffer.from(encoding(tbs[2]!)).toString('hex'), serial: integer(tbs[0]!), name: commonName(x509.subject) };
}

/** The CN of a Node certificate name ("C=US\nO=...\nCN=..."), or the whole name. */
export function commonName(name: string): string {
  const cn = name.split('\n').reverse().find((l) => l.startsWith('CN='));
  return cn ? cn.slice(3) : name.replace(/\n/g, ', ');
}

/** Checks `signer`'s signature over `data` (the content whose digest it signed). */
function checkSigner(signer: Signer, signing: X509Certificate, data: Uint8Array, what: string): void {
  const h = hashName(signer.digest);
  const unsupported = UNSUPPORTED_SIGNATURES.get(signer.signatureAlgorithm);
  if (unsupported) throw new VerifyError(`${what} uses ${unsupported} signatures, which are not verified here`);
  let signedBytes: Uint8Array = data;
  if (signer.signedAttrs) {
    const md = attributes(signer.signedAttrs).get(OID_MESSAGE_DIGEST);
    if (!md) throw new VerifyError(`${what} has no messageDigest attribute`);
    const digest = createHash(h).update(data).digest();
    if (!digest.equals(Buffer.from(content(md)))) throw new VerifyError(`${what}: the signed digest of the content does not match (the signed content was changed)`);
    // The signature is over the DER of the attributes as a SET OF, not as the [0] they are stored as.
    signedBytes = Buffer.from(encoding(signer.signedAttrs));
    (signedBytes as Buffer)[0] = 0x31;
  }
  const key = signing.publicKey;
  const ok = key.asymmetricKeyType === 'ec'
    ? verifySignature(h, signedBytes, { key, dsaEncoding: 'der' }, signer.signature)
    : verifySignature(h, signedBytes, key, signer.signature);
  if (!ok) throw new VerifyError(`${what}: the signature does not verify with the certificate of ${commonName(signing.subject)}`);
}

function findSigner(signer: Signer, certs: readonly Cert[], what: string): Cert {
  const issuer = Buffer.from(encoding(signer.issuer)).toString('hex');
  const c = certs.find((x) => x.serial === signer.serial && x.issuerHex === issuer);
  if (!c) throw new VerifyError(`${what}: the signing certificate is not in the signature`);
  return c;
}

/** The validity window check, at `at`. */
function validAt(c: X509Certificate, at: Date): boolean {
  return new Date(c.validFrom).getTime() <= at.getTime() && at.getTime() <= new Date(c.validTo).getTime();
}

/**
 * The chain from `leaf` to a trusted root through `pool`, each certificate valid at `at`;
 * throws the reason it does not hold.
 */
function chainToRoot(leaf: Cert, pool: readonly Cert[], anchors: TrustAnchors, at: Date, usage: string, what: string): X509Certificate[] {
  const eku = leaf.x509.keyUsage;
  if (eku && eku.length && !eku.includes(usage) && !eku.includes(OID_ANY_EKU)) {
    throw new VerifyError(`${what}: the certificate of ${leaf.name} is not for ${usage === OID_CODE_SIGNING ? 'code signing' : 'time stamping'}`);
  }
  const path: X509Certificate[] = [leaf.x509];
  for (let cur = leaf.x509; path.length <= 12; ) {
    if (anchors.distrusted.has(cur.fingerprint256)) throw new VerifyError(`${what}: the certificate of ${commonName(cur.subject)} is distrusted (Disallowed store)`);
    if (!validAt(cur, at)) {
      throw new VerifyError(`${what}: the certificate of ${commonName(cur.subject)} is not valid at ${at.toISOString()} (valid ${new Date(cur.validFrom).toISOString()} to ${new Date(cur.validTo).toISOString()})`);
    }
    if (anchors.roots.some((r) => r.fingerprint256 === cur.fingerprint256)) return path;
    const issued = (c: X509Certificate) => c.fingerprint256 !== cur.fingerprint256 && cur.checkIssued(c) && cur.verify(c.publicKey);
    const root = anchors.roots.find(issued);
    if (root) {
      if (anchors.distrusted.has(root.fingerprint256)) throw new VerifyError(`${what}: the root ${commonName(root.subject)} is distrusted (Disallowed store)`);
      path.push(root);
      return path;
    }
    const next = pool.find((c) => !path.includes(c.x509) && issued(c.x509));
    if (!next) {
      const selfSigned = cur.checkIssued(cur);
      throw new VerifyError(selfSigned
        ? `${what}: the chain ends at ${commonName(cur.subject)}, a root that is not among ${anchors.source}`
        : `${what}: the issuer of ${commonName(cur.subject)} (${commonName(cur.issuer)}) is neither in the signature nor among ${anchors.source}`);
    }
    path.push(next.x509);
    cur = next.x509;
  }
  throw new VerifyError(`${what}: the certificate chain is too long`);
}

/** What the verification found. */
export interface Verification {
  /** "trusted" or "untrusted" ("unsigned" is the caller's, when there is no signature). */
  trusted: 'trusted' | 'untrusted';
  /** Why it is not trusted (empty when it is). */
  reason: string;
  /** The signing certificate and the signature's other details, when they could be read. */
  signer: X509Certificate | null;
  /** The signing time of an intact timestamp (null without one; it judges the chain only when its own root is trusted). */
  timestamp: Date | null;
  /** The timestamping authority's name, when there is a timestamp. */
  timestampSigner: string;
  /** The chain from the signing certificate to its root (subjects' common names), when it holds. */
  chain: string[];
  /** The image digest the publisher signed, and its algorithm. */
  digestAlgorithm: string;
  signedDigest: string;
}

/**
 * Verifies a PE's PKCS#7 Authenticode signature (`blob`, the WIN_CERTIFICATE content) against
 * the file's digest (`imageDigest(algorithm)` gives it in hex) and `anchors`, at `now`.
 */
export function verifyAuthenticode(
  blob: Uint8Array,
  imageDigest: (algorithm: string) => Promise<string>,
  anchors: TrustAnchors,
  now = new Date(),
): Promise<Verification> {
  return verifySigned(blob, anchors, now, async (sd, out) => {
    // 1. The digest the publisher signed is this file's.
    const digestInfo = children(sd.content!)[1];
    const [alg, digest] = digestInfo ? children(digestInfo) : [];
    if (!alg || !digest) throw new VerifyError('the signed content has no image digest');
    const algorithm = hashName(oid(children(alg)[0]!));
    out.digestAlgorithm = algorithm.toUpperCase();
    out.signedDigest = Buffer.from(content(digest)).toString('hex');
    let actual: string;
    try {
      actual = await imageDigest(algorithm);
    } catch (e) {
      throw new ImageReadError(e);
    }
    if (actual !== out.signedDigest) throw new VerifyError(`the file was changed after it was signed: its ${out.digestAlgorithm} Authenticode digest is ${actual}, the signature is for ${out.signedDigest}`);
  });
}

const OID_CTL = '1.3.6.1.4.1.311.10.1';

/**
 * Verifies a security catalog's signature (`blob`, the .cat file): its certificate trust list
 * is what was signed, so steps 2 to 4 apply as to a file's own signature.
 */
export function verifyCatalog(blob: Uint8Array, anchors: TrustAnchors, now = new Date()): Promise<Verification> {
  return verifySigned(blob, anchors, now, async (sd) => {
    if (sd.contentType !== OID_CTL) throw new VerifyError(`the catalog's content is ${sd.contentType}, not a certificate trust list`);
  });
}

/** The PKCS#7 SignedData of `blob` (a DER ContentInfo); throws a DerError when it is not one. */
export function parseSignedData(blob: Uint8Array): SignedData {
  return signedData(der(blob));
}

/**
 * Steps 2 to 4 over a SignedData, after `checkContent` (step 1, which may fill `out`): the
 * verdict, with the first reason it is not trusted.
 */
async function verifySigned(
  blob: Uint8Array,
  anchors: TrustAnchors,
  now: Date,
  checkContent: (sd: SignedData, out: Verification) => Promise<void>,
): Promise<Verification> {
  const out: Verification = { trusted: 'untrusted', reason: '', signer: null, timestamp: null, timestampSigner: '', chain: [], digestAlgorithm: '', signedDigest: '' };
  try {
    const sd = signedData(der(blob));
    if (!sd.content) throw new VerifyError('the signature has no signed content');
    const certs = sd.certificates.map(cert);
    const signer = sd.signers[0];
    if (!signer) throw new VerifyError('the signature has no signer');
    const signing = findSigner(signer, certs, 'the signature');
    out.signer = signing.x509;
    await checkContent(sd, out);

    // 2. The signature over the content (its DER less its own tag and length).
    checkSigner(signer, signing.x509, content(sd.content), 'the signature');

    // 3. A timestamp over the signature: its time is reported when the token is intact; it
    //    judges the certificates only when it also chains to a trusted root.
    const stamp = timestamp(signer, certs, anchors);
    if (stamp) {
      out.timestampSigner = stamp.signer;
      out.timestamp = stamp.time;
    }

    // 4. The chain, judged at the timestamp's time when there is an intact one. The signature's
    //    own chain is the first reason given; a timestamp that does not hold (its root not
    //    trusted, say) comes after it, and makes the verdict untrusted all the same.
    const at = stamp?.time ?? now;
    out.chain = chainToRoot(signing, certs, anchors, at, OID_CODE_SIGNING, 'the signature').map((c) => commonName(c.subject));
    if (stamp?.error) throw new VerifyError(stamp.error);
    out.trusted = 'trusted';
  } catch (e) {
    if (e instanceof ImageReadError) throw e.cause;
    // Anything else is the signature's fault (a certificate OpenSSL cannot decode, a bad key...).
    out.reason = e instanceof VerifyError ? e.message : `the signature is malformed: ${(e as Error).message}`;
  }
  return out;
}

/** The file itself could not be read to hash it (the caller's problem to report, not a verdict). */
class ImageReadError extends Error {
  constructor(cause: unknown) {
    super('the file could not be read', { cause });
  }
}

/**
 * The timestamp over `signer`'s signature: an RFC 3161 token (unsigned attribute
 * 1.3.6.1.4.1.311.3.3.1) or a PKCS #9 countersignature. Null when there is none. `time` is set
 * when the token is intact (it is over this signature and its own signature verifies); `error`
 * says why it does not hold, when it does not (Windows then rejects the signature).
 */
function timestamp(signer: Signer, certs: readonly Cert[], anchors: TrustAnchors): { time: Date | null; signer: string; error?: string } | null {
  const unsigned = attributes(signer.unsignedAttrs);
  const token = unsigned.get(OID_RFC3161_TIMESTAMP);
  const counter = unsigned.get(OID_COUNTER_SIGNATURE);
  if (!token && !counter) return null;
  const what = token ? 'the timestamp' : 'the countersignature';
  const out: { time: Date | null; signer: string; error?: string } = { time: null, signer: '' };
  try {
    let signing: Cert;
    let pool: readonly Cert[] = certs;
    if (token) {
      const sd = signedData(token);
      pool = [...sd.certificates.map(cert), ...certs];
      const ts = sd.signers[0];
      if (!ts || !sd.content) throw new VerifyError(`${what} has no signer or no content`);
      signing = findSigner(ts, pool, what);
      out.signer = signing.name;
      // The TSTInfo is in an OCTET STRING; its messageImprint is the digest of the signature.
      const tstBytes = content(sd.content);
      const tst = children(der(tstBytes));
      const imprint = tst[2] ? children(tst[2]) : [];
      const gen = tst.find((x) => x.tag === 0x18);
      if (imprint.length < 2 || !gen) throw new VerifyError(`${what} is malformed`);
      const h = hashName(oid(children(imprint[0]!)[0]!));
      if (!createHash(h).update(signer.signature).digest().equals(Buffer.from(content(imprint[1]!)))) {
        throw new VerifyError(`${what} is for another signature`);
      }
      checkSigner(ts, signing.x509, tstBytes, what);
      out.time = generalizedTime(gen);
    } else {
      const ts = signerInfo(counter!);
      signing = findSigner(ts, certs, what);
      out.signer = signing.name;
      checkSigner(ts, signing.x509, signer.signature, what);
      const t = attributes(ts.signedAttrs).get(OID_SIGNING_TIME);
      if (!t) throw new VerifyError(`${what} has no signing time`);
      out.time = generalizedTime(t);
    }
    chainToRoot(signing, pool, anchors, out.time, OID_TIME_STAMPING, what);
  } catch (e) {
    out.error = e instanceof VerifyError ? e.message : `${what} is malformed: ${(e as Error).message}`;
  }
  return out;
}

/** UTCTime or GeneralizedTime (fractions kept) as a Date. */
function generalizedTime(e: Der): Date {
  const s = stringText(e);
  const m = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(\.\d+)?Z$/.exec(s);
  if (!m) throw new VerifyError(`the time ${JSON.stringify(s)} is not a UTC time`);
  let year = m[1]!;
  if (year.length === 2) year = (Number(year) >= 50 ? '19' : '20') + year;
  return new Date(`${year}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${m[7] ? m[7].slice(0, 4) : ''}Z`);
}
