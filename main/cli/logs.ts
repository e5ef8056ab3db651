/**
 * `vql logs`: a monitoring datastore's logs on the command line, with the same reading code as
 * the app's log browser (main/logs): `list` prints clients (and hostnames), artifacts and days
 * with rows and sizes; `show` streams the rows of a day or time range of one artifact, days and
 * schema parts merged in `_ts` order, in flat memory (one batch per file of the day in hand).
 * Problems in the files (a line that is not JSON, a line cut short, an over-long line) go to
 * stderr as WARNING lines with file and line, and the rest is printed. Nothing is written into
 * the datastore.
 */
import { parseArgs } from 'node:util';
import { defaultDatastore } from '../collector/paths.ts';
import { RowCounter } from '../logs/counts.ts';
import { datastoreClients, findDatastore, rangeFiles, type Datastore } from '../logs/datastore.ts';
import { clientHostnames } from '../logs/hostnames.ts';
import { parseRange, rangeRows } from '../logs/range.ts';
import { storeArtifacts } from '../logs/store.ts';
import { suggest } from '../vql/args.ts';
import { fromJSON } from '../vql/values/json.ts';
import { VDict } from '../vql/values/types.ts';
import { fail } from './flags.ts';
import { makeWriter } from './output.ts';
import { terminalSafe } from '../text/safe-text.ts';

const LOGS_COMMANDS = ['list', 'show'];

/** Writes to stdout, waiting when the pipe is full (flat memory whatever the reader's speed). */
async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await new Promise<void>((r) => process.stdout.once('drain', r));
}

function warnLine(message: string): void {
  const line = `WARNING: ${message}`;
  process.stderr.write(`${process.stderr.isTTY ? terminalSafe(line) : line}\n`);
}

async function openDatastore(dir: string | undefined): Promise<Datastore> {
  try {
    return await findDatastore(dir ?? defaultDatastore());
  } catch (e) {
    // The app's own datastore before any event artifact ran: nothing logged yet, not a mistake.
    if (dir === undefined) fail(`no monitoring logs yet in ${defaultDatastore()} (run vql monitor, or give --datastore DIR)`);
    fail((e as Error).message);
  }
}

function size(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1 << 20 ? `${(bytes / 1024).toFixed(1)} KB` : bytes < 1 << 30 ? `${(bytes / 2 ** 20).toFixed(1)} MB` : `${(bytes / 2 ** 30).toFixed(2)} GB`;
}

async function list(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { datastore: { type: 'string' }, client: { type: 'string' } }, allowPositionals: true });
  if (positionals.length) fail(`logs list takes no arguments, not '${positionals[0]}'`);
  const ds = await openDatastore(values.datastore);
  let ids = await datastoreClients(ds);
  if (values.client) {
    if (!ids.includes(values.client)) fail(clientProblem(values.client, ids, ds.root));
    ids = [values.client];
  }
  const hosts = await clientHostnames(ds.root, ids);
  const counter = new RowCounter();
  let out = `datastore: ${ds.root}\n`;
  if (!ids.length) out += 'no monitoring logs (no clients/<id>/monitoring folder with day files)\n';
  for (const id of ids) {
    out += `\nclient ${id}${hosts.has(id) ? ` (${hosts.get(id)})` : ''}\n`;
    const rows = [['ARTIFACT', 'DAYS', 'FIRST', 'LAST', 'ROWS', 'SIZE']];
    for (const a of await storeArtifacts(ds.root, id, counter)) {
      const n = a.days.reduce((s, d) => s + d.rows, 0);
      const b = a.days.reduce((s, d) => s + d.bytes, 0);
      rows.push([a.artifact, String(a.days.length), a.days[0]!.day, a.days[a.days.length - 1]!.day, n.toLocaleString('en-US'), size(b)]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) out += '  ' + r.map((c, i) => (i >= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd() + '\n';
  }
  await write(out);
  return 0;
}

function clientProblem(id: string, ids: string[], root: string): string {
  const near = suggest(id, ids);
  return `no client ${id} with monitoring logs in ${root}${near.length ? `: did you mean ${near.join(' or ')}?` : ids.length ? ` (clients: ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''})` : ''}`;
}

async function show(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { datastore: { type: 'string' }, client: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string', default: 'jsonl' } },
    allowPositionals: true,
  });
  const [artifact, extra] = positionals;
  if (!artifact) fail('logs show needs an artifact name: vql logs show ARTIFACT --from DAY --to DAY (vql logs list shows them)');
  if (extra) fail(`logs show takes one artifact, not '${extra}' too`);
  const format = values.format!;
  if (!['csv', 'jsonl', 'json'].includes(format)) fail(`--format must be one of csv, jsonl, json, not '${format}'`);
  if (!values.from && !values.to) fail('logs show needs --from and/or --to (a day such as 2024-05-01, or a time 2024-05-01T10:00:00Z)');
  const range = parseRange(values.from, values.to ?? values.from);
  if (typeof range === 'string') fail(range);
  const ds = await openDatastore(values.datastore);
  const ids = await datastoreClients(ds);
  const client = values.client ?? (ids.length === 1 ? ids[0]! : undefined);
  if (!client) fail(ids.length ? `the datastore has ${ids.length} clients: choose one with --client (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''})` : `no monitoring logs in ${ds.root}`);
  if (!ids.includes(client)) fail(clientProblem(client, ids, ds.root));
  const { files, known } = await rangeFiles(ds.root, client, artifact, range.fromDay, range.toDay);
  if (!known.includes(artifact)) {
    const near = suggest(artifact, known);
    fail(`no artifact ${artifact} in the logs of ${client}${near.length ? `: did you mean ${near.join(' or ')}?` : ''} (vql logs list shows them)`);
  }
  if (!files.length) {
    warnLine(`${artifact} of ${client} has no day files from ${range.fromDay} to ${range.toDay}`);
    if (format === 'json') await write('[]\n');
    return 0;
  }
  const ac = new AbortController();
  process.stdout.on('error', () => ac.abort()); // a closed pipe (| head): stop reading
  const rows = rangeRows(files, range, warnLine, ac.signal);
  if (format === 'jsonl') {
    for await (const b of rows) await write(b.join('\n') + '\n');
  } else if (format === 'json') {
    let first = true;
    await write('[');
    for await (const b of rows) {
      await write((first ? '\n' : ',\n') + b.join(',\n'));
      first = false;
    }
    await write(first ? ']\n' : '\n]\n');
  } else {
    // Velociraptor's CSV: the header from the first row; a later column not in it is said once.
    let header: Set<string> | null = null;
    const said = new Set<string>();
    let n = 0;
    let pending = '';
    const w = makeWriter('csv', (t) => (pending += t), '');
    for await (const b of rows) {
      const dicts: VDict[] = [];
      for (const text of b) {
        n++;
        const d = fromJSON(text);
        if (!(d instanceof VDict)) continue;
        if (!header) header = new Set(d.keys());
        else for (const k of d.keys()) if (!header.has(k) && !said.has(k)) {
          said.add(k);
          warnLine(`row ${n}: column ${JSON.stringify(k)} is not in the CSV header (taken from the first row): left out; --format jsonl keeps every column`);
        }
        dicts.push(d);
      }
      w.batch(dicts);
      await write(pending);
      pending = '';
    }
    w.end();
    if (pending) await write(pending);
  }
  return 0;
}

/** `vql logs list|show ...` */
export async function logs(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'list') return list(rest);
  if (sub === 'show') return show(rest);
  const near = sub ? suggest(sub, LOGS_COMMANDS) : [];
  fail(sub ? `unknown logs command '${sub}'${near.length ? `: did you mean ${near.join(' or ')}?` : ''}` : 'logs needs a command: list or show');
}
