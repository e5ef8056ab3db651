/**
 * The roots authenticode() trusts, as the machine the file comes from would:
 *
 * - against evidence (a dead disk or triage folder remapped, with a `registry` accessor over
 *   its SOFTWARE hive): that Windows' own stores, `ROOT` and `AuthRoot` (and their Group Policy
 *   copies under `Policies`) as roots and `Disallowed` as distrusted, read from
 *   `HKEY_LOCAL_MACHINE\SOFTWARE\...\SystemCertificates\<store>\Certificates\<thumbprint>\Blob`;
 * - otherwise this machine's: Node's bundled roots (Mozilla's), the system store where Node
 *   can read it (Node 22.15 and later), `/etc/ssl/certs/ca-certificates.crt` (Debian and
 *   Ubuntu's store), and the file `NODE_EXTRA_CA_CERTS` names, Node's own convention for
 *   extra roots.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';
import type { Scope } from '../../../vql/index.ts';
import { accessorFor, readAll, type Accessor } from '../../files/accessors.ts';
import type { TrustAnchors } from './verify.ts';

/** Debian's and Ubuntu's bundle of the system's trusted roots. */
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

function pemCertificates(text: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const m of text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)) {
    try {
      out.push(new X509Certificate(m[0]));
    } catch {
      // A damaged entry in a bundle does not take the others with it.
    }
  }
  return out;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

let machine: { key: string; anchors: TrustAnchors } | null = null;

/** This machine's trusted roots (parsed once; again when NODE_EXTRA_CA_CERTS changes). */
export function machineAnchors(): TrustAnchors {
  const extra = process.env.NODE_EXTRA_CA_CERTS ?? '';
  if (machine?.key === extra) return machine.anchors;
  const getCa = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  let system: string[] = [];
  try {
    system = getCa ? getCa('system') : [];
  } catch {
    system = [];
  }
  const pems = [...tls.rootCertificates, ...system, readText(SYSTEM_BUNDLE), extra ? readText(extra) : ''].join('\n');
  const seen = new Set<string>();
  const roots = pemCertificates(pems).filter((c) => !seen.has(c.fingerprint256) && seen.add(c.fingerprint256));
  machine = {
    key: extra,
    anchors: { roots, distrusted: new Set(), source: `this machine's ${roots.length} trusted roots (Node's, the system's${extra ? ', NODE_EXTRA_CA_CERTS' : ''})` },
  };
  return machine.anchors;
}

const STORES = ['HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SystemCertificates', 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\SystemCertificates'];

/** The DER certificate (property 32) of a certificate store `Blob` value: records {Type, reserved, Length, Data}. */
export function blobCertificate(blob: Uint8Array): Uint8Array | null {
  const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let p = 0; p + 12 <= blob.length; ) {
    const type = v.getUint32(p, true);
    const length = v.getUint32(p + 8, true);
    if (p + 12 + length > blob.length) return null;
    if (type === 32) return blob.subarray(p + 12, p + 12 + length);
    p += 12 + length;
  }
  return null;
}

/** The certificates of one store of the evidence's registry (none when it is not there). */
async function storeCertificates(reg: Accessor, scope: Scope, store: string): Promise<X509Certificate[]> {
  const out: X509Certificate[] = [];
  for (const base of STORES) {
    let keys;
    try {
      keys = (await reg.readDir?.(reg.path(`${base}\\${store}\\Certificates`), scope)) ?? [];
    } catch {
      continue;
    }
    for (const k of keys) {
      if (!k.isDir) continue;
      try {
        const der = blobCertificate(await readAll(reg, `${k.fullPath}\\Blob`, scope, 0, 1 << 20));
        if (der) out.push(new X509Certificate(der));
      } catch {
        // One unreadable entry does not hide the rest of the store.
      }
    }
  }
  return out;
}

const evidence = new WeakMap<Accessor, Promise<TrustAnchors | null>>();

/**
 * The evidence's stores when the query reads evidence through a `registry` accessor that has
 * them; null otherwise (live analysis, or an image without a Windows SOFTWARE hive).
 */
function evidenceAnchors(scope: Scope): Promise<TrustAnchors | null> {
  let reg: Accessor;
  try {
    reg = accessorFor(scope, 'registry');
  } catch {
    return Promise.resolve(null);
  }
  let p = evidence.get(reg);
  if (!p) {
    p = (async () => {
      const roots = [...(await storeCertificates(reg, scope, 'ROOT')), ...(await storeCertificates(reg, scope, 'AuthRoot'))];
      if (roots.length === 0) return null;
      const distrusted = new Set((await storeCertificates(reg, scope, 'Disallowed')).map((c) => c.fingerprint256));
      return { roots, distrusted, source: `the ${roots.length} roots of the evidence's ROOT and AuthRoot stores` };
    })();
    evidence.set(reg, p);
  }
  return p;
}

/** The anchors for a query: the evidence's stores when it has them, else this machine's roots. */
export async function trustAnchors(scope: Scope): Promise<TrustAnchors> {
  return (await evidenceAnchors(scope)) ?? machineAnchors();
}
