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
import { mkdirSync, writeFileSync, openSync, writeSync, closeSync, readdirSync, statSync } from 'node:fs';
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

/** A result set of a flow: `Artifact` or `Artifact/Source` (a Source-split set is `<Artifact>/<fid>/<Source>.json`). */
export interface FlowResultSet {
  artifact: string;
  rows: Array<Record<string, unknown>>;
}

/** A flow as the server stores it (VELOCIRAPTOR-FORMATS.md 2.2, 2.3, 2.6-2.8). */
export interface FlowFixture {
  id: string;
  /** Created, epoch seconds: stored as microseconds strings, started a second later. */
  created: number;
  state?: string;
  artifacts: string[];
  results: FlowResultSet[];
  /** Log messages, one row each. */
  logs?: string[];
  /** Uploaded files: the client path (Windows style, `C:\...`) and the bytes. */
  uploads?: Array<{ path: string; data: Buffer | string }>;
  /** The context file's text instead of the protojson (a garbled context), or null for none. */
  context?: string | null;
}

/** A JSONL file written as client responses arrive (one blob), with its `.json.index` (count in the high 24 bits). */
function writeResultSet(path: string, rows: Array<Record<string, unknown>>): void {
  mkdirSync(dirname(path), { recursive: true });
  const blob = rows.map((r) => JSON.stringify(r) + '\n').join('');
  const idx = Buffer.alloc(8 * rows.length);
  rows.forEach((_, i) => idx.writeBigUInt64LE(BigInt(i) << 40n, i * 8));
  writeFileSync(path, blob);
  writeFileSync(path + '.index', idx);
}

/** The escaping of a datastore path component (2.1), enough for the fixtures' names. */
function escapeComponent(s: string): string {
  return [...Buffer.from(s)].map((b) => (/[A-Za-z0-9\-_.~ $]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0'))).join('');
}

/**
 * Writes a flow of `client` into the datastore at `root`: the context `collections/<fid>.json.db`
 * and `<fid>/stats.json.db` (protojson, times in microseconds as strings), the results under
 * `artifacts/`, `logs.json`, and `uploads.json` with the stored files under `uploads/auto/...`.
 * Returns the paths of the result sets (by artifact), of the log and of the stored uploads.
 */
export function writeFlow(root: string, client: string, f: FlowFixture): { results: Record<string, string>; log?: string; uploads: string[] } {
  const coll = join(root, 'clients', client, 'collections');
  const dir = join(coll, f.id);
  mkdirSync(dir, { recursive: true });
  const us = (s: number) => String(BigInt(s) * 1_000_000n + 123n);
  const withResults = f.results.filter((r) => r.rows.length).map((r) => r.artifact);
  const total = f.results.reduce((n, r) => n + r.rows.length, 0);
  if (f.context !== null) {
    writeFileSync(join(coll, `${f.id}.json.db`), f.context ?? JSON.stringify({
      clientId: client, sessionId: f.id, request: { artifacts: f.artifacts, specs: f.artifacts.map((artifact) => ({ artifact })) },
      createTime: us(f.created), state: 'RUNNING',
    }));
  }
  writeFileSync(join(dir, 'stats.json.db'), JSON.stringify({
    clientId: client, sessionId: f.id, startTime: us(f.created + 1), activeTime: us(f.created + 5),
    totalCollectedRows: String(total), totalLogs: String(f.logs?.length ?? 0), state: f.state ?? 'FINISHED', artifactsWithResults: withResults,
  }));
  const results: Record<string, string> = {};
  for (const r of f.results) {
    const [artifact, source] = r.artifact.split('/');
    const base = join(root, 'clients', client, 'artifacts', escapeComponent(artifact!));
    const path = source ? join(base, f.id, `${escapeComponent(source)}.json`) : join(base, `${f.id}.json`);
    writeResultSet(path, r.rows);
    results[r.artifact] = path;
  }
  let log: string | undefined;
  if (f.logs) {
    log = join(dir, 'logs.json');
    writeResultSet(log, f.logs.map((message, i) => ({ client_time: f.created + i, level: 'DEFAULT', message: `${message}\n`, _ts: f.created + i + 1 })));
  }
  const uploads: string[] = [];
  if (f.uploads) {
    const rows = f.uploads.map((u) => {
      const clientComps = u.path.split('\\');
      const comps = ['clients', client, 'collections', f.id, 'uploads', 'auto', ...clientComps];
      const stored = join(root, ...comps.map(escapeComponent));
      mkdirSync(dirname(stored), { recursive: true });
      writeFileSync(stored, u.data);
      uploads.push(stored);
      const n = Buffer.byteLength(u.data);
      return { Timestamp: f.created + 2, started: '2024-05-01 10:00:02 +0000 UTC', vfs_path: u.path, Type: '', _Components: comps, file_size: n, _accessor: 'auto', _client_components: clientComps, uploaded_size: n };
    });
    writeResultSet(join(dir, 'uploads.json'), rows);
  }
  return { results, ...(log ? { log } : {}), uploads };
}

/** Every file under `dir` with its size and mtime: what "nothing written into the datastore" compares. */
export function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      const st = statSync(p);
      out.push(`${p} ${e.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`);
    }
  };
  walk(dir);
  return out.sort();
}
