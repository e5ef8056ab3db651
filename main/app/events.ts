/**
 * The live event view and the monitoring log browser's lists: the contract's events:* and
 * store:* requests of one window or web connection (a day range then opens as a table:
 * tables.ts), over the app's collector (collector-host.ts), which every connection shares, or
 * over another datastore folder opened read-only (`store:datastore`, and its clients' flows:
 * `store:flows`; the reading is main/logs).
 * A connection's live-row subscriptions and status listener end with it (`close()`).
 */
import { toJSON } from '../vql/index.ts';
import type { RowJson } from '../ipc/contract.ts';
import type { Subscription } from '../collector/subscriptions.ts';
import type { Handlers, SendHandlers, ServiceContext } from './service.ts';
import { fail, ok, toSerialized } from './service.ts';
import { AppCollector, EventsConfigError } from './collector-host.ts';
import { isAbsolute } from 'node:path';
import { storeArtifacts, storeClientList, storeClients } from '../logs/store.ts';
import { DatastoreError, findDatastore } from '../logs/datastore.ts';
import { clientFlows } from '../logs/flows.ts';
import { RowCounter } from '../logs/counts.ts';
import { checkBackfillRequest } from '../logs/backfill.ts';
import { CLIENT_ID_SYNTAX } from '../collector/paths.ts';

export { AppCollector };

type EventChannels = 'events:status' | 'events:start' | 'events:stop' | 'events:subscribe' | 'events:backfill' | 'store:clients' | 'store:artifacts' | 'store:datastore' | 'store:flows';

/** Live rows are pushed at most this often per artifact (ms) ... */
export const LIVE_PUSH_MS = 100;
/** ... and at most this many per push; a view further behind is told how many it missed. */
export const LIVE_PUSH_ROWS = 2000;

/** An error from a handler as a Result: our own errors keep their code. */
function failure(e: unknown) {
  if (e instanceof EventsConfigError) return fail(e.code, e.message);
  if (e instanceof DatastoreError) return fail('BadRequest', e.message);
  return { ok: false as const, error: toSerialized(e) };
}

/** A folder path from the renderer: absolute, or refused. */
function checkedFolder(dir: unknown): string {
  if (typeof dir !== 'string' || !isAbsolute(dir)) throw new DatastoreError('a datastore is given as the absolute path of its folder');
  return dir;
}

/**
 * Forwards a subscription's batches as `events:rows` pushes: gathered for up to LIVE_PUSH_MS,
 * at most LIVE_PUSH_ROWS per push (the newest; the rest are counted as missed).
 */
function pump(sub: Subscription, send: (rows: RowJson[], missed: number) => void): void {
  let pending: RowJson[] = [];
  let missed = 0;
  let last = 0;
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    timer = null;
    if (!pending.length && !missed) return;
    if (pending.length > LIVE_PUSH_ROWS) {
      missed += pending.length - LIVE_PUSH_ROWS;
      pending = pending.slice(-LIVE_PUSH_ROWS);
    }
    send(pending, missed);
    pending = [];
    missed = 0;
    last = Date.now();
  };
  void (async () => {
    for await (const batch of sub) {
      for (const r of batch.rows) pending.push(toJSON(r));
      missed += batch.missed;
      const wait = LIVE_PUSH_MS - (Date.now() - last);
      if (wait <= 0) flush();
      else timer ??= setTimeout(flush, wait);
    }
    if (timer) clearTimeout(timer);
  })();
}

/** The events:* and store:* handlers of one connection; `close()` ends its subscriptions. */
export function eventsHandlers(ctx: ServiceContext): { invoke: Pick<Handlers, EventChannels>; send: Pick<SendHandlers, 'events:unsubscribe'>; close(): void } {
  const collector = ctx.opts.collector;
  const subs = new Map<string, Subscription>();
  let stopStatus: (() => void) | null = null;
  const push = ctx.opts.push;
  // Status pushes start once this connection has asked about events.
  const watchStatus = () => {
    if (collector && !stopStatus) stopStatus = collector.onStatus((s) => push('events:status', s));
  };
  const foreignCounter = new RowCounter();
  const none = () => fail('NoCollector', 'this host runs without a collector: start it with vql serve [--datastore DIR] or the desktop app');
  const guard = <A extends unknown[], T>(fn: (c: AppCollector, ...a: A) => Promise<T>) =>
    async (...a: A) => {
      if (!collector) return none();
      try {
        return ok(await fn(collector, ...a));
      } catch (e) {
        return failure(e);
      }
    };

  return {
    invoke: {
      'events:status': guard(async (c) => {
        watchStatus();
        return c.status();
      }),
      'events:start': guard(async (c, req) => {
        watchStatus();
        return c.start(req);
      }),
      'events:stop': guard(async (c, artifact) => {
        watchStatus();
        return c.stop(artifact);
      }),
      'events:subscribe': guard(async (c, artifact) => {
        if (typeof artifact !== 'string' || !artifact) throw new EventsConfigError('BadRequest', 'events:subscribe needs an artifact name');
        if (subs.has(artifact)) return true as const;
        const sub = await c.subscribe(artifact);
        subs.set(artifact, sub);
        pump(sub, (rows, missed) => push('events:rows', artifact, rows, missed));
        return true as const;
      }),
      'events:backfill': guard(async (c, req) => {
        const checked = checkBackfillRequest(req);
        if (typeof checked === 'string') throw new EventsConfigError('BadRequest', checked);
        return c.backfill(checked.artifact, checked.limit);
      }),
      'store:clients': guard((c) => storeClients(c.datastore)),
      'store:artifacts': async (client, datastore) => {
        if (typeof client !== 'string' || !CLIENT_ID_SYNTAX.test(client)) return fail('BadRequest', `invalid client id ${JSON.stringify(client)}`);
        if (datastore === undefined) return guard((c: AppCollector) => storeArtifacts(c.datastore, client, c.counter))();
        // Another datastore (opened with store:datastore): read-only, counted by this connection's counter.
        try {
          const ds = await findDatastore(checkedFolder(datastore));
          return ok(await storeArtifacts(ds.root, client, foreignCounter));
        } catch (e) {
          return failure(e);
        }
      },
      'store:datastore': async (dir) => {
        try {
          const ds = await findDatastore(checkedFolder(dir));
          return ok({ root: ds.root, clients: await storeClientList(ds) });
        } catch (e) {
          return failure(e);
        }
      },
      'store:flows': async (datastore, client) => {
        if (typeof client !== 'string' || !CLIENT_ID_SYNTAX.test(client)) return fail('BadRequest', `invalid client id ${JSON.stringify(client)}`);
        try {
          const ds = await findDatastore(checkedFolder(datastore));
          return ok(await clientFlows(ds.root, client));
        } catch (e) {
          return failure(e);
        }
      },
    },
    send: {
      'events:unsubscribe': (artifact) => {
        subs.get(artifact)?.close();
        subs.delete(artifact);
      },
    },
    close: () => {
      for (const s of subs.values()) s.close();
      subs.clear();
      stopStatus?.();
      stopStatus = null;
    },
  };
}
