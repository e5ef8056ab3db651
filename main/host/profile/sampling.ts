/**
 * V8's sampling heap profiler over a short window: the Node.js counterpart of Go's memory
 * profiles. V8 samples one allocation every `SAMPLING_INTERVAL` bytes (on average) and keeps its
 * stack; `live` keeps only the samples still alive when the window ends (Go's in-use heap, for
 * profile_memory()), otherwise the collected ones too (Go's `allocs`: all allocations made).
 *
 * Unlike Go, whose runtime samples from the start, V8 samples only while asked: a profile
 * covers the allocations made during the window (by every query this thread runs meanwhile).
 */
import type { Session } from 'node:inspector/promises';
import { VDict, abortableSleep } from '../../vql/index.ts';
import { withInspector } from './inspector.ts';
import { frameOfCallFrame, type V8CallFrame } from './frames.ts';

/** How long the allocation samplers watch, in ms (`duration` is for the CPU profile and trace). */
export const SAMPLING_WINDOW_MS = 1000;
/** Mean bytes between samples: finer than V8's 32 KiB default, for a short window. */
export const SAMPLING_INTERVAL = 8192;

export interface SamplingNode {
  readonly id: number;
  readonly callFrame: V8CallFrame;
  readonly selfSize: number;
  readonly children: readonly SamplingNode[];
}

export interface SamplingProfile {
  readonly head: SamplingNode;
  readonly samples: ReadonlyArray<{ readonly size: number; readonly nodeId: number; readonly ordinal: number }>;
}

/** Samples allocations for `ms` (less if `signal` aborts). */
export async function sampleHeap(ms: number, live: boolean, signal: AbortSignal): Promise<SamplingProfile> {
  return withInspector(async (session: Session) => {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: SAMPLING_INTERVAL,
      includeObjectsCollectedByMajorGC: !live,
      includeObjectsCollectedByMinorGC: !live,
    });
    try {
      await abortableSleep(ms, signal);
      const { profile } = await session.post('HeapProfiler.getSamplingProfile');
      return profile as unknown as SamplingProfile;
    } finally {
      await session.post('HeapProfiler.stopSampling');
    }
  });
}

/**
 * profile_memory() rows: one per allocation stack that holds sampled bytes, `InUseBytes` (the
 * stack's own sampled bytes), `InUseObjects` (its samples) and `CallStack` (innermost frame
 * first, up to but without V8's `(root)`), the largest first.
 */
export function memoryRows(profile: SamplingProfile): VDict[] {
  const counts = new Map<number, number>();
  for (const s of profile.samples) counts.set(s.nodeId, (counts.get(s.nodeId) ?? 0) + 1);
  const rows: Array<{ bytes: number; row: VDict }> = [];
  const walk = (node: SamplingNode, stack: VDict[]) => {
    const here = node === profile.head ? stack : [frameOfCallFrame(node.callFrame), ...stack];
    if (node.selfSize > 0) {
      rows.push({
        bytes: node.selfSize,
        row: new VDict([
          ['InUseBytes', node.selfSize],
          ['InUseObjects', counts.get(node.id) ?? 0],
          ['CallStack', here],
        ]),
      });
    }
    for (const c of node.children) walk(c, here);
  };
  walk(profile.head, []);
  return rows.sort((a, b) => b.bytes - a.bytes).map((r) => r.row);
}
