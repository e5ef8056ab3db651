/**
 * Test material for the OLE2 / VBA readers: an MS-OVBA compressor (2.4.1.3, greedy matches, so
 * the files hold real copy tokens), a `dir` stream writer (2.3.4.2) and a VBA project laid out
 * as files, made into a compound file by libgsf's `gsf createole` (an OLE2 writer that is not
 * ours). `gsf-vba-dump` (libgsf's VBA reader) and Python's olefile check what we wrote.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Why the OLE tools are missing ('' when `gsf`, `gsf-vba-dump` and python3's olefile run). */
export function oleToolsMissing(): string {
  const tools: Array<[string, string[]]> = [['gsf', ['help']], ['gsf-vba-dump', []]];
  for (const [cmd, args] of tools) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.error) return `${cmd} is not installed (apt-get install libgsf-bin)`;
  }
  const py = spawnSync('/usr/bin/python3', ['-c', 'import olefile'], { encoding: 'utf8' });
  if (py.error || py.status !== 0) return 'python3 olefile is not installed (apt-get install python3-olefile)';
  return '';
}

/** MS-OVBA compression: chunks of 4096 bytes, each as literal and copy tokens. */
export function compressVba(input: Uint8Array): Uint8Array {
  const out: number[] = [0x01];
  for (let chunkStart = 0; chunkStart < input.length; chunkStart += 4096) {
    const chunkEnd = Math.min(input.length, chunkStart + 4096);
    const body: number[] = [];
    let pos = chunkStart;
    while (pos < chunkEnd) {
      const flagAt = body.length;
      body.push(0);
      for (let bit = 0; bit < 8 && pos < chunkEnd; bit++) {
        const done = pos - chunkStart;
        let bitCount = 4;
        while (1 << bitCount < done) bitCount++;
        const maxLength = (0xffff >> bitCount) + 3;
        let best = 0;
        let bestOffset = 0;
        for (let cand = pos - 1; cand >= chunkStart && pos - cand <= 1 << bitCount; cand--) {
          let len = 0;
          while (len < maxLength && pos + len < chunkEnd && input[cand + len] === input[pos + len]) len++;
          if (len > best) {
            best = len;
            bestOffset = pos - cand;
          }
        }
        if (best >= 3) {
          const token = ((bestOffset - 1) << (16 - bitCount)) | (best - 3);
          body.push(token & 0xff, token >> 8);
          body[flagAt]! |= 1 << bit;
          pos += best;
        } else {
          body.push(input[pos]!);
          pos++;
        }
      }
    }
    const header = 0xb000 | (body.length + 2 - 3);
    out.push(header & 0xff, header >> 8, ...body);
  }
  return Uint8Array.from(out);
}

function u16(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff];
}
function u32(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
}
function rec(id: number, body: number[] | Uint8Array): number[] {
  return [...u16(id), ...u32(body.length), ...body];
}
const latin = (s: string) => [...Buffer.from(s, 'latin1')];
const utf16 = (s: string) => [...Buffer.from(s, 'utf16le')];

export interface TestModule {
  readonly name: string;
  readonly code: string;
  readonly type: 'Module' | 'Class';
  /** Bytes before the compressed source (the performance cache); default 37. */
  readonly cache?: number;
}

/** A decompressed `dir` stream naming `modules` with code page `codePage`. */
export function dirStream(project: string, modules: readonly TestModule[], codePage = 1252): Uint8Array {
  const b: number[] = [
    ...rec(0x0001, u32(1)),
    ...rec(0x0002, u32(0x409)),
    ...rec(0x0014, u32(0x409)),
    ...rec(0x0003, u16(codePage)),
    ...rec(0x0004, latin(project)),
    ...rec(0x0005, []), ...rec(0x0040, []),
    ...rec(0x0006, []), ...rec(0x003d, []),
    ...rec(0x0007, u32(0)),
    ...rec(0x0008, u32(0)),
    // PROJECTVERSION: its "size" is a reserved 4, then 6 bytes.
    ...u16(0x0009), ...u32(4), ...u32(1), ...u16(2),
    ...rec(0x000c, []), ...rec(0x003c, []),
    ...rec(0x000f, u16(modules.length)),
    ...rec(0x0013, u16(0xffff)),
  ];
  for (const m of modules) {
    b.push(
      ...rec(0x0019, latin(m.name)),
      ...rec(0x0047, utf16(m.name)),
      ...rec(0x001a, latin(m.name)),
      ...rec(0x0032, utf16(m.name)),
      ...rec(0x001c, []), ...rec(0x0048, []),
      ...rec(0x0031, u32(m.cache ?? 37)),
      ...rec(0x001e, u32(0)),
      ...rec(0x002c, u16(0xffff)),
      ...rec(m.type === 'Module' ? 0x0021 : 0x0022, []),
      ...rec(0x002b, []),
    );
  }
  b.push(...rec(0x0010, []));
  return Uint8Array.from(b);
}

/** Writes the streams of a VBA project under `dir/<storage>/` as files, ready for `gsf createole`. */
export function writeVbaProjectFiles(dir: string, storage: string, modules: readonly TestModule[], codePage = 1252): void {
  const vba = join(dir, storage, 'VBA');
  mkdirSync(vba, { recursive: true });
  writeFileSync(join(vba, 'dir'), compressVba(dirStream('VBAProject', modules, codePage)));
  // _VBA_PROJECT: the version-dependent header, reserved values (2.3.4.1).
  writeFileSync(join(vba, '_VBA_PROJECT'), Uint8Array.of(0xcc, 0x61, 0xff, 0xff, 0x00, 0x00, 0x00));
  for (const m of modules) {
    const encoded = codePage === 65001 ? Buffer.from(m.code, 'utf8') : Buffer.from(m.code, 'latin1');
    const cache = new Uint8Array(m.cache ?? 37).fill(0xaa);
    writeFileSync(join(vba, m.name), Buffer.concat([cache, compressVba(encoded)]));
  }
  const project = ['ID="{00000000-0000-0000-0000-000000000000}"', ...modules.map((m) => (m.type === 'Module' ? `Module=${m.name}` : `Document=${m.name}/&H00000000`)), 'Name="VBAProject"', ''].join('\r\n');
  writeFileSync(join(dir, storage, 'PROJECT'), project);
}

/** Makes the compound file `out` from the files under `dir` (each top-level entry a member). */
export function createOle(out: string, dir: string, members: readonly string[]): void {
  mkdirSync(dirname(out), { recursive: true });
  execFileSync('gsf', ['createole', out, ...members.map((m) => join(dir, m))], { stdio: 'pipe' });
}

/** What olefile (Python) lists in `file`: every stream's path and size. */
export function olefileStreams(file: string): Array<{ path: string; size: number }> {
  const script = 'import json,sys,olefile\no=olefile.OleFileIO(sys.argv[1])\nprint(json.dumps([{"path":"/".join(p),"size":o.get_size("/".join(p))} for p in o.listdir(streams=True,storages=False)]))';
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' }));
}
