// The web host runs each connection's queries on worker threads: one tab's heavy query does not
// hold up another tab, and closing a tab stops its queries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startWebHost, type WebHostOptions } from '../../main/web/host.ts';
import { sharedWorkerPool } from '../../main/app/worker-pool.ts';

type Msg = { type: string; id?: number; channel?: string; args?: unknown[]; result?: { ok: boolean; value?: unknown } };

/** A tab: a WebSocket connection with a log of what arrived and when. */
async function tab(port: number, token: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const seen: Array<Msg & { at: number }> = [];
  ws.on('message', (d) => seen.push({ ...JSON.parse(String(d)), at: performance.now() }));
  let n = 0;
  const until = async <T>(f: () => T | undefined): Promise<T> => {
    for (;;) {
      const v = f();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const run = async (query: string): Promise<string> => {
    const id = ++n;
    ws.send(JSON.stringify({ type: 'invoke', id, channel: 'vql:run', args: [{ query }] }));
    const reply = await until(() => seen.find((m) => m.type === 'reply' && m.id === id));
    assert.ok(reply.result?.ok, JSON.stringify(reply));
    return reply.result.value as string;
  };
  const done = (qid: string) => until(() => seen.find((m) => m.channel === 'vql:done' && m.args?.[0] === qid));
  const doneYet = (qid: string) => seen.some((m) => m.channel === 'vql:done' && m.args?.[0] === qid);
  return { ws, seen, run, done, doneYet };
}

// One long synchronous engine step (see test/app/worker.test.ts): about a second for n = 24,
// doubling with each more.
const redos = (n: number) => {
  const chars = 30_000 * 2 ** (n - 24);
  const piece = `format(format='%0${Math.min(chars, 1_000_000)}d', args=0)`; // format's widths stop near 1e7, as Go's
  const text = Array<string>(Math.ceil(chars / 1_000_000)).fill(piece).join(' + ');
  return `SELECT parse_string_with_regex(string=${text}, regex='(?P<X>[0-9]{1000}[a-z])') AS M FROM scope()`;
};

test('two tabs query at once: a tab stuck in a heavy query does not hold up the other; closing it stops its query', { timeout: 60_000 }, async () => {
  const opts: WebHostOptions = { userArtifacts: join(mkdtempSync(join(tmpdir(), 'vql-web-workers-')), 'artifacts') };
  await sharedWorkerPool(opts)!.warm(); // the pool the host's connections share
  const host = await startWebHost(opts);
  try {
    const a = await tab(host.port, host.token);
    const b = await tab(host.port, host.token);
    const heavy = await a.run(redos(34)); // minutes of regex search in one engine step
    await new Promise((r) => setTimeout(r, 200));
    const light = await b.run('SELECT _value AS N FROM range(end=5)');
    const end = await b.done(light);
    assert.equal((end.args![1] as { rows: number }).rows, 5);
    assert.equal(a.doneYet(heavy), false, 'the heavy query is still running');
    const pool = sharedWorkerPool(opts)!;
    assert.equal(pool.running, 1);
    a.ws.close(); // the tab closes: its queries are cancelled, and this one's worker terminated
    const t0 = performance.now();
    while (pool.running > 0) {
      assert.ok(performance.now() - t0 < 5000, 'the closed tab\'s query stopped');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(pool.stats.killed, 1);
    b.ws.close();
  } finally {
    await host.close();
  }
});

test('the same two tabs with isolation inline: the light query waits for the heavy one (the check above can fail)', { timeout: 60_000 }, async () => {
  const host = await startWebHost({ userArtifacts: join(mkdtempSync(join(tmpdir(), 'vql-web-inline-')), 'artifacts'), isolation: 'inline' });
  try {
    const a = await tab(host.port, host.token);
    const b = await tab(host.port, host.token);
    const heavy = await a.run(redos(24)); // about a second, all of it in the host's thread
    await new Promise((r) => setTimeout(r, 50));
    const light = await b.run('SELECT _value AS N FROM range(end=5)');
    const [hEnd, lEnd] = await Promise.all([a.done(heavy), b.done(light)]);
    assert.ok(lEnd.at > hEnd.at, 'inline, the light query only ends after the heavy one');
    a.ws.close();
    b.ws.close();
  } finally {
    await host.close();
  }
});

test('queries running at once are capped across tabs: one more gets Busy, and runs once one stops', { timeout: 60_000 }, async () => {
  const opts: WebHostOptions = { userArtifacts: join(mkdtempSync(join(tmpdir(), 'vql-web-cap-')), 'artifacts'), maxRunning: 2 };
  const host = await startWebHost(opts);
  try {
    const a = await tab(host.port, host.token);
    const b = await tab(host.port, host.token);
    const forever = 'SELECT * FROM clock(period=1)';
    const first = await a.run(forever);
    await b.run(forever);
    b.ws.send(JSON.stringify({ type: 'invoke', id: 99, channel: 'vql:run', args: [{ query: forever }] }));
    const refused = await new Promise<Msg>((resolve) => {
      const look = () => {
        const m = b.seen.find((x) => x.type === 'reply' && x.id === 99);
        if (m) resolve(m);
        else setTimeout(look, 5);
      };
      look();
    });
    const error = (refused.result as unknown as { ok: false; error: { code: string; message: string } }).error;
    assert.equal(error.code, 'Busy');
    assert.match(error.message, /2 queries are running, the most at once/);
    a.ws.send(JSON.stringify({ type: 'send', channel: 'vql:cancel', args: [first] }));
    await a.done(first);
    const third = await b.run('SELECT _value AS N FROM range(end=3)');
    assert.equal(((await b.done(third)).args![1] as { rows: number }).rows, 3);
    a.ws.close();
    b.ws.close();
  } finally {
    await host.close();
  }
});
