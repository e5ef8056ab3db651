/**
 * The monitoring log browser over a datastore (the storage contract of README "Storage
 * contract"): which clients it holds, which artifacts (and sources) each has with the days and
 * their row counts, and the day files (and schema-change parts) of a range of days, which the
 * table engine opens as one table in time order (tables.ts, `table:open` of kind `logs`). Only
 * reads: safe while a collector writes.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoreArtifact, StoreDay } from '../ipc/contract.ts';
import { CLIENT_ID_SYNTAX, dayStart, monitoringRoot, nameOfDir, parseDayFileName } from '../collector/paths.ts';
import type { RowCounter } from './collector-counts.ts';

/** A day range of one artifact of one client: first and last day, inclusive (YYYY-MM-DD, UTC). */
export interface DayRange {
  client: string;
  artifact: string;
  from: string;
  to: string;
}

/** Most days one opened range may span (a year and a day: a leap year plus the day it ends). */
export const MAX_OPEN_DAYS = 367;

function isNotFound(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function entries(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
}

/** Client ids with a monitoring folder in the datastore, sorted. */
export async function storeClients(datastore: string): Promise<string[]> {
  const out: string[] = [];
  for (const ent of await entries(join(datastore, 'clients'))) {
    if (!ent.isDirectory() || !CLIENT_ID_SYNTAX.test(ent.name)) continue;
    if ((await entries(monitoringRoot(datastore, ent.name))).length) out.push(ent.name);
  }
  return out.sort();
}

/** The day files of one query directory, grouped by day: day → part paths in part order. */
export async function dayParts(dir: string): Promise<Map<string, string[]>> {
  const byDay = new Map<string, Array<{ part: number; path: string }>>();
  for (const ent of await entries(dir)) {
    const p = ent.isFile() ? parseDayFileName(ent.name) : undefined;
    if (!p) continue;
    let list = byDay.get(p.day);
    if (!list) byDay.set(p.day, (list = []));
    list.push({ part: p.part, path: join(dir, ent.name) });
  }
  return new Map([...byDay].map(([d, l]) => [d, l.sort((a, b) => a.part - b.part).map((x) => x.path)]));
}

/** Rows and bytes of one day (all its parts); a part deleted meanwhile counts as empty. */
export async function countDay(counter: RowCounter, paths: readonly string[]): Promise<{ rows: number; bytes: number }> {
  let rows = 0;
  let bytes = 0;
  for (const p of paths) {
    try {
      const c = await counter.count(p);
      rows += c.rows;
      bytes += c.bytes;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  return { rows, bytes };
}

async function daysOf(counter: RowCounter, dir: string): Promise<StoreDay[]> {
  const days: StoreDay[] = [];
  for (const [day, paths] of await dayParts(dir)) days.push({ day, ...(await countDay(counter, paths)) });
  return days.sort((a, b) => (a.day < b.day ? -1 : 1));
}

/** Every artifact (and `Artifact/Source`) of a client with its days, rows and bytes, sorted by name. */
export async function storeArtifacts(datastore: string, client: string, counter: RowCounter): Promise<StoreArtifact[]> {
  const root = monitoringRoot(datastore, client);
  const out: StoreArtifact[] = [];
  for (const ent of await entries(root)) {
    if (!ent.isDirectory()) continue;
    const dir = join(root, ent.name);
    const artifact = nameOfDir(ent.name);
    const own = await daysOf(counter, dir);
    if (own.length) out.push({ artifact, days: own });
    for (const sub of await entries(dir)) {
      if (!sub.isDirectory()) continue;
      const days = await daysOf(counter, join(dir, sub.name));
      if (days.length) out.push({ artifact: `${artifact}/${nameOfDir(sub.name)}`, days });
    }
  }
  return out.sort((a, b) => (a.artifact < b.artifact ? -1 : a.artifact > b.artifact ? 1 : 0));
}

/** Checks a day range to open; returns the problem, or undefined when it is valid. */
export function checkOpenRequest(req: DayRange): string | undefined {
  if (!req || typeof req !== 'object') return "table:open of kind 'logs' needs {client, artifact, from, to}";
  if (typeof req.client !== 'string' || !CLIENT_ID_SYNTAX.test(req.client)) return `invalid client id ${JSON.stringify(req.client)}: expected C. followed by lowercase letters and digits`;
  if (typeof req.artifact !== 'string' || !req.artifact || req.artifact.startsWith('/') || req.artifact.endsWith('/')) return `invalid artifact name ${JSON.stringify(req.artifact)}`;
  const from = dayStart(String(req.from));
  const to = dayStart(String(req.to));
  if (Number.isNaN(from) || Number.isNaN(to)) return `invalid day range ${req.from}..${req.to}: days are YYYY-MM-DD (UTC)`;
  if (from > to) return `the range ${req.from}..${req.to} ends before it starts`;
  if ((to - from) / 86_400_000 + 1 > MAX_OPEN_DAYS) return `the range ${req.from}..${req.to} is longer than ${MAX_OPEN_DAYS} days: open a shorter one`;
  return undefined;
}
