/**
 * What a collection zip holds, from its central directory (VELOCIRAPTOR-FORMATS.md 1 and
 * 2.10): the result sets (`results/<escaped Artifact[/Source]>.json` or `.csv`, names
 * unescaped, rows counted from the `.json.index`, 8 bytes a row, when there is one), the
 * collection log (`log.json`, older `logs.json`, `log.csv`), the uploads (`uploads/<accessor>/
 * <escaped components>`, paths decoded, sizes from the directory, sparse ones marked), and the
 * small metadata members (`client_info.json`, `collection_context.json`), which are the only
 * members read. Listing a 1 GB zip therefore reads its directory and a few KB.
 *
 * Recognised: Velociraptor's offline collections and `velociraptor artifacts collect --output`,
 * ours (`vql artifacts collect --output`, client_info `Name: vql`), flow exports (client record
 * with `client_id`), hunt exports (`hunt_info.json`, combined `results/All <name>` and one
 * folder per client), and password-protected ones (`data.zip`), which are said to be so.
 *
 * A bad member (an unsafe name, encrypted, an unknown compression, a zip bomb's ratio, metadata
 * that does not parse) is listed as a problem with its name and the rest is listed; a zip
 * whose directory cannot be read (truncated, not a zip) is refused with what to do.
 */
import { basename } from 'node:path';
import type { CollectionListing, CollectionLog, CollectionSource, CollectionUpload } from '../ipc/contract.ts';
import { openZipEntry } from '../host/collect/zip-read.ts';
import { unescapeComponent } from '../host/collect/zip-escape.ts';
import { localReader, memberProblem, zipDirectory, type ZipEntry } from './zip-file.ts';

/** Metadata members larger than this are not read (a flow context is a few KB). */
const MAX_METADATA_BYTES = 4 * 2 ** 20;

export interface ListOptions {
  /** Is an artifact of this name known here (built-in or the user's)? Default: every name is. */
  readonly known?: (artifact: string) => boolean;
}

const STATES: Record<number, string> = { 0: 'unset', 1: 'running', 2: 'finished', 3: 'error', 4: 'in progress', 5: 'unresponsive', 6: 'waiting' };

/** An upload's original path from its unescaped components: a Windows path when it starts with a drive or a device. */
export function uploadPath(components: readonly string[]): string {
  if (!components.length) return '';
  const first = components[0]!;
  if (/^[A-Za-z]:$/.test(first) || first.startsWith('\\\\')) return components.join('\\');
  return '/' + components.join('/');
}

/** The first JSON value of a metadata member (client_info.json may hold one indented object per row). */
function firstJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const end = text.indexOf('\n}');
    if (end < 0) throw new Error('not JSON');
    return JSON.parse(text.slice(0, end + 2));
  }
}

/** Splits a member name into its client folder (hunt exports) and the rest. */
function placeOf(name: string): { client?: string; rest: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { rest: name };
  const head = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  if (head === 'results' || head === 'uploads') return { rest: name };
  if (/^(results|uploads)\//.test(rest) || /^logs?\.(json|csv)$/.test(rest) || /^(client_info|collection_context|requests)\.json$/.test(rest)) {
    return { client: unescapeComponent(head), rest };
  }
  return { rest: name };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

/** Epoch ms of a context time (nanoseconds in containers, microseconds on the server, seconds in old ones). */
function epochMs(v: unknown): number | undefined {
  const n = num(v);
  if (n === undefined || n <= 0) return undefined;
  if (n > 1e17) return Math.round(n / 1e6);
  if (n > 1e14) return Math.round(n / 1e3);
  if (n > 1e11) return n;
  return n * 1000;
}

/** Lists the collection zip at `path`. Throws CollectionError when its directory cannot be read. */
export async function listCollection(path: string, opts: ListOptions = {}): Promise<CollectionListing> {
  const dir = await zipDirectory(path);
  const known = opts.known ?? (() => true);
  const problems: CollectionListing['problems'] = dir.unsafe.map((u) => ({ entry: u.name, message: `the name ${u.why}: it is not listed` }));
  const unsafe = new Set(dir.unsafe.map((u) => u.name));
  const byName = new Map<string, ZipEntry>();
  for (const e of dir.entries) {
    if (unsafe.has(e.name)) continue;
    if (byName.has(e.name)) {
      problems.push({ entry: e.name, message: 'the zip holds two members of this name: the first is listed' });
      continue;
    }
    byName.set(e.name, e);
  }

  const sources: CollectionSource[] = [];
  const logs: CollectionLog[] = [];
  const uploads: CollectionUpload[] = [];
  const metadata = new Map<string, ZipEntry>();
  const rowsOf = (e: ZipEntry): number | null => {
    const idx = byName.get(e.name + '.index');
    return idx && idx.size % 8 === 0 ? idx.size / 8 : null;
  };

  for (const e of byName.values()) {
    if (e.name.endsWith('/')) continue;
    const { client, rest } = placeOf(e.name);
    const where = client !== undefined ? { client } : {};
    const problem = memberProblem(e);
    const bad = problem ? { problem } : {};
    if (problem) problems.push({ entry: e.name, message: problem });
    let m: RegExpMatchArray | null;
    if ((m = /^results\/([^/]+)\.(json|csv)$/.exec(rest))) {
      const name = unescapeComponent(m[1]!);
      const combined = client === undefined && name.startsWith('All ') && byName.has('hunt_info.json');
      const full = combined ? name.slice(4) : name;
      const slash = full.indexOf('/');
      const artifact = slash < 0 ? full : full.slice(0, slash);
      const isKnown = known(artifact);
      sources.push({
        entry: e.name, name, artifact, ...(slash < 0 ? {} : { source: full.slice(slash + 1) }),
        format: m[2] === 'csv' ? 'csv' : 'jsonl', rows: m[2] === 'json' ? rowsOf(e) : null, bytes: e.size, ...where, known: isKnown, ...bad,
      });
      if (!isKnown) problems.push({ entry: e.name, message: `no artifact ${artifact} is known here (neither built in nor in your artifact folders): its rows open all the same` });
    } else if (/^logs?\.(json|csv)$/.test(rest)) {
      logs.push({ entry: e.name, rows: rest.endsWith('.json') ? rowsOf(e) : null, bytes: e.size, ...where, ...bad });
    } else if (rest.startsWith('uploads/')) {
      if (e.name.endsWith('.idx') && byName.has(e.name.slice(0, -4))) continue; // a sparse upload's range index
      const comps = rest.split('/').slice(1).filter((c) => c !== '').map(unescapeComponent);
      if (comps.length < 2) continue;
      uploads.push({
        entry: e.name, accessor: comps[0]!, path: uploadPath(comps.slice(1)), size: e.size, mtime: e.mtime ? e.mtime.getTime() : null,
        ...(byName.has(e.name + '.idx') ? { sparse: true } : {}), ...where, ...bad,
      });
    } else if (client === undefined && /^[^/]+\.(json|zip)$/.test(rest)) {
      metadata.set(rest, e);
    }
  }

  const readJson = async (name: string): Promise<unknown> => {
    const e = metadata.get(name);
    if (!e || memberProblem(e)) return undefined;
    if (e.size > MAX_METADATA_BYTES) {
      problems.push({ entry: name, message: `${e.size} bytes, more than the ${MAX_METADATA_BYTES} a metadata member may be: not read` });
      return undefined;
    }
    const r = await openZipEntry(await localReader(path), e);
    try {
      const text = Buffer.from(await r.read(0, e.size)).toString('utf8');
      return firstJson(text);
    } catch (err) {
      problems.push({ entry: name, message: `cannot be read: ${(err as Error).message}` });
      return undefined;
    } finally {
      await r.close();
    }
  };

  const info = await readJson('client_info.json');
  const client = Array.isArray(info) ? (info[0] ?? null) : info;
  const ctxRaw = await readJson('collection_context.json');
  let context: CollectionListing['context'] = null;
  if (ctxRaw && typeof ctxRaw === 'object') {
    const c0 = ctxRaw as Record<string, unknown>;
    const c = !c0.session_id && c0.context && typeof c0.context === 'object' ? (c0.context as Record<string, unknown>) : c0;
    const state = num(c.state);
    const created = epochMs(c.create_time ?? c.start_time);
    context = {
      ...(typeof c.session_id === 'string' ? { sessionId: c.session_id } : {}),
      ...(typeof c.client_id === 'string' && c.client_id ? { clientId: c.client_id } : {}),
      artifacts: Array.isArray(c.artifacts_with_results) ? c.artifacts_with_results.map(String) : [],
      ...(created !== undefined ? { created } : {}),
      ...(state !== undefined ? { state: STATES[state] ?? String(state) } : typeof c.state === 'string' ? { state: c.state.toLowerCase() } : {}),
      ...(num(c.total_collected_rows) !== undefined ? { rows: num(c.total_collected_rows) } : {}),
      ...(num(c.total_uploaded_files) !== undefined ? { uploads: num(c.total_uploaded_files) } : {}),
    };
  }

  const dataZip = metadata.get('data.zip');
  let kind: CollectionListing['kind'];
  let encrypted: string | undefined;
  if (dataZip && (dataZip.flags & 1 || dataZip.method === 99)) {
    kind = 'encrypted collection';
    encrypted = `${basename(path)} is password-protected: its results are inside the encrypted member data.zip (WinZip AES). ` +
      'Extract data.zip with the collection\'s password (7-Zip, or `unzip` with AES support), then open that data.zip here.';
  } else if (metadata.has('hunt_info.json')) kind = 'hunt export';
  else if (client && typeof client === 'object' && 'client_id' in client) kind = 'flow export';
  else if (client && typeof client === 'object' && (client as Record<string, unknown>).Name === 'vql') kind = 'vql collection';
  else if (metadata.has('collection_context.json') || sources.length || logs.length) kind = 'velociraptor collection';
  else kind = 'zip';

  const order = (a: { client?: string; entry: string }, b: { client?: string; entry: string }) =>
    (a.client ?? '').localeCompare(b.client ?? '') || a.entry.localeCompare(b.entry);
  sources.sort((a, b) => (a.client ?? '').localeCompare(b.client ?? '') || a.name.localeCompare(b.name));
  logs.sort(order);
  uploads.sort((a, b) => (a.client ?? '').localeCompare(b.client ?? '') || a.accessor.localeCompare(b.accessor) || a.path.localeCompare(b.path));
  return {
    path, kind, bytes: dir.size, entries: dir.entries.length, sources, logs, uploads,
    client: client && typeof client === 'object' && !Array.isArray(client) ? (client as Record<string, unknown>) : null,
    context, ...(encrypted ? { encrypted } : {}), problems,
  };
}
