/** Runs VQL against the builtins, the file and collect functions and the profile plugins, with a run of the test's own. */
import { collect, createRegistry, toJSON, type Registry } from '../../../main/vql/index.ts';
import { registerFiles } from '../../../main/host/files/index.ts';
import { registerCollect } from '../../../main/host/collect/index.ts';
import { registerProfile } from '../../../main/host/profile/index.ts';
import { finishRun, newTempDir, type RunFiles } from '../../../main/host/collect/run-files.ts';

export type Row = Record<string, unknown>;

export interface ProfileRun {
  readonly registry: Registry;
  readonly files: RunFiles;
  query(text: string, signal?: AbortSignal): Promise<{ rows: Row[]; logs: string[] }>;
  /** Ends the run: its temp folder (and the profile files in it) removed. */
  close(): Promise<void>;
}

export function profileRun(): ProfileRun {
  const files: RunFiles = { tempDir: newTempDir(), uploadDir: null };
  const registry = createRegistry();
  registerFiles(registry, {});
  registerCollect(registry, { files });
  registerProfile(registry, {});
  return {
    registry,
    files,
    async query(text, signal) {
      const logs: string[] = [];
      const rows = await collect(text, { registry, signal, log: (l, m) => logs.push(`${l}: ${m}`) });
      return { rows: JSON.parse(toJSON(rows)) as Row[], logs };
    },
    close: () => finishRun(registry),
  };
}

/** The log lines at level error. */
export const errors = (logs: string[]) => logs.filter((l) => l.startsWith('error:'));
