/**
 * Where the local event collector keeps its files (the 2018 Velociraptor layout of
 * VELOCIRAPTOR.md 3.2, with the later `.csv` suffix and UTC day names):
 *
 *     <datastore>/client_id
 *     <datastore>/clients/<client id>/monitoring/<Artifact>[/<Source>]/<YYYY-MM-DD>[.<part>].csv
 *
 * Directory names: artifact and source names go through `safeDirName`, which leaves
 * `[A-Za-z0-9_.-]` alone (so every Velociraptor artifact name maps to itself) and writes any
 * other byte of the UTF-8 name as `%XX`, like Velociraptor's filestore escaping. The mapping is
 * reversible (`nameOfDir`) except for names longer than 200 bytes once escaped, which are cut
 * and given a hash suffix.
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join, posix, win32 } from 'node:path';

/** The application directory name under the per-user data directory. */
export const APP_DIR_NAME = 'vql-workbench';

/** The file, directly in the datastore, holding the client id as one line of text. */
export const CLIENT_ID_FILE = 'client_id';

/** Client ids we accept in paths: Velociraptor's `C.` + lowercase alphanumerics, or `server`. */
export const CLIENT_ID_SYNTAX = /^(?:C\.[a-z0-9]+|server)$/;

/**
 * The default datastore: the per-user data directory of the OS plus `vql-workbench`
 * (Linux and other Unixes: `$XDG_DATA_HOME` when it is an absolute path, else
 * `~/.local/share`; macOS: `~/Library/Application Support`; Windows: `%APPDATA%`, else
 * `~\AppData\Roaming`).
 */
export function defaultDatastore(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (platform === 'win32') {
    const appData = env.APPDATA;
    return win32.join(appData && win32.isAbsolute(appData) ? appData : win32.join(home, 'AppData', 'Roaming'), APP_DIR_NAME);
  }
  if (platform === 'darwin') return posix.join(home, 'Library', 'Application Support', APP_DIR_NAME);
  // The XDG base directory spec: a relative $XDG_DATA_HOME is invalid and is ignored.
  const xdg = env.XDG_DATA_HOME;
  return posix.join(xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home, '.local', 'share'), APP_DIR_NAME);
}

/** The UTC day name `YYYY-MM-DD` of an instant. */
export function dayName(d: Date): string {
  const t = d.getTime();
  if (!Number.isFinite(t)) throw new RangeError('dayName: invalid date');
  return d.toISOString().slice(0, 10);
}

/** Milliseconds since the epoch of 00:00 UTC of a day name, or NaN when it is not a valid day. */
export function dayStart(day: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return NaN;
  const t = Date.parse(day + 'T00:00:00Z');
  // Date.parse accepts 2024-02-30 in some engines: require the round trip.
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === day ? t : NaN;
}

/** The file name of one part of a day: `2024-01-02.csv` for part 0, `2024-01-02.3.csv` for part 3. */
export function dayFileName(day: string, part = 0): string {
  return part === 0 ? `${day}.csv` : `${day}.${part}.csv`;
}

const DAY_FILE = /^(\d{4}-\d{2}-\d{2})(?:\.([1-9]\d*))?\.csv$/;

/** The day and part of a day-file name (`2024-01-02.3.csv` gives day 2024-01-02, part 3), or undefined. */
export function parseDayFileName(name: string): { day: string; part: number } | undefined {
  const m = DAY_FILE.exec(name);
  if (!m || Number.isNaN(dayStart(m[1]!))) return undefined;
  return { day: m[1]!, part: m[2] === undefined ? 0 : Number(m[2]) };
}

const SAFE_BYTE = /^[A-Za-z0-9_.-]$/;
const WINDOWS_DEVICE = /^(?:CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(?:\..*)?$/i;
const MAX_DIR_NAME = 200;

/**
 * A name (artifact or source) made safe as one directory name on every OS: bytes outside
 * `[A-Za-z0-9_.-]` become `%XX` (uppercase hex of the UTF-8 byte); so do a leading or trailing
 * `.` (no `.`, `..`, hidden or Windows-trailing-dot names), the first letter of a Windows device
 * name (`CON`, `nul.txt`...), and the first character of a name that looks like a day file.
 * Results longer than 200 bytes are cut to 180 and get `~` + 16 hex digits of the name's SHA-256.
 */
export function safeDirName(name: string): string {
  if (name === '') throw new TypeError('safeDirName: empty name');
  const bytes = Buffer.from(name, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const ch = String.fromCharCode(bytes[i]!);
    const edgeDot = ch === '.' && (i === 0 || i === bytes.length - 1);
    out += SAFE_BYTE.test(ch) && !edgeDot ? ch : escapeByte(bytes[i]!);
  }
  if (WINDOWS_DEVICE.test(out) || DAY_FILE.test(out)) out = escapeByte(out.charCodeAt(0)) + out.slice(1);
  if (out.length > MAX_DIR_NAME) {
    const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 16);
    // Do not cut inside a %XX escape.
    let cut = 180;
    if (out[cut - 1] === '%') cut -= 1;
    else if (out[cut - 2] === '%') cut -= 2;
    out = out.slice(0, cut) + '~' + hash;
  }
  return out;
}

function escapeByte(b: number): string {
  return '%' + b.toString(16).toUpperCase().padStart(2, '0');
}

/** The name a `safeDirName` directory stands for (`%XX` decoded; a cut, hashed name stays as it is). */
export function nameOfDir(dirName: string): string {
  if (!dirName.includes('%')) return dirName;
  try {
    return decodeURIComponent(dirName);
  } catch {
    return dirName;
  }
}

/** The artifact and (for `Artifact/Source`) source of a query name; the first `/` separates them. */
export function splitQueryName(queryName: string): { artifact: string; source?: string } {
  const at = queryName.indexOf('/');
  const artifact = at < 0 ? queryName : queryName.slice(0, at);
  const source = at < 0 ? undefined : queryName.slice(at + 1);
  if (artifact === '' || source === '') throw new TypeError(`invalid query name ${JSON.stringify(queryName)}: expected 'Artifact' or 'Artifact/Source'`);
  return source === undefined ? { artifact } : { artifact, source };
}

/** The monitoring directory of one client: `<datastore>/clients/<client id>/monitoring`. */
export function monitoringRoot(datastore: string, clientId: string): string {
  if (!CLIENT_ID_SYNTAX.test(clientId)) throw new TypeError(`invalid client id ${JSON.stringify(clientId)}: expected C. followed by lowercase letters and digits`);
  return join(datastore, 'clients', clientId, 'monitoring');
}

/**
 * The directory of one query's day files: `<monitoring root>/<Artifact>[/<Source>]`, each name
 * made a directory name by `dirName` (the layout's; `safeDirName` for the CSV files).
 */
export function queryDir(datastore: string, clientId: string, queryName: string, dirName: (name: string) => string = safeDirName): string {
  const { artifact, source } = splitQueryName(queryName);
  const base = join(monitoringRoot(datastore, clientId), dirName(artifact));
  return source === undefined ? base : join(base, dirName(source));
}

/**
 * How one store format names its files below the monitoring root: the directory names of
 * artifacts and sources, and which file names in a query directory are its day files. `main`
 * is false for a day's companion files (the JSONL time index), which retention deletes with
 * the day and nothing else reads as rows.
 */
export interface DayLayout {
  dirName(name: string): string;
  nameOfDir(dirName: string): string;
  parseFileName(name: string): { day: string; main: boolean } | undefined;
}

/** The CSV layout above: `<day>[.<part>].csv` in `safeDirName` directories. */
export const CSV_LAYOUT: DayLayout = {
  dirName: safeDirName,
  nameOfDir,
  parseFileName(name) {
    const p = parseDayFileName(name);
    return p && { day: p.day, main: true };
  },
};

/** The path of one part of one day's file of a query (part 0 is `<day>.csv`). */
export function dayFilePath(datastore: string, clientId: string, queryName: string, day: string, part = 0): string {
  return join(queryDir(datastore, clientId, queryName), dayFileName(day, part));
}
