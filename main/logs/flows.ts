/**
 * A client's flows (collections) in a Velociraptor server datastore, or a copy of one
 * (VELOCIRAPTOR-FORMATS.md 2.2, 2.3, 2.6-2.8), for the monitoring log browser:
 *
 *     clients/<cid>/collections/<fid>.json.db           the flow context (protojson; older: <fid>.db)
 *     clients/<cid>/collections/<fid>/stats.json.db     progress counters, preferred over the context
 *     clients/<cid>/collections/<fid>/logs.json         the flow log, JSONL (+ .json.index; older: logs)
 *     clients/<cid>/collections/<fid>/uploads.json      upload records; the files under uploads/<accessor>/...
 *     clients/<cid>/artifacts/<Artifact>/<fid>.json     results, or .../<Artifact>/<fid>/<Source>.json (+ .json.index)
 *
 * A flow is found from any of these, so one whose context is missing or garbled is still listed
 * from its results, with a problem saying which file could not be read. Result sets and logs are
 * JSONL, which the table engine opens as a file. Only reads: nothing is written into the folder.
 */
import { createHash } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoreFlow, StoreFlowResult, StoreFlowUpload } from '../ipc/contract.ts';
import { CLIENT_ID_SYNTAX } from '../collector/paths.ts';
import { nameOfVelociraptorDir } from '../collector/jsonl-paths.ts';
import { DatastoreError, entries } from './datastore.ts';

/** A flow id: `F.` and base32 (letters and digits). */
export const FLOW_ID = /^F\.[A-Za-z0-9]+$/;

/** The flow context's state enum (VELOCIRAPTOR-FORMATS.md 1.8), for contexts that hold numbers. */
const STATES = ['UNSET', 'RUNNING', 'FINISHED', 'ERROR', 'IN_PROGRESS', 'UNRESPONSIVE', 'WAITING'];

/** Bytes read to tell whether an upload is text. */
const SNIFF_BYTES = 4096;

async function size(p: string): Promise<number | undefined> {
  const st = await stat(p).catch(() => null);
  return st?.isFile() ? st.size : undefined;
}

/** Rows of a JSONL file: its `.json.index` (8 bytes a row, 2.3) when there is one, else its lines. */
async function rowsOf(path: string): Promise<number> {
  const idx = await size(`${path}.index`);
  if (idx !== undefined && idx % 8 === 0) return idx / 8;
  let n = 0;
  const fh = await open(path, 'r');
  try {
    for await (const chunk of fh.createReadStream() as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n++;
    }
  } finally {
    await fh.close();
  }
  return n;
}

/** A datastore path component, escaped as Velociraptor's `utils.SanitizeString` does (2.1). */
export function sanitizeComponent(raw: string): string {
  const bytes = Buffer.from(raw, 'utf8').subarray(0, 1024);
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const kept = (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x5f || b === 0x2e || b === 0x7e || b === 0x20 || b === 0x24;
    const edge = (b === 0x2e && (i === 0 || i === bytes.length - 1)) || (b === 0x23 && i === 0);
    out += kept && !edge ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  if (out.endsWith('.db') || out.endsWith('_')) out += '_';
  if (out.length >= 250) out = '#' + createHash('sha1').update(raw, 'utf8').digest('hex');
  return out;
}

/** A protojson int64 (a string) or number; undefined when it is neither. */
function int(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** A context time as epoch ms: the server stores microseconds; imported collections nanoseconds. */
function timeMs(v: unknown): number | undefined {
  const n = int(v);
  if (!n) return undefined;
  return n > 1e17 ? Math.round(n / 1e6) : Math.round(n / 1e3);
}

/** A field by its protojson (lowerCamel) or proto (snake_case) name. */
function field(o: Record<string, unknown>, camel: string): unknown {
  if (camel in o) return o[camel];
  return o[camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A `.json.db` record: protojson; anything not starting with `{` is binary protobuf, which is not read. */
async function readRecord(path: string, what: string, problems: string[]): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${path}: the ${what} cannot be read: ${(e as Error).message}`);
    return undefined;
  }
  if (!text.trimStart().startsWith('{')) {
    problems.push(`${path}: the ${what} is binary protobuf (an older datastore), not read: the flow is listed from its files`);
    return undefined;
  }
  try {
    const o = JSON.parse(text) as unknown;
    if (o && typeof o === 'object' && !Array.isArray(o)) return o as Record<string, unknown>;
    problems.push(`${path}: the ${what} is not a JSON object: the flow is listed from its files`);
  } catch (e) {
    problems.push(`${path}: the ${what} is not valid JSON (${(e as Error).message}): the flow is listed from its files`);
  }
  return undefined;
}

/** Whether a file's first bytes look like text: no NUL byte, valid UTF-8 (a cut last character allowed). */
async function looksText(path: string): Promise<boolean> {
  const fh = await open(path, 'r').catch(() => null);
  if (!fh) return false;
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    const head = buf.subarray(0, bytesRead);
    if (head.includes(0)) return false;
    let end = head.length;
    // Trim a multi-byte character cut by the read.
    for (let i = Math.max(0, end - 3); i < end; i++) if (head[i]! >= 0xc0) end = i;
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, end));
    return true;
  } catch {
    return false;
  } finally {
    await fh.close();
  }
}

/** The uploads of a flow from its `uploads.json` (2.7), sparse index rows left out. */
async function readUploads(root: string, path: string, problems: string[]): Promise<StoreFlowUpload[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${path}: cannot be read: ${(e as Error).message}`);
    return [];
  }
  const out: StoreFlowUpload[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line) as Record<string, unknown>;
    } catch {
      problems.push(`${path}:${i + 1}: not a JSON row, skipped`);
      continue;
    }
    if (r.Type === 'idx') continue;
    const comps = strings(r._Components);
    const up: StoreFlowUpload = {
      clientPath: typeof r.vfs_path === 'string' ? r.vfs_path : comps.slice(-1)[0] ?? '',
      size: int(r.file_size) ?? 0,
      ...(typeof r._accessor === 'string' ? { accessor: r._accessor } : {}),
      ...(int(r.uploaded_size) !== undefined ? { storedSize: int(r.uploaded_size) } : {}),
    };
    if (comps.length) {
      const stored = join(root, ...comps.map(sanitizeComponent));
      if ((await size(stored)) !== undefined) {
        up.path = stored;
        up.text = await looksText(stored);
      } else problems.push(`${path}:${i + 1}: the uploaded file ${up.clientPath} is not in the datastore (expected ${stored})`);
    }
    out.push(up);
  }
  return out;
}

interface Found {
  results: StoreFlowResult[];
  context?: string;
}

/**
 * The flows of a client of the datastore at `root`, newest first (by created time, else started,
 * else the newest file of the flow). Throws a DatastoreError for an invalid client id.
 */
export async function clientFlows(root: string, client: string): Promise<StoreFlow[]> {
  if (!CLIENT_ID_SYNTAX.test(client)) throw new DatastoreError(`invalid client id ${JSON.stringify(client)}: expected C. followed by lowercase letters and digits`);
  const base = join(root, 'clients', client);
  const found = new Map<string, Found>();
  const get = (id: string) => {
    let f = found.get(id);
    if (!f) found.set(id, (f = { results: [] }));
    return f;
  };

  // Flow contexts and flow folders.
  const coll = join(base, 'collections');
  for (const ent of await entries(coll)) {
    const m = /^(F\.[A-Za-z0-9]+)(\.json\.db|\.db)?$/.exec(ent.name);
    if (!m) continue;
    if (ent.isDirectory() && !m[2]) get(m[1]!);
    else if (ent.isFile() && m[2]) {
      const f = get(m[1]!);
      // Prefer the protojson context over an older binary one beside it.
      if (!f.context || m[2] === '.json.db') f.context = join(coll, ent.name);
    }
  }

  // Result sets: <Artifact>/<fid>.json or <Artifact>/<fid>/<Source>.json.
  const arts = join(base, 'artifacts');
  for (const a of await entries(arts)) {
    if (!a.isDirectory()) continue;
    const artifact = nameOfVelociraptorDir(a.name);
    const adir = join(arts, a.name);
    for (const ent of await entries(adir)) {
      if (ent.isFile() && ent.name.endsWith('.json') && FLOW_ID.test(ent.name.slice(0, -5))) {
        const path = join(adir, ent.name);
        get(ent.name.slice(0, -5)).results.push({ artifact, path, rows: await rowsOf(path), bytes: (await size(path)) ?? 0 });
      } else if (ent.isDirectory() && FLOW_ID.test(ent.name)) {
        for (const s of await entries(join(adir, ent.name))) {
          if (!s.isFile() || !s.name.endsWith('.json')) continue;
          const path = join(adir, ent.name, s.name);
          get(ent.name).results.push({ artifact: `${artifact}/${nameOfVelociraptorDir(s.name.slice(0, -5))}`, path, rows: await rowsOf(path), bytes: (await size(path)) ?? 0 });
        }
      }
    }
  }

  const flows: Array<StoreFlow & { newest: number }> = [];
  for (const [id, f] of found) {
    const problems: string[] = [];
    const dir = join(coll, id);
    const context = f.context ? await readRecord(f.context, 'flow context', problems) : undefined;
    if (!f.context) problems.push(`${join(coll, `${id}.json.db`)}: no flow context: the flow is listed from its files`);
    const stats = await readRecord(join(dir, 'stats.json.db'), 'flow stats', problems);
    // Stats first (2.8: readers merge context and stats, preferring stats).
    const pick = (name: string) => (stats && field(stats, name) !== undefined ? field(stats, name) : context ? field(context, name) : undefined);
    const request = context ? field(context, 'request') : undefined;
    const stateRaw = pick('state');
    const state = typeof stateRaw === 'string' ? stateRaw : typeof stateRaw === 'number' ? STATES[stateRaw] : undefined;
    const status = pick('status');
    const created = timeMs(pick('createTime'));
    const started = timeMs(pick('startTime'));
    const totalRows = int(pick('totalCollectedRows'));

    let log: StoreFlow['log'];
    for (const name of ['logs.json', 'logs']) {
      const path = join(dir, name);
      const bytes = await size(path);
      if (bytes === undefined) continue;
      log = { path, rows: await rowsOf(path), bytes };
      break;
    }
    const uploads = await readUploads(root, join(dir, 'uploads.json'), problems);
    const results = f.results.sort((x, y) => (x.artifact < y.artifact ? -1 : x.artifact > y.artifact ? 1 : 0));

    let newest = 0;
    for (const p of [f.context, ...results.map((r) => r.path), log?.path]) {
      if (p) newest = Math.max(newest, (await stat(p).catch(() => null))?.mtimeMs ?? 0);
    }
    flows.push({
      id,
      ...(created ? { created } : {}),
      ...(started ? { started } : {}),
      ...(state ? { state } : {}),
      ...(typeof status === 'string' && status ? { status } : {}),
      artifacts: request && typeof request === 'object' ? strings(field(request as Record<string, unknown>, 'artifacts')) : [],
      withResults: strings(pick('artifactsWithResults')),
      ...(totalRows !== undefined ? { totalRows } : {}),
      results,
      ...(log ? { log } : {}),
      uploads,
      problems,
      newest: created ?? started ?? newest,
    });
  }
  flows.sort((a, b) => b.newest - a.newest || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return flows.map(({ newest: _, ...f }) => f);
}
