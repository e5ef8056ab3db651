// Measures the editor's live checks (`artifacts:check`, `vql:check`) on Velociraptor's corpus
// (../shared; the built-in artifacts when it is absent): the largest artifact, a typical
// (median-size) one, and p95/max over all of them. Each figure is the median of 21 runs after
// a warm-up, split into loading (YAML + parse, as before) and the static call checks added on top.
// Usage: node --import tsx scripts/bench-check.ts
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppService } from '../main/app/service.ts';
import { loadArtifactText, type LoadedArtifact } from '../main/artifacts/index.ts';
import { lintArtifact, queryFields } from '../main/artifacts/lint.ts';
import { medianMs } from './bench-stats.ts';

/** Median of 21 timed runs (or `times`) after 3 warm-up runs. */
const timed = (run: () => unknown, times = 21) => medianMs(run, times, 3);

const corpus = fileURLToPath(new URL('../../shared/velociraptor-artifacts/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'vql-bench-check-'));
const service = new AppService({
  userArtifacts: join(tmp, 'artifacts'),
  definitions: existsSync(corpus) ? [corpus] : [],
  push: () => {},
  isolation: 'inline',
});

const artifacts = service.repo.names().map((n) => service.repo.get(n)!).filter((a) => !existsSync(corpus) || a.file.startsWith(corpus));
const bySize = [...artifacts].sort((a, b) => a.raw.length - b.raw.length);
const check = (a: LoadedArtifact) => service.invoke('artifacts:check', a.raw);

interface Row {
  name: string;
  bytes: number;
  total: number;
  load: number;
  lint: number;
}
function measure(a: LoadedArtifact): Row {
  const loaded = loadArtifactText(a.raw, 'editor').loaded!;
  return {
    name: a.artifact.name,
    bytes: a.raw.length,
    total: timed(() => void check(a)),
    load: timed(() => loadArtifactText(a.raw, 'editor')),
    lint: timed(() => lintArtifact(loaded, service.registry, service.repo)),
  };
}

const fmt = (r: Row) => `${r.name} (${(r.bytes / 1024).toFixed(1)} KiB): artifacts:check ${r.total.toFixed(2)} ms = load ${r.load.toFixed(2)} ms + checks ${r.lint.toFixed(2)} ms`;
console.log(`largest   ${fmt(measure(bySize[bySize.length - 1]!))}`);
console.log(`typical   ${fmt(measure(bySize[Math.floor(bySize.length / 2)]!))}`);

const all = artifacts.map((a) => timed(() => void check(a), 5)).sort((a, b) => a - b);
console.log(`all ${all.length}: artifacts:check p50 ${all[Math.floor(all.length / 2)]!.toFixed(2)} ms, p95 ${all[Math.floor(all.length * 0.95)]!.toFixed(2)} ms, max ${all[all.length - 1]!.toFixed(2)} ms`);

// The console: the largest single query of the corpus through vql:check.
const queries = artifacts.flatMap((a) => queryFields(a).map((q) => ({ name: `${a.artifact.name} ${q.field}`, text: q.text })));
const big = queries.sort((a, b) => b.text.length - a.text.length)[0]!;
console.log(`vql:check ${big.name} (${(big.text.length / 1024).toFixed(1)} KiB): ${timed(() => void service.invoke('vql:check', big.text)).toFixed(2)} ms`);
service.cancelAll();
rmSync(tmp, { recursive: true, force: true });
