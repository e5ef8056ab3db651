/**
 * Go structs as VQL host objects. vfilter resolves `X.y` on a Go struct by the exact Go field
 * name OR the exact `json` tag (VELOCIRAPTOR.md 4.4, `FieldMatchName`), and JSON output uses
 * the json tags. `goStruct()` declares a struct type once; its instances do the same:
 *
 * ```ts
 * const MemoryInfoStat = goStruct([['RSS', 'rss'], ['VMS', 'vms']]);
 * const m = MemoryInfoStat.of([4096, 8192]);   // m.RSS and m.rss are both 4096; JSON {"rss":4096,"vms":8192}
 * ```
 */
import { ABSENT, GET_MEMBER, MEMBERS, VFloat, type Absent, type HostObject, type Value } from '../../vql/index.ts';

/** A field: [Go field name, json tag]. */
export type GoField = readonly [goName: string, jsonTag: string];

export interface GoStructType {
  readonly fields: readonly GoField[];
  /** An instance with the values in field order (missing values are null). */
  of(values: readonly Value[]): GoStructValue;
}

/** An instance of a declared Go struct. */
export class GoStructValue implements HostObject {
  constructor(
    private readonly index: ReadonlyMap<string, number>,
    private readonly tags: readonly string[],
    readonly values: readonly Value[],
  ) {}

  [MEMBERS](): readonly string[] {
    return this.tags;
  }
  [GET_MEMBER](name: string): Value | Absent {
    const i = this.index.get(name);
    if (i === undefined) return ABSENT;
    return this.values[i] ?? null;
  }
  /** Reads a field by Go name or json tag (null when absent): for host code and tests. */
  get(name: string): Value {
    const v = this[GET_MEMBER](name);
    return v === ABSENT ? null : v;
  }
  toJSON(): Record<string, Value> {
    const out: Record<string, Value> = {};
    this.tags.forEach((t, i) => (out[t] = this.values[i] ?? null));
    return out;
  }
}

/** Declares a Go struct type. Names and tags must be unique across the struct. */
export function goStruct(fields: readonly GoField[]): GoStructType {
  const index = new Map<string, number>();
  fields.forEach(([go, tag], i) => {
    index.set(go, i);
    index.set(tag, i);
  });
  const tags = fields.map((f) => f[1]);
  return { fields, of: (values) => new GoStructValue(index, tags, values) };
}

/** A Go float64: integral values stay floats in VQL (`2.0`, not the int 2). */
export function goFloat(n: number): number | VFloat {
  return Number.isInteger(n) ? new VFloat(n) : n;
}

/** gopsutil `cpu.TimesStat` (process CPU times, seconds). The `cpu` label field is left out. */
export const TimesStat = goStruct([
  ['User', 'user'],
  ['System', 'system'],
  ['Idle', 'idle'],
  ['Nice', 'nice'],
  ['Iowait', 'iowait'],
  ['Irq', 'irq'],
  ['Softirq', 'softirq'],
  ['Steal', 'steal'],
  ['Guest', 'guest'],
  ['GuestNice', 'guestNice'],
]);

/** gopsutil `process.MemoryInfoStat` (bytes). */
export const MemoryInfoStat = goStruct([
  ['RSS', 'rss'],
  ['VMS', 'vms'],
  ['HWM', 'hwm'],
  ['Data', 'data'],
  ['Stack', 'stack'],
  ['Locked', 'locked'],
  ['Swap', 'swap'],
]);

/** Windows `PROCESS_MEMORY_COUNTERS` as Velociraptor's Windows pslist names it (bytes). */
export const ProcessMemoryCounters = goStruct([
  ['PageFaultCount', 'PageFaultCount'],
  ['PeakWorkingSetSize', 'PeakWorkingSetSize'],
  ['WorkingSetSize', 'WorkingSetSize'],
  ['QuotaPeakPagedPoolUsage', 'QuotaPeakPagedPoolUsage'],
  ['QuotaPagedPoolUsage', 'QuotaPagedPoolUsage'],
  ['QuotaPeakNonPagedPoolUsage', 'QuotaPeakNonPagedPoolUsage'],
  ['QuotaNonPagedPoolUsage', 'QuotaNonPagedPoolUsage'],
  ['PagefileUsage', 'PagefileUsage'],
  ['PeakPagefileUsage', 'PeakPagefileUsage'],
]);
