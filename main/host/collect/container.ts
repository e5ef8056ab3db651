/**
 * A collection container: the zip Velociraptor's offline collector writes
 * (VELOCIRAPTOR-FORMATS.md 1.2), so that a Velociraptor server's collection import
 * (`Server.Utils.ImportCollection`) takes it:
 *
 *   results/<Artifact or Artifact%2FSource>.json (+ .json.index)   rows as JSON lines, no _Source
 *   log.json (+ .index)                       {_ts, client_time, level, message}
 *   uploads/<accessor>/<escaped components>   the uploaded files (from the run's upload folder)
 *   uploads.json (+ .index)                   one row per upload (when there are uploads)
 *   collection_context.json                   the flow: session_id, request, totals, artifacts_with_results
 *   requests.json                             the compiled requests
 *   client_info.json                          this machine's info() row
 *
 * Rows and log lines are spooled to files in a work folder while the run goes on (nothing is
 * held in memory but a batch); `close()` streams everything into the zip (zip-write.ts). The
 * uploads come from the run's upload folder (upload-store.ts), which a worker thread may
 * have filled: only uploads that completed are taken.
 */
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { VDict, toJSON, type LogLevel, type Value } from '../../vql/index.ts';
import { escapeComponent } from './zip-escape.ts';
import { UploadStore, uploadsJsonRow, type UploadRecord } from './upload-store.ts';
import { ZipWriter } from './zip-write.ts';

/** One artifact of the collection, as the request records it. */
export interface CollectedArtifact {
  readonly name: string;
  /** The parameters as given (text), for `specs`. */
  readonly given: ReadonlyArray<readonly [string, string]>;
  /** Every parameter with its value (text), for the request's `env`. */
  readonly env: ReadonlyArray<readonly [string, string]>;
  /** The compiled requests: statements as VQL, the source's SELECT with its name. */
  readonly requests: ReadonlyArray<ReadonlyArray<{ readonly name?: string; readonly vql: string }>>;
  /** The result set names its sources produce (`Artifact`, `Artifact/Source`). */
  readonly sources: readonly string[];
}

export interface ContainerOptions {
  /** The zip to write. */
  readonly output: string;
  /** Where rows and log lines are spooled until close (a folder of the run's own). */
  readonly workDir: string;
  /** The run's upload folder (upload-store.ts), packed at close. */
  readonly uploadDir: string;
  readonly artifacts: readonly CollectedArtifact[];
}

/** What close() reports. */
export interface ContainerSummary {
  readonly output: string;
  readonly sessionId: string;
  readonly rows: number;
  readonly uploads: number;
  readonly uploadedBytes: number;
  readonly artifactsWithResults: readonly string[];
}

/** A spooled JSON-lines file with its 8-byte row index. */
class Spool {
  private readonly fd: number;
  private readonly idx: number;
  rows = 0;
  bytes = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'wx', 0o600);
    this.idx = openSync(path + '.index', 'wx', 0o600);
  }

  /** Appends lines (each without its newline). */
  write(lines: readonly string[]): void {
    if (!lines.length) return;
    const index = Buffer.alloc(8 * lines.length);
    let text = '';
    for (let i = 0; i < lines.length; i++) {
      // Velociraptor's container index: offset | 1 << 40 (FORMATS 1.4).
      index.writeBigUInt64LE(BigInt(this.bytes + Buffer.byteLength(text)) | (1n << 40n), 8 * i);
      text += lines[i] + '\n';
    }
    const buf = Buffer.from(text, 'utf8');
    writeSync(this.fd, buf);
    writeSync(this.idx, index);
    this.bytes += buf.length;
    this.rows += lines.length;
  }

  close(): void {
    closeSync(this.fd);
    closeSync(this.idx);
  }
}

const LEVELS: Record<LogLevel | 'default', string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', default: 'DEFAULT' };

/** Velociraptor's flow id: `F.` and 13 base32hex characters (4 bytes of time, 4 random). */
export function newFlowId(now = Date.now()): string {
  const buf = Buffer.alloc(8);
  buf.writeUInt32BE(Math.floor(now / 1000) >>> 0, 0);
  randomBytes(4).copy(buf, 4);
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUV';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return 'F.' + out.slice(0, 13);
}

interface ArtifactStats {
  started: number;
  ended: number;
  rows: number;
  logs: number;
  error: string | undefined;
  names: Set<string>;
}

export class CollectionContainer {
  readonly sessionId = newFlowId();
  private readonly createdNs = BigInt(Date.now()) * 1_000_000n;
  private readonly results = new Map<string, Spool>();
  private readonly logSpool: Spool;
  private readonly stats = new Map<string, ArtifactStats>();
  private current: ArtifactStats | null = null;
  private logs = 0;
  private firstError: string | undefined;

  constructor(readonly opts: ContainerOptions) {
    this.logSpool = new Spool(join(opts.workDir, 'log.json'));
  }

  /** Records a log line (the run's logger calls it for every line it prints). */
  readonly log = (level: LogLevel | 'default', message: string): void => {
    if (level === 'debug') return;
    const ts = Math.floor(Date.now() / 1000);
    this.logSpool.write([toJSON(new VDict([['_ts', ts], ['client_time', ts], ['level', LEVELS[level]], ['message', message.endsWith('\n') ? message : message + '\n']]))]);
    this.logs++;
    if (this.current) this.current.logs++;
    if (level === 'error') {
      this.firstError ??= message;
      if (this.current) this.current.error ??= message;
    }
  };

  private spool(name: string): Spool {
    let s = this.results.get(name);
    if (!s) {
      s = new Spool(join(this.opts.workDir, `r${this.results.size}.json`));
      this.results.set(name, s);
    }
    return s;
  }

  /** Takes one artifact's result stream: each row to its source's result set. */
  async emit(stream: AsyncIterable<unknown[]>, caption: string, onRows?: (n: number) => void): Promise<void> {
    const results = this.begin(caption);
    try {
      for await (const batch of stream) {
        results.write(batch);
        onRows?.(batch.length);
      }
    } finally {
      results.end();
    }
  }

  /**
   * Starts one artifact's results for a caller that reads the stream itself (the app's run also
   * sends each batch to the page): `write` each batch as it comes, `end` when the stream stops.
   */
  begin(caption: string): { write(batch: readonly unknown[]): void; end(): void } {
    const art = this.opts.artifacts.find((a) => a.name === caption);
    const stats: ArtifactStats = { started: Date.now(), ended: 0, rows: 0, logs: 0, error: undefined, names: new Set() };
    this.stats.set(caption, stats);
    this.current = stats;
    this.log('default', `Starting collection of ${caption}`);
    // A source's result set exists as soon as it runs, rows or not.
    for (const s of art?.sources ?? []) this.spool(s);
    return {
      write: (batch) => {
        const bySet = new Map<string, string[]>();
        for (const r of batch as Value[]) {
          let name = caption;
          let row = r;
          if (r instanceof VDict) {
            const src = r.get('_Source');
            if (typeof src === 'string' && src) name = src;
            if (r.has('_Source')) {
              row = new VDict(r.map);
              (row as VDict).delete('_Source');
            }
          }
          let lines = bySet.get(name);
          if (!lines) bySet.set(name, (lines = []));
          lines.push(toJSON(row));
        }
        for (const [name, lines] of bySet) {
          this.spool(name).write(lines);
          stats.names.add(name);
        }
        stats.rows += batch.length;
      },
      end: () => {
        stats.ended = Date.now();
        if (this.current === stats) this.current = null;
      },
    };
  }

  /** Packs everything into the zip. `interrupted`: why the run ended early, if it did. */
  async close(clientInfo: VDict | null, interrupted?: string): Promise<ContainerSummary> {
    this.logSpool.close();
    for (const s of this.results.values()) s.close();
    const records = UploadStore.readIndex(this.opts.uploadDir);
    const zip = await ZipWriter.create(this.opts.output);
    const closed = new Date();
    let ok = false;
    try {
      for (const [name, s] of this.results) {
        const member = `results/${escapeComponent(name)}.json`;
        await zip.addFile(member, s.path, s.bytes);
        await zip.addFile(member + '.index', s.path + '.index', statSync(s.path + '.index').size);
      }
      await zip.addFile('log.json', this.logSpool.path, this.logSpool.bytes);
      await zip.addFile('log.json.index', this.logSpool.path + '.index', statSync(this.logSpool.path + '.index').size);
      for (const r of records) {
        const mtime = r.mtime === null ? null : new Date(r.mtime * 1000);
        if (r.isDir) await zip.addDirectory(r.member, { mtime });
        else await zip.addFile(r.member, join(this.opts.uploadDir, r.file), r.stored, { mtime });
      }
      if (records.length) await this.addUploadsJson(zip, records, closed);
      await zip.addBytes('collection_context.json', toJSON(this.context(records, interrupted), { indent: 1 }));
      await zip.addBytes('requests.json', toJSON(this.requests(), { indent: 1 }));
      if (clientInfo) await zip.addBytes('client_info.json', toJSON(clientInfo, { indent: 1 }));
      ok = true;
    } finally {
      await zip.close().catch((e: unknown) => {
        if (ok) throw e;
      });
    }
    const withResults = [...this.results].filter(([, s]) => s.rows > 0).map(([n]) => n);
    return {
      output: this.opts.output,
      sessionId: this.sessionId,
      rows: [...this.results.values()].reduce((n, s) => n + s.rows, 0),
      uploads: records.length,
      uploadedBytes: records.reduce((n, r) => n + r.stored, 0),
      artifactsWithResults: withResults,
    };
  }

  private async addUploadsJson(zip: ZipWriter, records: readonly UploadRecord[], closed: Date): Promise<void> {
    let text = '';
    const index = Buffer.alloc(8 * records.length);
    records.forEach((r, i) => {
      index.writeBigUInt64LE(BigInt(Buffer.byteLength(text)) | (1n << 40n), 8 * i);
      text += toJSON(uploadsJsonRow(r, closed)) + '\n';
    });
    await zip.addBytes('uploads.json', text);
    await zip.addBytes('uploads.json.index', index);
  }

  /** collection_context.json: the flow (ArtifactCollectorContext, proto field names). */
  private context(records: readonly UploadRecord[], interrupted: string | undefined): VDict {
    const now = Date.now();
    const specs = this.opts.artifacts.map((a) => new VDict([
      ['artifact', a.name],
      ['parameters', new VDict([['env', a.given.map(([k, v]) => new VDict([['key', k], ['value', v]]))]])],
    ]));
    const expected = records.filter((r) => !r.isDir).reduce((n, r) => n + r.size, 0);
    const rows = [...this.results.values()].reduce((n, s) => n + s.rows, 0);
    const status = interrupted ?? this.firstError;
    const ctx = new VDict([
      ['session_id', this.sessionId],
      ['request', new VDict([['artifacts', this.opts.artifacts.map((a) => a.name)], ['specs', specs], ['max_upload_bytes', 1073741824]])],
      ['create_time', this.createdNs],
      ['start_time', this.createdNs],
    ]);
    if (records.length) {
      ctx.set('total_uploaded_files', records.length);
      ctx.set('total_expected_uploaded_bytes', expected);
      ctx.set('total_uploaded_bytes', expected);
    }
    if (rows) ctx.set('total_collected_rows', rows);
    if (this.logs) ctx.set('total_logs', this.logs);
    ctx.set('total_requests', this.opts.artifacts.length);
    ctx.set('execution_duration', (BigInt(now) * 1_000_000n - this.createdNs));
    ctx.set('state', status ? 3 : 2);
    if (status) ctx.set('status', status);
    const withResults = [...this.results].filter(([, s]) => s.rows > 0).map(([n]) => n);
    if (withResults.length) ctx.set('artifacts_with_results', withResults);
    ctx.set('query_stats', this.opts.artifacts.map((a, i) => {
      const s = this.stats.get(a.name);
      const q = new VDict();
      if (s?.error) {
        q.set('status', 10);
        q.set('error_message', s.error);
      }
      if (s) q.set('duration', (s.ended || now) - s.started > 0 ? ((s.ended || now) - s.started) * 1_000_000 : 0);
      const names = s ? [...s.names].filter((n) => (this.results.get(n)?.rows ?? 0) > 0) : [];
      if (names.length) q.set('names_with_response', names);
      if (s?.logs) q.set('log_rows', s.logs);
      if (s?.rows) q.set('result_rows', s.rows);
      q.set('query_id', i + 1);
      q.set('total_queries', this.opts.artifacts.length);
      return q;
    }));
    return ctx;
  }

  /** requests.json: one VQLCollectorArgs per compiled request. */
  private requests(): VDict {
    const items: VDict[] = [];
    let id = 0;
    const total = this.opts.artifacts.reduce((n, a) => n + a.requests.length, 0);
    for (const a of this.opts.artifacts) {
      for (const queries of a.requests) {
        id++;
        items.push(new VDict([
          ['session_id', this.sessionId],
          ['request_id', id],
          ['VQLClientAction', new VDict([
            ['query_id', id],
            ['total_queries', total],
            ['env', a.env.map(([k, v]) => new VDict([['key', k], ['value', v]]))],
            ['Query', queries.map((q) => (q.name ? new VDict([['Name', q.name], ['VQL', q.vql]]) : new VDict([['VQL', q.vql]])))],
            ['max_row', 1000],
            ['artifacts', [a.name]],
          ])],
        ]));
      }
    }
    return new VDict([['items', items]]);
  }
}
