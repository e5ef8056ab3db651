/**
 * A monitoring datastore folder, whichever of Velociraptor's layouts wrote it (VELOCIRAPTOR.md
 * 3.2-3.5, VELOCIRAPTOR-FORMATS.md 2.2), and the collector's own:
 *
 *     clients/<id>/monitoring/Artifact%20<Name>/<YYYY-MM-DD>            2018: CSV, cells JSON-encoded
 *     clients/<id>/monitoring/<Name>/<YYYY-MM-DD>.csv                     2019 (and ours, with .<part>.csv parts)
 *     clients/<id>/monitoring/<Name>/<YYYY-MM-DD>/<Source>.csv            2019, a named source
 *     clients/<id>/monitoring/<Name>[/<Source>]/<YYYY-MM-DD>.json (+ .json.tidx)   2020 on: JSONL
 *
 * Files are found by listing, not by computing a name from the artifact: every directory of a
 * client's monitoring folder is decoded to the name it stands for (Velociraptor's escaping, or
 * ours, which agree on every artifact name), so the same artifact written by several layouts
 * over the years (a server upgraded in place) is one artifact whose days hold files of each.
 * Only reads (listing and stat): nothing is ever written into the folder.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CLIENT_ID_SYNTAX, dayStart, nameOfDir, parseDayFileName } from '../collector/paths.ts';
import { nameOfVelociraptorDir, parseJsonlFileName } from '../collector/jsonl-paths.ts';

/** How a day file's rows are written. */
export type DayFormat = 'csv' | 'jsonl' | 'csv2018';

/** One file of rows of one day of one artifact (a day may have several: CSV schema parts, layouts). */
export interface DayFile {
  path: string;
  day: string;
  format: DayFormat;
  /** Order among the files of a day: CSV parts first (by part), then JSONL, then 2018 CSV. */
  order: number;
  /** The JSONL time index beside it, when there is one. */
  tidx?: string;
}

/** The day files of one artifact (or `Artifact/Source`) of one client. */
export interface ArtifactFiles {
  artifact: string;
  /** Day → its files in `order`. */
  days: Map<string, DayFile[]>;
}

/** A datastore folder found from what the person picked. */
export interface Datastore {
  /** The folder holding `clients/`. */
  root: string;
  /** Set when the folder picked was one client's (`clients/C.<id>`): only that client is listed. */
  client?: string;
}

/** Why a folder is not a datastore, for the person who picked it. */
export class DatastoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatastoreError';
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Whether a file error says the path is not there (ENOENT, or a file where a folder was expected). */
export function isNotFound(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The entries of `dir`, none when it is not there. */
export async function entries(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null))?.isDirectory() ?? false;
}

/**
 * The datastore a picked folder belongs to: the datastore itself (holding `clients/`), its
 * `clients` folder, one client's folder, or that client's `monitoring` folder. Throws a
 * DatastoreError saying what was expected otherwise.
 */
export async function findDatastore(picked: string): Promise<Datastore> {
  const dir = resolve(picked);
  const st = await stat(dir).catch(() => null);
  if (!st) throw new DatastoreError(`${dir} does not exist`);
  if (!st.isDirectory()) throw new DatastoreError(`${dir} is not a folder: pick a datastore folder (the one holding clients/)`);
  if (await isDir(join(dir, 'clients'))) return { root: dir };
  const name = basename(dir);
  if (name === 'clients') return { root: dirname(dir) };
  if (CLIENT_ID_SYNTAX.test(name) && basename(dirname(dir)) === 'clients') return { root: dirname(dirname(dir)), client: name };
  if (name === 'monitoring' && CLIENT_ID_SYNTAX.test(basename(dirname(dir)))) return { root: dirname(dirname(dirname(dir))), client: basename(dirname(dir)) };
  throw new DatastoreError(`${dir} is not a monitoring datastore: expected a folder holding clients/<client id>/monitoring/<Artifact>/<day files> (a Velociraptor server's datastore, a copy of one, or vql monitor's --datastore)`);
}

/** Client ids with a non-empty monitoring or collections (flows, main/logs/flows.ts) folder, sorted (only `ds.client` when set). */
export async function datastoreClients(ds: Datastore): Promise<string[]> {
  if (ds.client) return [ds.client];
  const out: string[] = [];
  for (const ent of await entries(join(ds.root, 'clients'))) {
    if (!ent.isDirectory() || !CLIENT_ID_SYNTAX.test(ent.name)) continue;
    const dir = join(ds.root, 'clients', ent.name);
    if ((await entries(join(dir, 'monitoring'))).length || (await entries(join(dir, 'collections'))).length) out.push(ent.name);
  }
  return out.sort();
}

/** A day file name of any layout: its day, format and order among the day's files; undefined when it is not one. */
export function dayFileOf(name: string): { day: string; format: DayFormat; order: number } | undefined {
  const csv = parseDayFileName(name);
  if (csv) return { day: csv.day, format: 'csv', order: csv.part };
  const json = parseJsonlFileName(name);
  if (json) return json.main ? { day: json.day, format: 'jsonl', order: 1e6 } : undefined;
  if (DAY.test(name) && !Number.isNaN(dayStart(name))) return { day: name, format: 'csv2018', order: 2e6 };
  return undefined;
}

/** The name a monitoring directory stands for, decoded the way the files in it were written. */
function artifactName(dirName: string, velociraptor: boolean): string {
  const name = velociraptor ? nameOfVelociraptorDir(dirName) : nameOfDir(dirName);
  // 2018: the query was named "Artifact <Name>".
  return name.startsWith('Artifact ') ? name.slice('Artifact '.length) : name;
}

function add(into: Map<string, ArtifactFiles>, artifact: string, f: DayFile): void {
  let a = into.get(artifact);
  if (!a) into.set(artifact, (a = { artifact, days: new Map() }));
  let list = a.days.get(f.day);
  if (!list) a.days.set(f.day, (list = []));
  list.push(f);
}

/**
 * The day files directly in a query directory (the `.json.tidx` beside a `.json` noted), and
 * its subdirectories: sources, or (2019) days holding `<Source>.csv` files.
 */
async function scanQueryDir(dir: string): Promise<{ files: DayFile[]; subdirs: string[]; velociraptor: boolean }> {
  const list = await entries(dir);
  const names = new Set(list.map((e) => e.name));
  const files: DayFile[] = [];
  const subdirs: string[] = [];
  let velociraptor = false;
  for (const ent of list) {
    if (ent.isDirectory()) {
      subdirs.push(ent.name);
      continue;
    }
    if (!ent.isFile()) continue;
    const p = dayFileOf(ent.name);
    if (!p) continue;
    const path = join(dir, ent.name);
    if (p.format === 'jsonl') velociraptor = true;
    files.push({ path, ...p, ...(p.format === 'jsonl' && names.has(`${ent.name}.tidx`) ? { tidx: `${path}.tidx` } : {}) });
  }
  return { files, subdirs, velociraptor };
}

/**
 * Every artifact (and `Artifact/Source`) of a client with its day files, whatever the layout
 * (see the module comment), sorted by name; days and files within a day in order.
 */
export async function clientArtifactFiles(root: string, client: string): Promise<ArtifactFiles[]> {
  if (!CLIENT_ID_SYNTAX.test(client)) throw new DatastoreError(`invalid client id ${JSON.stringify(client)}: expected C. followed by lowercase letters and digits`);
  const mon = join(root, 'clients', client, 'monitoring');
  const out = new Map<string, ArtifactFiles>();
  for (const ent of await entries(mon)) {
    if (!ent.isDirectory()) continue;
    const dir = join(mon, ent.name);
    const own = await scanQueryDir(dir);
    const artifact = artifactName(ent.name, own.velociraptor || own.files.some((f) => f.format === 'csv2018'));
    for (const f of own.files) add(out, artifact, f);
    for (const sub of own.subdirs) {
      const subdir = join(dir, sub);
      if (DAY.test(sub)) {
        // 2019: <Artifact>/<day>/<Source>.csv
        for (const f of await entries(subdir)) {
          if (!f.isFile() || !f.name.endsWith('.csv')) continue;
          add(out, `${artifact}/${nameOfDir(f.name.slice(0, -4))}`, { path: join(subdir, f.name), day: sub, format: 'csv', order: 0 });
        }
        continue;
      }
      const s = await scanQueryDir(subdir);
      const source = s.velociraptor ? nameOfVelociraptorDir(sub) : nameOfDir(sub);
      for (const f of s.files) add(out, `${artifact}/${source}`, f);
    }
  }
  for (const a of out.values()) {
    for (const list of a.days.values()) list.sort((x, y) => x.order - y.order);
    a.days = new Map([...a.days].sort((x, y) => (x[0] < y[0] ? -1 : 1)));
  }
  return [...out.values()].filter((a) => a.days.size).sort((a, b) => (a.artifact < b.artifact ? -1 : a.artifact > b.artifact ? 1 : 0));
}

/** The day files of one artifact of a client from `from` to `to` (days, inclusive), in day then file order. */
export async function rangeFiles(root: string, client: string, artifact: string, from: string, to: string): Promise<{ files: DayFile[]; known: string[] }> {
  const all = await clientArtifactFiles(root, client);
  const a = all.find((x) => x.artifact === artifact);
  if (!a) return { files: [], known: all.map((x) => x.artifact) };
  const files: DayFile[] = [];
  for (const [day, list] of a.days) if (day >= from && day <= to) files.push(...list);
  return { files, known: all.map((x) => x.artifact) };
}

/**
 * The day files directly in one folder (a query directory copied anywhere: `<day>[.<part>].csv`,
 * `<day>.json` with its `.json.tidx`, or 2018 `<day>` files), by day, each day's files in order.
 */
export async function folderDays(dir: string): Promise<Map<string, DayFile[]>> {
  const { files } = await scanQueryDir(dir);
  const byDay = new Map<string, DayFile[]>();
  for (const f of files) {
    let list = byDay.get(f.day);
    if (!list) byDay.set(f.day, (list = []));
    list.push(f);
  }
  for (const list of byDay.values()) list.sort((x, y) => x.order - y.order);
  return new Map([...byDay].sort((x, y) => (x[0] < y[0] ? -1 : 1)));
}
