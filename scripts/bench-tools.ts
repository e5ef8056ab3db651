// What tools cost an artifact run (main/artifacts/tools.ts): every run, nested ones included,
// works out the Tool_<Name>_* variables of the tools it and its dependencies declare. This
// measures that step alone per artifact (median of 5 rounds of 5,000 runs) for an artifact
// without tools, one declaring one tool, and one declaring two tools with urls; and a whole
// nested FetchBinary run from a local tool (copy and hash check included). Velociraptor's
// corpus (../shared/velociraptor-artifacts) gives the artifacts; without it the script says so.
// Usage: node --import tsx scripts/bench-tools.ts
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Repository, installArtifactPlugins, runArtifact } from '../main/artifacts/index.ts';
import { ToolInventory, attachTools, toolEnv } from '../main/artifacts/tools.ts';
import { createHostRegistry } from '../main/host/index.ts';
import { median } from './bench-stats.ts';

const CORPUS = fileURLToPath(new URL('../../shared/velociraptor-artifacts/', import.meta.url));
if (!existsSync(CORPUS)) {
  console.log(`../shared/velociraptor-artifacts is absent (${CORPUS}): nothing to measure`);
  process.exit(0);
}
const TMP = mkdtempSync(join(tmpdir(), 'vql-bench-tools-'));
try {
  mkdirSync(join(TMP, 'tools'));
  writeFileSync(join(TMP, 'tools', 'OSQueryLinux'), Buffer.alloc(1 << 20, 7));
  const repo = new Repository({ definitions: [CORPUS] });
  const registry = createHostRegistry({ files: { tempDir: join(TMP, 'run'), uploadDir: null } });
  installArtifactPlugins(registry, repo);
  // --tool OSQueryLinux=...: defined even for a top-level FetchBinary run, which declares nothing.
  attachTools(registry, new ToolInventory({ dir: join(TMP, 'tools'), files: { OSQueryLinux: join(TMP, 'tools', 'OSQueryLinux') } }));
  const signal = new AbortController().signal;
  const N = 5000;
  for (const name of ['Linux.Sys.Users', 'Linux.OSQuery.Generic', 'Windows.Sysinternals.SysmonInstall']) {
    const a = repo.get(name)!;
    const rounds: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      for (let i = 0; i < N; i++) await toolEnv(repo, a, registry, undefined, () => {}, signal);
      rounds.push(((performance.now() - t0) * 1000) / N);
    }
    console.log(`toolEnv ${name} (${(a.artifact.tools ?? []).length} declared): ${median(rounds).toFixed(1)} µs per run`);
  }
  const fetch = repo.get('Generic.Utils.FetchBinary')!;
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    let rows = 0;
    for await (const b of runArtifact(repo, fetch, new Map([['ToolName', 'OSQueryLinux']]), { registry, signal, log: () => {} })) rows += b.length;
    if (rows !== 1) throw new Error(`FetchBinary gave ${rows} rows`);
    times.push(performance.now() - t0);
  }
  console.log(`Generic.Utils.FetchBinary of a 1 MiB local tool (copy + sha256 check): ${median(times).toFixed(1)} ms per run`);
} finally {
  rmSync(TMP, { recursive: true, force: true });
}
