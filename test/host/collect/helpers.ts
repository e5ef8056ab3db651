/** Runs VQL against the builtins, the file functions and the collect functions, with a run of the test's own. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, createRegistry, toJSON, type Registry } from '../../../main/vql/index.ts';
import { registerFiles } from '../../../main/host/files/index.ts';
import { registerCollect } from '../../../main/host/collect/index.ts';
import { finishRun, newTempDir, type RunFiles } from '../../../main/host/collect/run-files.ts';

export interface TestRun {
  readonly registry: Registry;
  readonly files: RunFiles;
  /** A folder of the test's own (removed by close()). */
  readonly dir: string;
  query(text: string, vars?: Record<string, unknown>, signal?: AbortSignal): Promise<{ rows: Array<Record<string, unknown>>; logs: string[] }>;
  close(): Promise<void>;
}

/** A registry whose run writes uploads to `<dir>/store` (unless `uploads: false`) and temp files to a fresh temp folder. */
export function testRun(opts: { allowExecve?: boolean; uploads?: boolean } = {}): TestRun {
  const dir = mkdtempSync(join(tmpdir(), 'vql-collect-test-'));
  const files: RunFiles = { tempDir: newTempDir(), uploadDir: opts.uploads === false ? null : join(dir, 'store') };
  const registry = createRegistry();
  registerFiles(registry, {});
  registerCollect(registry, { allowExecve: opts.allowExecve, files });
  return {
    registry,
    files,
    dir,
    async query(text, vars = {}, signal) {
      const logs: string[] = [];
      const rows = await collect(text, { registry, vars, signal, log: (l, m) => logs.push(`${l}: ${m}`) });
      return { rows: JSON.parse(toJSON(rows)) as Array<Record<string, unknown>>, logs };
    },
    async close() {
      await finishRun(registry);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
