/**
 * `watch_evtx(filename, accessor, messagedb)`: Velociraptor's event plugin that follows Windows
 * event log files and emits the records added after it started, as parse_evtx() rows.
 *
 * At the start it notes the highest record number of each file (from its newest chunk); then at
 * every poll (every EVTX_FREQUENCY seconds, a scope variable as in Velociraptor, default 15; and
 * as soon as the kernel reports a change in the folder of a local file) it reads the chunks
 * that may hold newer records and emits those above the last one seen, in order. A file whose
 * records all number below that (the log was cleared, or replaced) is read again from its
 * start. A file that does not exist yet is waited for. It never ends by itself.
 */
import type { PluginDef, Scope, Value } from '../../../vql/index.ts';
import { ABSENT } from '../../../vql/index.ts';
import { localPath, type Accessor } from '../../files/accessors.ts';
import { accessorOrLog } from '../../files/read.ts';
import { pathText } from '../../files/ospath.ts';
import { PollWait } from '../../events/poll-wait.ts';
import { errorText, fileError, valueList } from '../common.ts';
import { EvtxFormatError } from './format.ts';
import { evtxRow } from './parse_evtx.ts';
import { EvtxFile, type EvtxLog } from './reader.ts';

/** The poll period when the scope does not set EVTX_FREQUENCY (seconds). */
export const DEFAULT_EVTX_FREQUENCY = 15;

/** Where following one file has got to. */
class EvtxFollower {
  /** The highest record number emitted (or found at the start); null until the file was read. */
  private last: bigint | null = null;
  private lastError = '';

  constructor(
    private readonly accessor: Accessor,
    readonly filename: Value,
    private readonly scope: Scope,
    private readonly log: EvtxLog,
  ) {}

  private where(m: string): string {
    return fileError('filename', this.accessor, this.filename, m);
  }

  /** Logs a problem once (not at every poll). */
  private report(e: unknown): void {
    const m = e instanceof EvtxFormatError ? e.message : errorText(e);
    if (m === this.lastError) return;
    this.lastError = m;
    if (m === 'no such file') this.log('info', this.where('does not exist yet: waiting for it'));
    else this.log('error', this.where(`${m} (tried again at each poll)`));
  }

  /** Notes the highest record number the file holds now (its records will not be emitted). */
  async start(signal: AbortSignal): Promise<void> {
    try {
      const reader = await this.accessor.open(this.filename, this.scope);
      try {
        const file = await EvtxFile.open(reader);
        const chunks = await file.chunks(signal, () => {});
        let last = 0n;
        const newest = chunks.at(-1);
        if (newest) {
          for (const rs of await file.readChunk(newest, signal, () => {})) if (rs.recordNumber > last) last = rs.recordNumber;
        }
        this.last = last;
        this.log('debug', this.where(`following after record ${last}`));
      } finally {
        await reader.close().catch(() => {});
      }
    } catch (e) {
      this.report(e);
      this.last = 0n; // appears later: everything in it is new
    }
  }

  /** One poll: the rows of the records added since the last one. */
  async *poll(signal: AbortSignal): AsyncGenerator<Value> {
    let reader;
    try {
      reader = await this.accessor.open(this.filename, this.scope);
    } catch (e) {
      this.report(e);
      return;
    }
    let failed = false;
    const fileLog: EvtxLog = (level, m) => {
      if (level !== 'error') return this.log(level, this.where(m));
      failed = true;
      this.report(new Error(m));
    };
    try {
      const file = await EvtxFile.open(reader);
      const chunks = await file.chunks(signal, fileLog);
      const prev = this.last ?? 0n;
      let last = prev;
      let maxSeen = 0n;
      for (let i = 0; i < chunks.length && !signal.aborted; i++) {
        // Record numbers grow: a chunk whose successor starts at or below the next record
        // expected holds nothing new.
        const next = chunks[i + 1];
        if (next && prev > 0n && next.firstRecordId <= prev + 1n) continue;
        for (const r of await file.readChunk(chunks[i]!, signal, fileLog)) {
          if (r.recordNumber > maxSeen) maxSeen = r.recordNumber;
          if (r.recordNumber <= last) continue;
          last = r.recordNumber;
          yield evtxRow(r);
        }
      }
      if (maxSeen > 0n && maxSeen < prev) {
        this.log('info', this.where(`holds only records up to ${maxSeen}, below ${prev}: the log was cleared or replaced, reading it from its start`));
        last = 0n;
        for (const ref of chunks) {
          if (signal.aborted) break;
          for (const r of await file.readChunk(ref, signal, fileLog)) {
            if (r.recordNumber <= last) continue;
            last = r.recordNumber;
            yield evtxRow(r);
          }
        }
      }
      this.last = last;
      if (!failed) this.lastError = '';
    } catch (e) {
      if (!signal.aborted) this.report(e);
    } finally {
      await reader.close().catch(() => {});
    }
  }

  /** The local file's path, for watching its folder (null for other accessors). */
  get localFile(): string | null {
    if (this.accessor.name !== 'file' && this.accessor.name !== 'auto') return null;
    try {
      return localPath(this.accessor.path(this.filename));
    } catch {
      return null;
    }
  }
}

/** The poll period: the scope's EVTX_FREQUENCY (seconds), else the default. */
async function frequencyMs(scope: Scope): Promise<number> {
  const v = await scope.lookup('EVTX_FREQUENCY');
  const n = v === ABSENT ? NaN : Number(v);
  return (Number.isFinite(n) && n > 0 ? n : DEFAULT_EVTX_FREQUENCY) * 1000;
}

export const watchEvtx: PluginDef = {
  name: 'watch_evtx',
  category: 'event',
  doc:
    'Follow Windows event log (.evtx) files and emit each record added after the start, as parse_evtx() rows ' +
    '(polled every EVTX_FREQUENCY seconds, default 15, and on change for local files). Never ends by itself.',
  args: {
    filename: { type: 'any', required: true, doc: 'The .evtx file (or a list of them) to follow' },
    accessor: { type: 'string', doc: 'How to read it', default: 'auto' },
    messagedb: { type: 'string', doc: 'A message database (accepted for compatibility; messages are not resolved on this host)' },
    workers: { type: 'int', doc: 'Accepted for compatibility with Velociraptor; the files are followed by one loop' },
  },
  async *run(call) {
    const { args, scope, signal } = call;
    const log: EvtxLog = (level, m) => call.log(level, m);
    const accessor = accessorOrLog(scope, args.accessor, 'argument accessor', log);
    if (!accessor) return;
    const names = valueList(args.filename).filter((f) => f !== null && f !== undefined && pathText(f) !== '');
    if (names.length === 0) {
      log('error', 'argument filename: no file to follow (the path is empty)');
      return;
    }
    const followers = names.map((f) => new EvtxFollower(accessor, f, scope, log));
    for (const f of followers) await f.start(signal);
    const period = await frequencyMs(scope);
    const pause = new PollWait(signal);
    for (const f of followers) {
      const local = f.localFile;
      if (local) pause.watchFolderOf(local);
    }
    try {
      while (!signal.aborted) {
        pause.polling();
        for (const f of followers) {
          for await (const row of f.poll(signal)) {
            if (signal.aborted) return;
            yield row;
          }
        }
        await pause.wait(period);
      }
    } finally {
      pause.close();
    }
  },
};
