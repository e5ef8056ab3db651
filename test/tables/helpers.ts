// Shared by the table engine tests: a private engine in a temp folder, tables opened and loaded.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableEngine, type EngineOptions } from '../../main/tables/engine.ts';
import { OpenTable } from '../../main/tables/table.ts';
import type { LoadSource } from '../../main/tables/load.ts';
import type { TableInfo } from '../../main/ipc/contract.ts';

export interface Bench {
  dir: string;
  engine: TableEngine;
  file(name: string, content: string | Buffer): string;
  open(path: string, onInfo?: (info: TableInfo) => void): Promise<OpenTable>;
  openSource(source: LoadSource, files: string[]): Promise<OpenTable>;
  dispose(): void;
}

let seq = 0;

/** A temp folder for sources (`src/`) and a private engine whose folder is under it (`engine/`). */
export function bench(opts: EngineOptions = {}): Bench {
  const dir = mkdtempSync(join(tmpdir(), 'vql-tables-test-'));
  const engineRoot = join(dir, 'engine');
  mkdirp(engineRoot);
  // 1 GiB for the process, of which DuckDB gets 512 MiB (engine.ts); at 512 MiB it would get 128.
  const engine = new TableEngine({ memoryLimit: 1024 * 2 ** 20, threads: 2, ...opts, tempRoot: engineRoot });
  const openSource = async (source: LoadSource, files: string[], onInfo?: (info: TableInfo) => void) => {
    const t = await OpenTable.open(engine, `t${++seq}`, 'test', source, files, (_p, _f, _r, info) => info && onInfo?.(info));
    await t.loaded;
    await t.linted;
    return t;
  };
  return {
    dir,
    engine,
    file(name, content) {
      const p = join(dir, 'src', name);
      mkdirp(join(dir, 'src'));
      writeFileSync(p, content);
      return p;
    },
    open: (path, onInfo) => openSource({ kind: 'file', path }, [path], onInfo),
    openSource: (s, f) => openSource(s, f),
    dispose() {
      engine.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function mkdirp(p: string): void {
  mkdirSync(p, { recursive: true });
}

/** The window cells of every row in file order. */
export async function allRows(t: OpenTable, view?: string): Promise<{ rows: number[]; cells: unknown[][] }> {
  const w = await t.window({ view, offset: 0, limit: 10_000 });
  return { rows: w.rows, cells: w.cells };
}
