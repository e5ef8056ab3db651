/**
 * The `goroutine` profile's Node.js counterpart: a text dump of what this thread is busy with.
 * Go lists the stack of every goroutine; JavaScript runs one stack per thread and keeps no
 * stacks for the work that waits (promises, timers, I/O), so the honest equivalent is:
 * - the VQL queries running now (the work a Go client's goroutines would be running), with
 *   their start and run time and their text (the first 300 characters; all of it at debug>=2);
 * - the libuv resources that keep the thread busy (process.getActiveResourcesInfo()), counted
 *   by type: open files and sockets, timers, pending file system requests;
 * - the one live stack: this thread's, where profile() itself is running.
 */
import { isMainThread, threadId } from 'node:worker_threads';
import { queryText, recentQueries } from '../../vql/eval/recent.ts';
import { currentStack } from './frames.ts';

const SHORT_QUERY = 300;

/** Active libuv resources by type, most first. */
export function activeResources(): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** The dump's text; `debug` >= 2 prints the queries' whole text. */
export function goroutineDump(debug: number): string {
  const now = Date.now();
  const out: string[] = [];
  const thread = isMainThread ? 'main thread' : `worker thread ${threadId}`;
  out.push(`vql engine: pid ${process.pid}, ${thread}, node ${process.version}, ${new Date(now).toISOString()}`);
  const running = recentQueries().filter((q) => q.durationNs === 0);
  out.push('', `running queries: ${running.length}`);
  running.forEach((q, i) => {
    let text = queryText(q);
    if (debug < 2 && text.length > SHORT_QUERY) text = text.slice(0, SHORT_QUERY) + '...';
    out.push(`query ${i + 1} [running ${((now - q.startMs) / 1000).toFixed(1)} s, since ${new Date(q.startMs).toISOString()}]:`, `    ${text}`);
  });
  const resources = activeResources();
  out.push('', `active resources: ${resources.reduce((n, r) => n + r[1], 0)}`);
  for (const [type, n] of resources) out.push(`    ${n} ${type}`);
  out.push('', `stack of the ${thread} (in profile()):`);
  for (const f of currentStack()) out.push(`    ${String(f.get('Name'))} (${String(f.get('File'))}:${String(f.get('Line'))})`);
  return out.join('\n') + '\n';
}
