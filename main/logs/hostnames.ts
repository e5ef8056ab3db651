/**
 * Client hostnames from a Velociraptor datastore's client records (VELOCIRAPTOR-FORMATS.md 2.9):
 * `client_info/snapshot.json`, one line per client `{"client_id":"C.…","info":"<hex>"}` where
 * the hex is the binary protobuf of `ClientInfo`, whose field 3 is the hostname; or, in older
 * datastores without a snapshot, `clients/<id>.db`, the same protobuf as a file. Only field 3
 * is decoded (a minimal protobuf walk); a record that does not decode gives no hostname, never
 * an error: hostnames are a convenience of the client list. Only reads.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The most bytes of a snapshot read (a datastore of many thousand clients is a few MB). */
const MAX_SNAPSHOT = 256 << 20;
const SNAPSHOT_LINE = /"client_id":"([^"]+)","info":"([0-9a-fA-F]*)"/;

function varint(b: Buffer, at: number): [number, number] | null {
  let v = 0;
  let mul = 1;
  for (let i = at; i < b.length && i < at + 10; i++) {
    v += (b[i]! & 0x7f) * mul;
    mul *= 128;
    if (b[i]! < 0x80) return [v, i + 1];
  }
  return null;
}

/** Field 3 (`hostname`) of a binary `ClientInfo`, or undefined. */
export function hostnameOfClientInfo(b: Buffer): string | undefined {
  let at = 0;
  while (at < b.length) {
    const tag = varint(b, at);
    if (!tag) return undefined;
    at = tag[1];
    const field = Math.floor(tag[0] / 8);
    const wire = tag[0] & 7;
    if (wire === 0) {
      const v = varint(b, at);
      if (!v) return undefined;
      at = v[1];
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const len = varint(b, at);
      if (!len || len[1] + len[0] > b.length) return undefined;
      if (field === 3) return b.toString('utf8', len[1], len[1] + len[0]);
      at = len[1] + len[0];
    } else return undefined;
  }
  return undefined;
}

/** Hostnames of the datastore's clients by id (those known; `ids` limits the legacy lookups). */
export async function clientHostnames(root: string, ids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const snapshot = await readFile(join(root, 'client_info', 'snapshot.json')).catch(() => null);
  if (snapshot && snapshot.length <= MAX_SNAPSHOT) {
    for (const line of snapshot.toString('utf8').split('\n')) {
      const m = SNAPSHOT_LINE.exec(line);
      if (!m || m[2]!.length % 2) continue;
      const host = hostnameOfClientInfo(Buffer.from(m[2]!, 'hex'));
      if (host) out.set(m[1]!, host);
    }
  }
  for (const id of ids) {
    if (out.has(id)) continue;
    const legacy = await readFile(join(root, 'clients', `${id}.db`)).catch(() => null);
    const host = legacy && legacy.length < 1 << 20 && legacy[0] !== 0x7b ? hostnameOfClientInfo(legacy) : undefined;
    if (host) out.set(id, host);
  }
  return out;
}
