/**
 * The log workbench's tables for one window or web connection: the contract's table:*
 * requests over the process's DuckDB engine (main/tables). Each opened table is a database of
 * its own, dropped at `table:close` and when the connection closes (`close()`). Payloads are
 * checked here: the renderer is input, not a trusted caller. Paths: a table reads the file
 * the user opened and nothing else; an export writes only the path the user chose, never into
 * the folder of a file it read (nothing is written next to the evidence) nor the engine's
 * temporary folder; or, for a browser (`download: true`), a file in the engine's own downloads
 * folder that the web host hands over once (main/app/downloads.ts).
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Handlers, SendHandlers, ServiceContext } from './service.ts';
import { fail, ok } from './service.ts';
import type { Result, TableExportRequest, TableSource, TableTimelineRequest, TableViewSpec } from '../ipc/contract.ts';
import { checkOpenRequest } from '../logs/store.ts';
import { DatastoreError, findDatastore, folderDays, rangeFiles } from '../logs/datastore.ts';
import { parseRange } from '../logs/range.ts';
import { tidxByteRange } from '../logs/tidx.ts';
import { suggest } from '../vql/args.ts';
import { safeFileName, sharedDownloads, type Downloads } from './downloads.ts';
import { checkSavePath } from './save-path.ts';
import { defaultMemoryLimit, sharedTableEngine, type TableEngine } from '../tables/engine.ts';
import type { LoadSource, LogFile } from '../tables/load.ts';
import { MAX_VIEWS, OpenTable, TableError } from '../tables/table.ts';
import { SpecError } from '../tables/view.ts';
import { bucketAverages } from './table-series.ts';
import { streamMember, type StreamedMember } from './collections.ts';

type TableChannels =
  | 'table:open' | 'table:info' | 'table:window' | 'table:view' | 'table:locate' | 'table:groups' | 'table:values' | 'table:timeline'
  | 'table:tag' | 'table:sql' | 'table:export' | 'table:problems' | 'table:close' | 'table:settings'
  | 'table:keys' | 'table:expand' | 'table:unexpand';

const FORMATS = new Set(['csv', 'json', 'jsonl', 'parquet']);
const MIME: Record<string, string> = {
  csv: 'text/csv; charset=utf-8', json: 'application/json; charset=utf-8', jsonl: 'application/x-ndjson; charset=utf-8', parquet: 'application/vnd.apache.parquet',
};

function failure(e: unknown): Result<never> {
  if (e instanceof TableError) return fail(e.code, e.message);
  if (e instanceof SpecError) return fail('BadRequest', e.message);
  return fail('TableError', e instanceof Error ? e.message : String(e));
}

const inside = (dir: string, path: string) => {
  const rel = relative(resolve(dir), resolve(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** The table:* handlers of one connection; `close()` drops its tables. */
export function tableHandlers(ctx: ServiceContext, engine: TableEngine = sharedTableEngine(), downloads: Downloads = sharedDownloads()): { invoke: Pick<Handlers, TableChannels>; send: Pick<SendHandlers, 'table:cancel'>; close(): void } {
  const tables = new Map<string, OpenTable>();
  /** Table id -> view id -> the spec it was made from (the last MAX_VIEWS of each table, as the engine keeps). */
  const specs = new Map<string, Map<string, TableViewSpec>>();
  const push = ctx.opts.push;

  const get = (id: unknown): OpenTable => {
    const t = typeof id === 'string' ? tables.get(id) : undefined;
    if (!t) throw new TableError('NotFound', `no open table ${String(id).slice(0, 40)}: open it again`);
    return t;
  };
  const obj = (req: unknown, what: string): Record<string, unknown> => {
    if (!req || typeof req !== 'object') throw new TableError('BadRequest', `${what} takes an object`);
    return req as Record<string, unknown>;
  };
  const run = <A extends unknown[], T>(fn: (...a: A) => Promise<T> | T) =>
    async (...a: A): Promise<Result<T>> => {
      try {
        return ok(await fn(...a));
      } catch (e) {
        return failure(e);
      }
    };

  /** What `source` reads: one file, or the day files (and parts) of a range of a monitoring log, or one member of a collection zip (a streamed copy). */
  async function resolveSource(source: TableSource): Promise<{ load: LoadSource; label: string; files: string[]; member?: StreamedMember }> {
    const s = obj(source, 'table:open') as TableSource;
    if (s.kind === 'zip-entry') {
      if (typeof s.path !== 'string' || !isAbsolute(s.path) || typeof s.entry !== 'string' || !s.entry) {
        throw new TableError('BadRequest', "table:open of a collection member takes { kind: 'zip-entry', path: the zip's absolute path, entry: the member's name }");
      }
      const member = await streamMember(engine.folder, s.path, s.entry);
      return { load: { kind: 'file', path: member.copy }, label: member.label, files: [s.path], member };
    }
    if (s.kind === 'file') {
      if (typeof s.path !== 'string' || !isAbsolute(s.path)) throw new TableError('BadRequest', 'table:open needs the absolute path of a file');
      const st = await stat(s.path).catch((e: NodeJS.ErrnoException) => {
        throw new TableError('NotFound', e.code === 'ENOENT' ? `${s.path} does not exist` : `${s.path} cannot be read: ${e.message}`);
      });
      if (!st.isFile()) throw new TableError('BadRequest', `${s.path} is not a file`);
      return { load: { kind: 'file', path: s.path }, label: basename(s.path), files: [s.path] };
    }
    if (s.kind === 'folder') {
      // A folder of day files (YYYY-MM-DD.csv and its parts): the monitoring-log load, in time order.
      if (typeof s.path !== 'string' || !isAbsolute(s.path)) throw new TableError('BadRequest', 'table:open needs the absolute path of a folder');
      const st = await stat(s.path).catch(() => null);
      if (!st?.isDirectory()) throw new TableError(st ? 'BadRequest' : 'NotFound', st ? `${s.path} is not a folder` : `${s.path} does not exist`);
      // Day files of any layout (main/logs/datastore.ts): CSV days and parts, Velociraptor's JSONL days, 2018 day files.
      const parts = await folderDays(s.path);
      const days = [...parts.keys()];
      const files: LogFile[] = days.flatMap((d, i) => parts.get(d)!.map((f) => ({ path: f.path, day: i, format: f.format })));
      if (!files.length) {
        const datastore = await findDatastore(s.path).catch(() => null);
        if (datastore) throw new TableError('NotFound', `${s.path} is a monitoring datastore, not a folder of day files: open it in Monitoring logs with Open datastore…`);
        throw new TableError('NotFound', `${s.path} holds no day files (named like 2024-05-01.csv, 2024-05-01.1.csv or 2024-05-01.json): open a file instead`);
      }
      return { load: { kind: 'logs', files }, label: `${basename(s.path)} ${days[0]}..${days[days.length - 1]}`, files: files.map((f) => f.path) };
    }
    if (s.kind === 'logs') {
      // The app's own datastore, or another one opened read-only (store:datastore), in any layout.
      let root: string;
      if (s.datastore !== undefined) {
        if (typeof s.datastore !== 'string' || !isAbsolute(s.datastore)) throw new TableError('BadRequest', 'table:open needs the absolute path of the datastore folder');
        root = (await findDatastore(s.datastore).catch((e: Error) => {
          throw new TableError(e instanceof DatastoreError ? 'BadRequest' : 'TableError', e.message);
        })).root;
      } else {
        const collector = ctx.opts.collector;
        if (!collector) throw new TableError('NoCollector', 'this host runs without a collector: start it with vql serve [--datastore DIR] or the desktop app, or open a datastore folder');
        root = collector.datastore;
      }
      const problem = checkOpenRequest({ client: s.client, artifact: s.artifact, from: s.from, to: s.to });
      if (problem) throw new TableError('BadRequest', problem);
      const range = parseRange(s.fromTime ?? s.from, s.toTime ?? s.to);
      if (typeof range === 'string') throw new TableError('BadRequest', range);
      // Whole days unless a time is given: the `to` day is inclusive.
      const days = { fromDay: s.fromTime === undefined ? s.from : range.fromDay, toDay: s.toTime === undefined ? s.to : range.toDay };
      const found = await rangeFiles(root, s.client, s.artifact, days.fromDay, days.toDay);
      if (!found.known.includes(s.artifact)) {
        const near = suggest(s.artifact, found.known);
        throw new TableError('NotFound', `${s.artifact} of ${s.client} has no day files: no monitoring log of that name${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}`);
      }
      const files: LogFile[] = [];
      const dayIndex = new Map<string, number>();
      for (const f of found.files) {
        if (!dayIndex.has(f.day)) dayIndex.set(f.day, dayIndex.size);
        const cutFrom = s.fromTime !== undefined && range.fromMs !== undefined && f.day === days.fromDay ? range.fromMs : undefined;
        const cutTo = s.toTime !== undefined && range.toMs !== undefined && f.day === days.toDay ? range.toMs : undefined;
        let bytes: LogFile['range'];
        if ((cutFrom !== undefined || cutTo !== undefined) && f.format === 'jsonl' && f.tidx) {
          const r = await tidxByteRange(f.path, f.tidx, cutFrom, cutTo);
          if (r) bytes = { start: r.start, end: r.end, firstLine: r.firstRow };
        }
        files.push({ path: f.path, day: dayIndex.get(f.day)!, format: f.format, ...(bytes ? { range: bytes } : {}) });
      }
      if (!files.length) throw new TableError('NotFound', `${s.artifact} of ${s.client} has no day files from ${days.fromDay} to ${days.toDay}`);
      const when = s.fromTime !== undefined || s.toTime !== undefined ? `${String(s.fromTime ?? s.from)}..${String(s.toTime ?? s.to)}` : `${s.from}..${s.to}`;
      return { load: { kind: 'logs', files }, label: `${s.artifact} ${when} (${s.client})`, files: files.map((f) => f.path) };
    }
    throw new TableError('BadRequest', "table:open takes { kind: 'file', path }, { kind: 'folder', path }, { kind: 'logs', client, artifact, from, to } or { kind: 'zip-entry', path, entry }");
  }

  /** Checks the export path: absolute, in an existing folder, not a folder itself, away from the evidence and the engine's files. */
  async function exportPath(t: OpenTable, req: TableExportRequest): Promise<string> {
    if (typeof req.path !== 'string' || !isAbsolute(req.path)) throw new TableError('BadRequest', 'export needs the absolute path of the file to write');
    const path = resolve(req.path);
    for (const src of t.sources) {
      if (resolve(src) === path) throw new TableError('Refused', `${path} is the file this table was read from: choose another file`);
      if (resolve(dirname(src)) === dirname(path)) throw new TableError('Refused', `${dirname(path)} holds the evidence this table was read from: exports are never written next to it, choose another folder`);
    }
    if (inside(engine.folder, path)) throw new TableError('Refused', `${path} is inside the engine's temporary folder: choose another folder`);
    const checked = await checkSavePath(path, req.overwrite === true);
    if ('problem' in checked) throw new TableError(checked.problem.code, checked.problem.message);
    return checked.path;
  }

  return {
    invoke: {
      'table:open': run(async (source: TableSource) => {
        const { load, label, files, member } = await resolveSource(source);
        const id = randomUUID();
        let t: OpenTable;
        try {
          t = await OpenTable.open(engine, id, label, load, files, (phase, fraction, rowsRead, info) => push('table:progress', id, { phase, fraction, rowsRead, ...(info ? { info } : {}) }), member?.shown);
        } catch (e) {
          member?.remove();
          throw e;
        }
        // The member's copy is read until the load (and a CSV's quote scan) ends, then removed.
        if (member && (t.state === 'failed' || t.state === 'cancelled')) member.remove();
        else if (member) void t.loaded.then(() => t.linted).finally(() => member.remove());
        if (t.state !== 'failed' && t.state !== 'cancelled') tables.set(id, t);
        return t.info();
      }),
      'table:info': run((id: string) => get(id).info()),
      'table:window': run((req) => get(obj(req, 'table:window').id).window(req)),
      'table:view': run(async (req) => {
        const t = get(obj(req, 'table:view').id);
        const made = await t.makeView(req.spec, req.limit, req.columns);
        const views = specs.get(t.id) ?? new Map<string, TableViewSpec>();
        specs.set(t.id, views);
        views.set(made.view, req.spec);
        for (const old of [...views.keys()].slice(0, Math.max(0, views.size - MAX_VIEWS))) views.delete(old);
        return made;
      }),
      'table:locate': run((req) => get(obj(req, 'table:locate').id).locate(req.view, req.row)),
      'table:groups': run((req) => get(obj(req, 'table:groups').id).groups(req.view, req.columns, req.limit)),
      'table:values': run((req) => get(obj(req, 'table:values').id).values(req.view, req.column, req.limit)),
      'table:timeline': run(async (req: TableTimelineRequest) => {
        const t = get(obj(req, 'table:timeline').id);
        const tl = await t.timeline(req.view, req.column, req.buckets);
        if (req.series === undefined) return tl;
        const spec = req.view ? specs.get(t.id)?.get(String(req.view)) : undefined;
        if (req.view && !spec) throw new TableError('NotFound', `view ${String(req.view).slice(0, 40)} is gone: make it again`);
        return { ...tl, series: await bucketAverages(t, spec, tl, req.series) };
      }),
      'table:keys': run((req) => get(obj(req, 'table:keys').id).fieldKeys(req.view, req.column, req.path, req.limit)),
      'table:expand': run(async (req) => {
        const t = get(obj(req, 'table:expand').id);
        const r = await t.expand(req.column, req.path);
        specs.delete(t.id); // its views were dropped
        return r;
      }),
      'table:unexpand': run(async (req) => {
        const t = get(obj(req, 'table:unexpand').id);
        const info = await t.unexpand(req.column);
        specs.delete(t.id);
        return info;
      }),
      'table:tag': run((req) => get(obj(req, 'table:tag').id).tag(req.rows, req.tagged !== false)),
      'table:sql': run((req) => get(obj(req, 'table:sql').id).sql(req.sql, req.limit)),
      'table:export': run(async (req: TableExportRequest) => {
        const t = get(obj(req, 'table:export').id);
        if (!FORMATS.has(req.format)) throw new TableError('BadRequest', 'export format is csv, json, jsonl or parquet');
        if (req.download === true) {
          // For the browser: into a folder of the engine's own, handed over once by the web host.
          const root = join(engine.folder, 'downloads');
          const dir = downloads.newFolder(root);
          const name = safeFileName(req.fileName, `export.${req.format}`);
          const path = join(dir, name);
          try {
            const done = await t.exportTo(req, path);
            return { path: '', ...done, download: `/exports/${downloads.add(root, { path, name, contentType: MIME[req.format]! })}` };
          } catch (e) {
            rmSync(dir, { recursive: true, force: true });
            throw e;
          }
        }
        const path = await exportPath(t, req);
        return { path, ...(await t.exportTo(req, path)) };
      }),
      'table:problems': run((req) => get(obj(req, 'table:problems').id).problemsPage(req.offset, req.limit)),
      'table:close': run((id: string) => {
        const t = get(id);
        tables.delete(id);
        specs.delete(id);
        t.close();
        return true as const;
      }),
      'table:settings': run((req?: { memoryLimit?: number }) => {
        if (req && req.memoryLimit !== undefined) {
          try {
            engine.setMemoryLimit(Number(req.memoryLimit));
          } catch (e) {
            throw new TableError('BadRequest', (e as Error).message);
          }
        }
        return { memoryLimit: engine.memoryLimit, defaultMemoryLimit: defaultMemoryLimit(), tempDir: engine.folder, openTables: engine.openCount };
      }),
    },
    send: {
      'table:cancel': (id) => tables.get(id)?.cancel(),
    },
    close: () => {
      for (const t of tables.values()) t.close();
      tables.clear();
      specs.clear();
    },
  };
}
