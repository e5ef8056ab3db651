/**
 * A process's memory on Linux, read through /proc/<pid>/maps and /proc/<pid>/mem (root, or
 * the same user where ptrace is allowed), for proc_yara() and the `process` accessor.
 *
 * The memory is sparse: only its mapped, readable regions have bytes. Offsets are virtual
 * addresses. A region the kernel refuses to read (`[vvar]`, some device mappings) is skipped.
 */
import { open, readFile } from 'node:fs/promises';
import type { Registry, Value } from '../../vql/index.ts';
import { registerAccessor, type Accessor, type FileReader } from '../files/accessors.ts';
import { OSPath, pathText } from '../files/ospath.ts';

export interface MemoryRegion {
  readonly start: number;
  readonly end: number;
  readonly perms: string;
  readonly path: string;
}

/** The readable regions of a process (from /proc/<pid>/maps), in address order. */
export async function readableRegions(pid: number): Promise<MemoryRegion[]> {
  const text = await readFile(`/proc/${pid}/maps`, 'utf8');
  const out: MemoryRegion[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S+)\s+\S+\s+\S+\s+\S+\s*(.*)$/.exec(line);
    if (!m) continue;
    const perms = m[3]!;
    const path = m[4] ?? '';
    // [vvar] cannot be read through mem; [vsyscall] lies outside the user address space.
    if (perms[0] !== 'r' || path === '[vvar]' || path === '[vsyscall]' || path.startsWith('[vvar')) continue;
    const start = parseInt(m[1]!, 16);
    const end = parseInt(m[2]!, 16);
    if (!Number.isSafeInteger(end)) continue;
    out.push({ start, end, perms, path });
  }
  return out;
}

/** Parses the pid of a `process` accessor path: `/1234`, `1234`. */
export function pidOf(filename: Value): number {
  const text = pathText(filename as never).replace(/^[/\\]+/, '').split(/[/\\]/)[0] ?? '';
  if (!/^[0-9]+$/.test(text)) throw new Error(`${JSON.stringify(pathText(filename as never))} is not a process path: use /<pid>`);
  return Number(text);
}

/** An open process memory: reads at virtual addresses, within one region at a time. */
export interface ProcessMemory extends FileReader {
  readonly regions: readonly MemoryRegion[];
}

/** Opens a process's memory. Throws when the process is gone or the kernel refuses. */
export async function openProcessMemory(pid: number): Promise<ProcessMemory> {
  if (process.platform !== 'linux') throw new Error(`reading process memory is supported on Linux only (here: ${process.platform})`);
  const regions = await readableRegions(pid);
  const fh = await open(`/proc/${pid}/mem`, 'r');
  return {
    regions,
    size: null,
    /**
     * Bytes from `offset` up to `length`, stopping at the end of the region that holds
     * `offset`; none when `offset` is not in a readable region (a gap reads as the end).
     */
    async read(offset, length) {
      const r = regions.find((x) => offset >= x.start && offset < x.end);
      if (!r || length <= 0) return new Uint8Array(0);
      const n = Math.min(length, r.end - offset);
      const buf = Buffer.alloc(n);
      try {
        const { bytesRead } = await fh.read(buf, 0, n, offset);
        return buf.subarray(0, bytesRead);
      } catch {
        return new Uint8Array(0); // EIO: a region the kernel will not give out
      }
    },
    close: () => fh.close(),
  };
}

/** The `process` accessor: `/<pid>` is that process's memory, offsets are addresses. */
export const processAccessor: Accessor = {
  name: 'process',
  doc: 'A process\'s memory as a sparse file: path /<pid>, offsets are virtual addresses (Linux; reads stop at the end of a mapped region)',
  path: (filename) => new OSPath([String(pidOf(filename))], 'linux'),
  open: async (filename) => openProcessMemory(pidOf(filename)),
  async lstat(p) {
    // upload() and stat() would read a sparse address space of terabytes from 0: refuse clearly.
    throw new Error(`process memory (${p.toString()}) is sparse and cannot be stat-ed or uploaded here; scan it with proc_yara() or read ranges with read_file(accessor="process", offset=...)`);
  },
};

export function registerProcessAccessor(registry: Registry): void {
  registerAccessor(registry, processAccessor);
}

/**
 * How a process whose memory cannot be opened is reported: one that has exited (or a kernel
 * thread, which has no memory to read), or that the kernel will not let us read (another
 * user's without root, or no ptrace rights in a container), is a warning, since an artifact
 * scanning every process meets both; anything else is an error.
 */
export function unreadableProcess(e: unknown): { level: 'warn' | 'error'; why: string } {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ESRCH') return { level: 'warn', why: 'no such process (it has exited, or is a kernel thread)' };
  if (code === 'EACCES' || code === 'EPERM') return { level: 'warn', why: 'permission denied by the kernel' };
  return { level: 'error', why: (e as Error).message };
}
