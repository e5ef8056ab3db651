/**
 * The session mocks that run an artifact against evidence in the app (the run form's Evidence):
 * a remapping config file (`.yaml`/`.yml`/`.json`, as `--remap`), or a disk image, an NTFS
 * partition image or a folder, for which vql deaddisk's config is built (as `--evidence`).
 */
import { readFile } from 'node:fs/promises';
import type { Mocks, Registry } from '../vql/index.ts';
import { parseRemapConfig, remapMocks } from '../host/remap/index.ts';
import { evidenceSummary, remapForEvidence } from './deaddisk.ts';

/** Whether `path` names a remapping config rather than evidence. */
export function isRemapConfig(path: string): boolean {
  return /\.(ya?ml|json)$/i.test(path);
}

/**
 * The mocks that apply the remapping for `path`; `log` gets what was found and mounted. Throws
 * an EvidenceError or RemapError saying what is wrong.
 */
export async function evidenceMocks(registry: Registry, path: string, log: (message: string) => void): Promise<Mocks> {
  let text: string;
  if (isRemapConfig(path)) {
    text = await readFile(path, 'utf8');
  } else {
    const r = await remapForEvidence(registry, path);
    log(`evidence: ${r.kind} ${path}: ${evidenceSummary(r)}`);
    text = r.yaml;
  }
  return remapMocks(registry, parseRemapConfig(text, path), log);
}
