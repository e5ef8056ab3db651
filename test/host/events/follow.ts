// Shared by the event plugin tests (watch_syslog, watch_jsonl, watch_journald): runs an event
// query in the background, collecting its rows and log lines until stopped, and waits for rows
// or a log line as they arrive (never a fixed sleep).
import assert from 'node:assert/strict';
import { run, toJSON, type Registry } from '../../../main/vql/index.ts';

/** Generous: a loaded machine may only see a plugin's poll (1 s for journals, 3 s for text files), late. */
export const WAIT_MS = 20_000;


export function follow(registry: () => Registry, text: string, vars: Record<string, unknown> = {}) {
  const controller = new AbortController();
  const rows: Array<Record<string, any>> = [];
  const logs: string[] = [];
  const done = (async () => {
    for await (const row of run(text, { registry: registry(), vars, signal: controller.signal, log: (l, m) => logs.push(`${l}: ${m}`) })) {
      rows.push(JSON.parse(toJSON(row)));
    }
  })();
  return {
    rows,
    logs,
    async waitRows(n: number): Promise<void> {
      const end = Date.now() + WAIT_MS;
      while (rows.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      assert.ok(rows.length >= n, `waited for ${n} rows, have ${rows.length}: ${JSON.stringify(rows)}\n${logs.join('\n')}`);
    },
    async waitLog(re: RegExp): Promise<void> {
      const end = Date.now() + WAIT_MS;
      while (!logs.some((l) => re.test(l)) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      assert.ok(logs.some((l) => re.test(l)), `no log ${re}: ${logs.join('\n')}`);
    },
    async stop(): Promise<void> {
      controller.abort();
      await done;
    },
  };
}
