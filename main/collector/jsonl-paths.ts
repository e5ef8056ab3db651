/**
 * Where the collector's JSONL files go: Velociraptor's server layout for client monitoring
 * (VELOCIRAPTOR-FORMATS.md 2.1, 2.2), in the same datastore and client directory as the CSV
 * files (paths.ts):
 *
 *     <datastore>/clients/<client id>/monitoring/<Artifact>[/<Source>]/<YYYY-MM-DD>.json
 *     <datastore>/clients/<client id>/monitoring/<Artifact>[/<Source>]/<YYYY-MM-DD>.json.tidx
 *
 * Directory names are Velociraptor's (`utils.SanitizeString`), so that a Velociraptor server,
 * or a reader of its datastore, finds the files by the artifact's name: ASCII letters, digits
 * and `- _ . ~ space $` stay, every other byte is `%XX` (upper-case hex), a leading or trailing
 * `.` and a leading `#` are escaped, a name ending in `.db` or `_` gets one more `_` (which the
 * reader strips), and a name of 250 bytes or more once escaped becomes `#` + the SHA-1 of the
 * name (Velociraptor keeps the long name in `lfn_hashes/`; we do not, so such a name is not
 * decoded back). Two guards are added for the OS, which Velociraptor does not have and which
 * decode the same way: a trailing space and the first letter of a Windows device name (`CON`,
 * `nul.txt`) are escaped, and so is the first character of a name that looks like a day file.
 * Every Velociraptor artifact name (`[A-Za-z0-9_.]`) maps to itself, as in the CSV layout.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { dayStart, queryDir, type DayLayout } from './paths.ts';

const DAY_JSON = /^(\d{4}-\d{2}-\d{2})\.json(\.tidx)?$/;
const WINDOWS_DEVICE = /^(?:CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(?:\..*)?$/i;
/** Velociraptor's limit: a sanitized component this long or longer is replaced by its hash. */
const MAX_COMPONENT = 250;

function isKept(b: number): boolean {
  return (
    (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) ||
    b === 0x2d || b === 0x5f || b === 0x2e || b === 0x7e || b === 0x20 || b === 0x24
  );
}

function escapeByte(b: number): string {
  return '%' + b.toString(16).toUpperCase().padStart(2, '0');
}

/** An artifact or source name as one directory name, Velociraptor's way (see the module comment). */
export function velociraptorDirName(name: string): string {
  if (name === '') throw new TypeError('velociraptorDirName: empty name');
  const bytes = Buffer.from(name, 'utf8').subarray(0, 1024);
  const last = bytes.length - 1;
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const edge = (b === 0x2e && (i === 0 || i === last)) || (b === 0x20 && i === last);
    out += isKept(b) && !edge ? String.fromCharCode(b) : escapeByte(b);
  }
  if (WINDOWS_DEVICE.test(out) || DAY_JSON.test(out)) out = escapeByte(out.charCodeAt(0)) + out.slice(1);
  if (out.endsWith('.db') || out.endsWith('_')) out += '_';
  if (out.length >= MAX_COMPONENT) out = '#' + createHash('sha1').update(name, 'utf8').digest('hex');
  return out;
}

/** The name a Velociraptor directory name stands for: one trailing `_` stripped, `%XX` decoded (a hashed `#` name stays as it is). */
export function nameOfVelociraptorDir(dirName: string): string {
  let s = dirName.endsWith('_') ? dirName.slice(0, -1) : dirName;
  if (!s.includes('%')) return s;
  try {
    s = decodeURIComponent(s);
  } catch {
    // Not UTF-8 once decoded: keep the escapes.
  }
  return s;
}

/** The file name of a day's rows: `2024-01-02.json`. */
export function jsonlFileName(day: string): string {
  return `${day}.json`;
}

/** The time index of a day file: `<day>.json.tidx` beside it. */
export function tidxPath(jsonPath: string): string {
  return jsonPath + '.tidx';
}

/** The day of a JSONL day file (`main`) or of its index, or undefined. */
export function parseJsonlFileName(name: string): { day: string; main: boolean } | undefined {
  const m = DAY_JSON.exec(name);
  if (!m || Number.isNaN(dayStart(m[1]!))) return undefined;
  return { day: m[1]!, main: m[2] === undefined };
}

/** The JSONL layout for the store (day-store.ts). */
export const JSONL_LAYOUT: DayLayout = {
  dirName: velociraptorDirName,
  nameOfDir: nameOfVelociraptorDir,
  parseFileName: parseJsonlFileName,
};

/** The directory of one query's JSONL day files. */
export function jsonlQueryDir(datastore: string, clientId: string, queryName: string): string {
  return queryDir(datastore, clientId, queryName, velociraptorDirName);
}

/** The path of one day's JSONL file of a query. */
export function jsonlDayFilePath(datastore: string, clientId: string, queryName: string, day: string): string {
  return join(jsonlQueryDir(datastore, clientId, queryName), jsonlFileName(day));
}
