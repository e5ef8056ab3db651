/**
 * The monitoring log browser over a datastore (the storage contract of README "Storage
 * contract", or a Velociraptor server's datastore in any of its layouts: datastore.ts): which
 * clients it holds (with hostnames when known), which artifacts (and sources) each has with the
 * days and their row counts, and the day files (and schema-change parts) of a range of days, which the
 * table engine opens as one table in time order (tables.ts, `table:open` of kind `logs`). Only
 * reads: safe while a collector writes.
 */
import { join } from 'node:path';
import type { StoreArtifact, StoreClient, StoreDay } from '../ipc/contract.ts';
import { CLIENT_ID_SYNTAX, dayStart, parseDayFileName } from '../collector/paths.ts';
import { countDayFile, type RowCounter } from './counts.ts';
import { clientArtifactFiles, datastoreClients, entries, isNotFound, type Datastore } from './datastore.ts';
import { clientHostnames } from './hostnames.ts';

/** A day range of one artifact of one client: first and last day, inclusive (YYYY-MM-DD, UTC). */
export interface DayRange {
  client: string;
  artifact: string;
  from: string;
  to: string;
}

/** Most days one opened range may span (a year and a day: a leap year plus the day it ends). */
export const MAX_OPEN_DAYS = 367;

/** Client ids with a monitoring folder in the datastore, sorted. */
export async function storeClients(datastore: string): Promise<string[]> {
  return datastoreClients({ root: datastore });
}

/** The clients of a datastore with their hostnames when its client records name them (hostnames.ts). */
export async function storeClientList(ds: Datastore): Promise<StoreClient[]> {
  const ids = await datastoreClients(ds);
  const hosts = await clientHostnames(ds.root, ids);
  return ids.map((id) => (hosts.has(id) ? { id, hostname: hosts.get(id)! } : { id }));
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

/**
 * Every artifact (and `Artifact/Source`) of a client with its days, rows and bytes, sorted by
 * name, in any of the layouts datastore.ts reads.
 */
export async function storeArtifacts(datastore: string, client: string, counter: RowCounter): Promise<StoreArtifact[]> {
  const out: StoreArtifact[] = [];
  for (const a of await clientArtifactFiles(datastore, client)) {
    const days: StoreDay[] = [];
    for (const [day, files] of a.days) {
      let rows = 0;
      let bytes = 0;
      for (const f of files) {
        try {
          const c = await countDayFile(counter, f);
          rows += c.rows;
          bytes += c.bytes;
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      days.push({ day, rows, bytes });
    }
    out.push({ artifact: a.artifact, days });
  }
  return out;
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
