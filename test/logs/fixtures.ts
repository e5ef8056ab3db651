/**
 * Datastores built the way Velociraptor's server wrote them (VELOCIRAPTOR.md 3.2-3.5,
 * VELOCIRAPTOR-FORMATS.md 2.2-2.5, 2.9), for the tests and benchmarks of main/logs:
 * - 2020 on: `monitoring/<Artifact>[/<Source>]/<day>.json` JSONL rows with `ClientId`, `_ts`,
 *   `_Source` appended, and a `.json.tidx` written by the blob writer (the first record of a batch
 *   points at the batch, later ones at the `\n` before their row);
 * - 2019: `monitoring/<Artifact>/<day>.csv` with a leading `_ts` column, and a named source as
 *   `monitoring/<Artifact>/<day>/<Source>.csv`;
 * - 2018: `monitoring/Artifact%20<Artifact>/<day>`, CSV whose cells are JSON, `-` when missing;
 * - client records: `client_info/snapshot.json` (hex protobuf `ClientInfo`), or legacy `clients/<id>.db`.
 */
import { mkdirSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A protobuf string field. */
function pbString(field: number, s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([(field << 3) | 2, b.length]), b]);
}

/** A binary ClientInfo: client_id (1), hostname (3), ping (11, a varint), client_version (12). */
export function clientInfo(id: string, hostname: string): Buffer {
  return Buffer.concat([pbString(1, id), pbString(3, hostname), Buffer.from([11 << 3, 0xe8, 0x07]), pbString(12, '0.7.1')]);
}

export function writeSnapshot(root: string, clients: Record<string, string>): void {
  mkdirSync(join(root, 'client_info'), { recursive: true });
  const lines = Object.entries(clients).map(([id, host]) => `{"client_id":"${id}","info":"${clientInfo(id, host).toString('hex')}"}\n`);
  writeFileSync(join(root, 'client_info', 'snapshot.json'), lines.join(''));
}

/** One batch of rows the server received at `ts` (Unix seconds). */
export interface Batch {
  ts: number;
  rows: Array<Record<string, unknown>>;
}

/**
 * Writes a JSONL day file and its `.json.tidx` as Velociraptor's server does (see the module
 * comment); `path` is `<...>/<day>.json`. Returns the byte offset of each row.
 */
export function writeJsonlDay(path: string, client: string, batches: readonly Batch[], opts: { tidx?: boolean; raw?: string[] } = {}): number[] {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  const tfd = opts.tidx === false ? -1 : openSync(path + '.tidx', 'w');
  let offset = 0;
  const offsets: number[] = [];
  try {
    for (const b of batches) {
      const suffix = `,"ClientId":"${client}","_ts":${b.ts},"_Source":"${client}"}`;
      const lines = b.rows.map((r) => JSON.stringify(r).slice(0, -1) + suffix + '\n');
      const blob = Buffer.from(lines.join(''));
      const idx = Buffer.alloc(24 * lines.length);
      let at = offset;
      lines.forEach((l, i) => {
        offsets.push(at);
        // The blob writer's quirk: later records point at the `\n` ending the row before.
        idx.writeBigInt64LE(BigInt(b.ts) * 1_000_000_000n, i * 24);
        idx.writeBigInt64LE(BigInt(i === 0 ? at : at - 1), i * 24 + 8);
        at += Buffer.byteLength(l);
      });
      writeSync(fd, blob);
      if (tfd >= 0) writeSync(tfd, idx);
      offset += blob.length;
    }
    if (opts.raw) for (const r of opts.raw) writeSync(fd, r);
  } finally {
    closeSync(fd);
    if (tfd >= 0) closeSync(tfd);
  }
  return offsets;
}

/** The JSONL day file path of Velociraptor's current layout. */
export function jsonlDayPath(root: string, client: string, artifact: string, day: string): string {
  return join(root, 'clients', client, 'monitoring', ...artifact.split('/'), `${day}.json`);
}

/** A 2018 day file: CSV of JSON-encoded cells, `-` for a missing column, no `_ts`, no extension. */
export function write2018Day(root: string, client: string, artifact: string, day: string, columns: string[], rows: Array<Record<string, unknown>>): string {
  const path = join(root, 'clients', client, 'monitoring', `Artifact%20${artifact}`, day);
  mkdirSync(dirname(path), { recursive: true });
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const text = [columns.join(','), ...rows.map((r) => columns.map((c) => (c in r ? q(JSON.stringify(r[c])) : '-')).join(','))].join('\n') + '\n';
  writeFileSync(path, text);
  return path;
}

/** A 2019 day file: `_ts` first, plain CSV cells; `source` puts it at `<Artifact>/<day>/<Source>.csv`. */
export function write2019Day(root: string, client: string, artifact: string, day: string, columns: string[], rows: Array<Record<string, unknown>>, source?: string): string {
  const base = join(root, 'clients', client, 'monitoring', artifact);
  const path = source ? join(base, day, `${source}.csv`) : join(base, `${day}.csv`);
  mkdirSync(dirname(path), { recursive: true });
  const q = (v: unknown) => {
    const s = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  writeFileSync(path, [columns.join(','), ...rows.map((r) => columns.map((c) => q(r[c])).join(','))].join('\n') + '\n');
  return path;
}

/** Epoch seconds of a time of a day (`2024-05-01`, seconds after midnight UTC). */
export function at(day: string, secs: number): number {
  return Date.parse(`${day}T00:00:00Z`) / 1000 + secs;
}
