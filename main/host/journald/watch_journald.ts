/**
 * `watch_journald(filename, accessor, raw)`: Velociraptor's event plugin that follows a systemd
 * journal file forever and emits the entries added after it started (rows as parse_journald's).
 *
 * At the start it skips to the end (the header's entry count); then, at every poll (each
 * second, and as soon as the kernel reports a change in the file's folder: journald truncates
 * its file to its own size after each write precisely so that inotify sees it), it reads the
 * header again and emits the entries past those already seen. A local file is read through a
 * handle kept open, so that when journald rotates it (the file renamed to `name@...journal` and
 * a new one created) the rest of the old file is read before the new one, from its start. A file
 * whose identity (file id in its header) changed, or that holds fewer entries than were seen,
 * was replaced: it is read from its start. It never ends by itself: it runs until cancelled.
 */
import { stat } from 'node:fs/promises';
import type { PluginDef, Value } from '../../vql/index.ts';
import { accessorOrLog } from '../files/read.ts';
import { localPath, type Accessor } from '../files/accessors.ts';
import { pathText } from '../files/ospath.ts';
import { errorText, fileError } from '../parsers/common.ts';
import { JournalFormatError } from './format.ts';
import { JournalReader } from './reader.ts';
import { entryRow } from './rows.ts';
import { isLocal, openJournal, type OpenJournal } from './source.ts';
import { PollWait } from '../events/poll-wait.ts';

/** How often the file is looked at when no change is reported. */
export const JOURNAL_POLL_MS = 1000;

type Log = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

/** Where following one file has got to. */
class JournalFollower {
  private file: OpenJournal | null = null;
  private identity: string | null = null;
  private fileId: string | null = null;
  /** Entries of the current file already emitted (or skipped at the start). */
  private seen = 0;
  private lastError = '';

  constructor(
    private readonly accessor: Accessor,
    private readonly filename: Value,
    private readonly scope: Parameters<typeof openJournal>[2],
    private readonly log: Log,
    private readonly raw: boolean,
  ) {}

  private where(m: string): string {
    return fileError('filename', this.accessor, this.filename, m);
  }

  private async currentIdentity(): Promise<string | null> {
    if (!isLocal(this.accessor)) return null;
    try {
      const st = await stat(localPath(this.accessor.path(this.filename)));
      return `${st.dev}:${st.ino}`;
    } catch {
      return 'missing';
    }
  }

  private async closeFile(): Promise<void> {
    const f = this.file;
    this.file = null;
    await f?.close().catch(() => {});
  }

  /** Skips what the file holds now (a file that does not exist yet will be read from its start). */
  async start(): Promise<void> {
    try {
      this.file = await openJournal(this.accessor, this.filename, this.scope);
      this.identity = await this.file.identity();
      const reader = await JournalReader.open(this.file, await this.file.size());
      this.fileId = reader.header.fileId;
      this.seen = reader.header.nEntries;
      this.log('debug', this.where(`following from entry ${this.seen}`));
    } catch (e) {
      this.report(e);
      if (!(e instanceof JournalFormatError)) await this.closeFile();
    }
    if (!isLocal(this.accessor)) await this.closeFile();
  }

  private report(e: unknown): void {
    const m = e instanceof JournalFormatError ? e.message : errorText(e);
    if (m === this.lastError) return; // said once, not at every poll
    this.lastError = m;
    if (m === 'no such file') this.log('info', this.where('does not exist yet: waiting for it'));
    else this.log('error', this.where(`${m} (tried again at each poll)`));
  }

  /** The rows of the entries of `file` from `this.seen` on. */
  private async *drain(file: OpenJournal, signal: AbortSignal): AsyncGenerator<Value> {
    const reader = await JournalReader.open(file, await file.size());
    const h = reader.header;
    if (this.fileId !== null && h.fileId !== this.fileId) {
      this.log('info', this.where('was replaced by another journal file: reading the new one from its start'));
      this.seen = 0;
    } else if (h.nEntries < this.seen) {
      this.log('info', this.where(`holds fewer entries than before (${h.nEntries} < ${this.seen}): reading it again from its start`));
      this.seen = 0;
    }
    this.fileId = h.fileId;
    const warn = (m: string) => this.log('warn', this.where(m));
    try {
      for await (const e of reader.entries({ from: this.seen, signal, warn })) {
        this.seen++;
        yield entryRow(e, this.raw);
        if (signal.aborted) return;
      }
    } catch (e) {
      // The tail being written: what is complete was read; the rest comes at the next poll.
      if (!(e instanceof JournalFormatError && /truncated/.test(e.message))) throw e;
    }
    this.lastError = '';
  }

  /** One poll: the rows added since the last one. */
  async *poll(signal: AbortSignal): AsyncGenerator<Value> {
    try {
      const now = await this.currentIdentity();
      if (this.file && this.identity !== null && now !== this.identity) {
        // Rotated (renamed away): the rest of the old file through the kept handle.
        try {
          yield* this.drain(this.file, signal);
        } catch (e) {
          if (signal.aborted) return;
          this.report(e); // the old file is left behind all the same: never stuck on it
        }
        await this.closeFile();
        this.log('info', this.where(now === 'missing'
          ? 'was rotated (moved away): the new file will be read from its start when it appears'
          : 'was rotated: reading the new file from its start'));
        this.seen = 0;
        this.fileId = null;
        this.identity = null;
      }
      if (!this.file) {
        this.file = await openJournal(this.accessor, this.filename, this.scope);
        this.identity = await this.file.identity();
      }
      yield* this.drain(this.file, signal);
    } catch (e) {
      if (signal.aborted) return;
      this.report(e);
    } finally {
      if (!isLocal(this.accessor)) await this.closeFile();
    }
  }

  get localFile(): string | null {
    return isLocal(this.accessor) ? localPath(this.accessor.path(this.filename)) : null;
  }

  close(): Promise<void> {
    return this.closeFile();
  }
}

export const watchJournald: PluginDef = {
  name: 'watch_journald',
  category: 'event',
  doc:
    'Follow a systemd journal file and emit each entry added after the start, as parse_journald() rows; handles rotation. ' +
    'Never ends by itself.',
  args: {
    filename: { type: 'any', required: true, doc: 'The journal file to follow' },
    accessor: { type: 'string', doc: 'How to read it', default: 'auto' },
    raw: { type: 'bool', doc: 'Emit each entry as one flat dict of its fields instead of System/EventData' },
  },
  async *run(call) {
    const { args, scope, signal } = call;
    const log: Log = (level, m) => call.log(level, m);
    const accessor = accessorOrLog(scope, args.accessor, 'argument accessor', log);
    if (!accessor) return;
    if (args.filename === null || args.filename === undefined || pathText(args.filename) === '') {
      log('error', 'argument filename: no file to follow (the path is empty)');
      return;
    }
    const follower = new JournalFollower(accessor, args.filename, scope, log, args.raw === true);
    await follower.start();

    const pause = new PollWait(signal);
    const local = follower.localFile;
    if (local) pause.watchFolderOf(local);
    try {
      while (!signal.aborted) {
        pause.polling();
        for await (const row of follower.poll(signal)) {
          if (signal.aborted) return;
          yield row;
        }
        await pause.wait(JOURNAL_POLL_MS);
      }
    } finally {
      pause.close();
      await follower.close();
    }
  },
};
