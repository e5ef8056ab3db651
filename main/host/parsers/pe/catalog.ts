/**
 * Windows security catalogs (`C:\Windows\System32\CatRoot\{GUID}\*.cat`): most of Windows' own
 * programs carry no signature of their own; a catalog lists their Authenticode digests and is
 * signed once. authenticode() looks a file without an embedded signature up here, as
 * WinVerifyTrust does, and judges the catalog's signature.
 *
 * A catalog is a PKCS#7 SignedData whose content is a certificate trust list (CTL): one
 * TrustedSubject per member, its digest in the member's SPC_INDIRECT_DATA attribute (the
 * subject identifier, the digest as UTF-16 hex text, is the fallback).
 *
 * The catalogs read are those of the Windows the query looks at: the evidence's (through the
 * remapped `auto` accessor, its C: drive) or, on a Windows workstation, this one's. The index
 * (digest -> catalog) is made once per evidence on the first file that needs it and kept for
 * the process; each catalog's signature is verified once, when a file is first found in it.
 */
import type { Scope } from '../../../vql/index.ts';
import { accessorFor, readAll, remappedAccessors, type Accessor } from '../../files/accessors.ts';
import { children, content, DerError, oid, type Der } from '../der.ts';
import { OID_SPC_INDIRECT_DATA, parseSignature, type AuthenticodeInfo } from './authenticode.ts';
import { parseSignedData, verifyCatalog, type TrustAnchors, type Verification } from './verify.ts';

const CATROOT = 'C:\\Windows\\System32\\CatRoot';
/** A catalog larger than this is not read (the largest of Windows 11 are a few MB). */
const MAX_CATALOG = 64 << 20;

/** The lowercase hex digests of a catalog's members (its CTL's TrustedSubjects). */
export function catalogDigests(blob: Uint8Array): string[] {
  const sd = parseSignedData(blob);
  if (!sd.content) throw new DerError('the catalog has no content');
  const fields = children(sd.content);
  // CTL: [version], subjectUsage, [listIdentifier], [sequenceNumber], thisUpdate, [nextUpdate],
  // subjectAlgorithm, [trustedSubjects], [0] extensions. The subjects follow the algorithm,
  // the first SEQUENCE after the times.
  const lastTime = fields.reduce((at, f, i) => (f.tag === 0x17 || f.tag === 0x18 ? i : at), -1);
  const subjects = fields.slice(lastTime + 1).filter((f) => f.tag === 0x30)[1];
  if (!subjects) return [];
  const out: string[] = [];
  for (const subject of children(subjects)) {
    const [id, attrs] = children(subject);
    const digest = (attrs && indirectDigest(attrs)) ?? (id ? tagDigest(id) : null);
    if (digest) out.push(digest);
  }
  return out;
}

/** The digest of a member's SPC_INDIRECT_DATA attribute (SpcIndirectDataContent's DigestInfo). */
function indirectDigest(attrs: Der): string | null {
  for (const a of children(attrs)) {
    const [type, values] = children(a);
    if (!type || !values || oid(type) !== OID_SPC_INDIRECT_DATA) continue;
    const indirect = children(values)[0];
    const digestInfo = indirect && children(indirect)[1];
    const digest = digestInfo && children(digestInfo)[1];
    if (digest) return Buffer.from(content(digest)).toString('hex');
  }
  return null;
}

/** A member tag: the digest as UTF-16LE hex text (or its raw bytes). */
function tagDigest(id: Der): string | null {
  const b = Buffer.from(content(id));
  const text = b.length % 2 === 0 ? b.toString('utf16le') : '';
  if (/^[0-9A-Fa-f]{40,128}$/.test(text)) return text.toLowerCase();
  return b.length === 20 || b.length === 32 ? b.toString('hex') : null;
}

/** Where a file's digest was found, and the catalog's verdict. */
export interface CatalogHit {
  catalog: string;
  verification: Verification;
  /** The catalog's signature decoded (its signer's program name...), null when it does not decode. */
  signature: AuthenticodeInfo | null;
}

type Verdict = Omit<CatalogHit, 'catalog'>;

async function judge(blob: Uint8Array, anchors: TrustAnchors): Promise<Verdict> {
  let signature: AuthenticodeInfo | null = null;
  try {
    signature = parseSignature(blob);
  } catch {
    // verifyCatalog says what is wrong with it.
  }
  return { verification: await verifyCatalog(blob, anchors), signature };
}

interface Index {
  /** digest -> catalog path */
  members: Map<string, string>;
  catalogs: number;
  /** catalog path -> its verification (made on first use) */
  verdicts: Map<string, Promise<Verdict>>;
  accessor: Accessor;
}

const indexes = new WeakMap<object, Promise<Index | null>>();

/** The accessor that reads the Windows the query looks at, and a key for its index. */
function windowsFiles(scope: Scope): { accessor: Accessor; key: object } | null {
  const remapped = remappedAccessors(scope);
  if (remapped) {
    const a = remapped.get('auto') ?? remapped.get('file');
    return a ? { accessor: a, key: a } : null;
  }
  if (process.platform !== 'win32') return null;
  const a = accessorFor(scope, 'file');
  return { accessor: a, key: a };
}

async function buildIndex(accessor: Accessor, scope: Scope, log: (m: string) => void): Promise<Index | null> {
  const started = Date.now();
  const list = async (p: string) => {
    try {
      return (await accessor.readDir?.(accessor.path(p), scope)) ?? [];
    } catch {
      return [];
    }
  };
  const index: Index = { members: new Map(), catalogs: 0, verdicts: new Map(), accessor };
  let damaged = 0;
  for (const dir of await list(CATROOT)) {
    if (!dir.isDir) continue;
    for (const f of await list(dir.fullPath)) {
      if (f.isDir || !/\.cat$/i.test(f.fullPath) || Number(f.size) > MAX_CATALOG) continue;
      if (scope.signal.aborted) return null;
      try {
        const digests = catalogDigests(await readAll(accessor, f.fullPath, scope));
        index.catalogs++;
        for (const d of digests) if (!index.members.has(d)) index.members.set(d, f.fullPath);
      } catch {
        damaged++;
      }
    }
  }
  if (index.catalogs === 0 && damaged === 0) return null;
  log(`read ${index.catalogs} security catalogs under ${CATROOT} (${index.members.size} file digests${damaged ? `, ${damaged} catalogs unreadable` : ''}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return index;
}

/**
 * The catalog that lists one of `digests` (a file's Authenticode digests, hex), with its
 * verdict; null when no catalog does or there are none to read.
 */
export async function findInCatalogs(scope: Scope, digests: readonly string[], anchors: TrustAnchors, log: (m: string) => void): Promise<CatalogHit | null> {
  const where = windowsFiles(scope);
  if (!where) return null;
  let p = indexes.get(where.key);
  if (!p) {
    const building = buildIndex(where.accessor, scope, log);
    p = building;
    indexes.set(where.key, building);
    // A query cancelled while the index was made leaves none: the next one makes it again.
    void building.then((i) => {
      if (!i && scope.signal.aborted && indexes.get(where.key) === building) indexes.delete(where.key);
    });
  }
  const index = await p;
  if (!index) return null;
  const catalog = digests.map((d) => index.members.get(d)).find((c) => c !== undefined);
  if (!catalog) return null;
  let v = index.verdicts.get(catalog);
  if (!v) {
    v = readAll(index.accessor, catalog, scope).then((blob) => judge(blob, anchors));
    index.verdicts.set(catalog, v);
  }
  return { catalog, ...(await v) };
}
