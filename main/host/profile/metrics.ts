/**
 * `profile(metrics=TRUE)`: this process's metrics, one `{name, value}` per metric, as
 * Velociraptor lists its Prometheus metrics. The names follow the Prometheus conventions of
 * Node.js exporters (prom-client's `process_*` and `nodejs_*`), plus the engine's own
 * `vql_*`: memory (RSS, V8 heap and its spaces, external, array buffers), CPU seconds, context
 * switches, event loop utilization and lag, active libuv resources, open file descriptors
 * (Linux), uptime, and the queries this thread runs.
 */
import { readdirSync } from 'node:fs';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { performance } from 'node:perf_hooks';
import { queryCounts } from '../../vql/eval/recent.ts';
import { activeResources } from './goroutine-dump.ts';

export type Metric = readonly [name: string, value: number];

/** How late a setImmediate callback runs now: the event loop's lag, in seconds. */
export function eventLoopLag(): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve) => setImmediate(() => resolve((performance.now() - t0) / 1000)));
}

function openFds(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

/** The metrics now, in a stable order. */
export async function processMetrics(): Promise<Metric[]> {
  const lag = await eventLoopLag();
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  const ru = process.resourceUsage();
  const heap = getHeapStatistics();
  const elu = performance.eventLoopUtilization();
  const resources = activeResources();
  const queries = queryCounts();
  const out: Metric[] = [
    ['process_cpu_user_seconds_total', cpu.user / 1e6],
    ['process_cpu_system_seconds_total', cpu.system / 1e6],
    ['process_resident_memory_bytes', mem.rss],
    ['process_max_resident_memory_bytes', ru.maxRSS * 1024],
    ['process_start_time_seconds', Math.round((Date.now() / 1000 - process.uptime()) * 1000) / 1000],
    ['process_uptime_seconds', process.uptime()],
    ['process_voluntary_context_switches_total', ru.voluntaryContextSwitches],
    ['process_involuntary_context_switches_total', ru.involuntaryContextSwitches],
    ['process_fs_reads_total', ru.fsRead],
    ['process_fs_writes_total', ru.fsWrite],
  ];
  const fds = openFds();
  if (fds !== null) out.push(['process_open_fds', fds]);
  out.push(
    ['nodejs_heap_size_total_bytes', mem.heapTotal],
    ['nodejs_heap_size_used_bytes', mem.heapUsed],
    ['nodejs_heap_size_limit_bytes', heap.heap_size_limit],
    ['nodejs_external_memory_bytes', mem.external],
    ['nodejs_array_buffers_bytes', mem.arrayBuffers],
    ['nodejs_malloced_memory_bytes', heap.malloced_memory],
    ['nodejs_native_contexts', heap.number_of_native_contexts],
    ['nodejs_detached_contexts', heap.number_of_detached_contexts],
  );
  for (const s of getHeapSpaceStatistics()) {
    out.push([`nodejs_heap_space_size_used_bytes{space="${s.space_name}"}`, s.space_used_size]);
  }
  out.push(
    ['nodejs_eventloop_utilization', elu.utilization],
    ['nodejs_eventloop_lag_seconds', lag],
    ['nodejs_active_resources_total', resources.reduce((n, r) => n + r[1], 0)],
  );
  for (const [type, n] of resources) out.push([`nodejs_active_resources{type="${type}"}`, n]);
  out.push(
    ['vql_queries_running', queries.running],
    ['vql_queries_total', queries.total],
    ['vql_log_lines_total', queries.logLines],
  );
  return out;
}
