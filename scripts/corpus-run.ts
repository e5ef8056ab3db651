/**
 * `npm run corpus -- [--json] [--seconds N]`: runs every artifact of
 * ../shared/velociraptor-artifacts whose plugins, functions and called artifacts this engine
 * implements, on this machine, with preconditions evaluated (as `vql artifacts collect` does).
 * Event artifacts run for `--seconds` (default 3) and are then stopped. Prints one line per
 * artifact (rows, errors, skipped by precondition) and a summary.
 */
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { createHostRegistry } from '../main/host/index.ts';
import { Repository, artifactFiles, installArtifactPlugins, isEventType, loadArtifactFile, runArtifact, type LoadedArtifact } from '../main/artifacts/index.ts';
import { lintArtifact } from '../main/cli/lint.ts';

export interface CorpusRun {
  file: string;
  name: string;
  type: string;
  rows: number;
  errors: string[];
  skipped: boolean;
  ms: number;
}

const CORPUS = fileURLToPath(new URL('../../shared/velociraptor-artifacts/', import.meta.url));

/** The corpus artifacts that call only what this engine implements. */
export function runnableArtifacts(corpus = CORPUS): { repo: Repository; runnable: LoadedArtifact[]; total: number } {
  const registry = createHostRegistry();
  // With the built-in artifacts: Generic.Utils.FetchBinary and Linux.Sys.Users, which corpus
  // artifacts call, are in the other half of Velociraptor's library (artifacts.md#tools).
  const repo = new Repository({ definitions: [corpus] });
  const files = artifactFiles(corpus);
  const runnable: LoadedArtifact[] = [];
  for (const f of files) {
    const r = loadArtifactFile(f);
    if (!r.loaded) continue;
    if (lintArtifact(r.loaded, registry, repo).length === 0) runnable.push(r.loaded);
  }
  return { repo, runnable, total: files.length };
}

/** Runs one artifact with its defaults; event artifacts stop after `seconds`. */
export async function runOne(repo: Repository, a: LoadedArtifact, seconds: number, corpus = CORPUS, params: Record<string, string> = {}): Promise<CorpusRun> {
  // http_client() may only reach this machine: artifacts such as Network.ExternalIpAddress
  // would otherwise query the internet (they get a Response 500 row instead).
  const registry = createHostRegistry({ network: 'loopback' });
  installArtifactPlugins(registry, repo);
  const errors: string[] = [];
  let skipped = false;
  const controller = new AbortController();
  const event = isEventType(a.artifact.type);
  const timer = setTimeout(() => controller.abort(), (event ? seconds : 60) * 1000);
  const t0 = performance.now();
  let rows = 0;
  try {
    for await (const batch of runArtifact(repo, a, new Map(Object.entries(params)), {
      registry,
      signal: controller.signal,
      preconditions: true,
      log: (level, m) => {
        if (level === 'error') errors.push(m);
        if (m.startsWith('Skipping query due to preconditions')) skipped = true;
      },
    })) rows += batch.length;
  } catch (e) {
    errors.push((e as Error).message);
  } finally {
    clearTimeout(timer);
  }
  return { file: relative(corpus, a.file), name: a.artifact.name, type: a.artifact.type, rows, errors, skipped, ms: Math.round(performance.now() - t0) };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const seconds = argv.includes('--seconds') ? Number(argv[argv.indexOf('--seconds') + 1]) : 3;
  if (!existsSync(CORPUS)) {
    console.log(`../shared/velociraptor-artifacts is absent (${CORPUS}): nothing to run`);
    return;
  }
  const { repo, runnable, total } = runnableArtifacts();
  const results: CorpusRun[] = [];
  for (const a of runnable) {
    const r = await runOne(repo, a, seconds);
    results.push(r);
    if (!argv.includes('--json')) {
      const state = r.errors.length ? `ERROR ${r.errors[0]}` : `${r.rows} rows${r.skipped ? ' (a source was skipped by its precondition)' : ''}`;
      console.log(`${r.name.padEnd(48)} ${r.type.padEnd(13)} ${String(r.ms).padStart(6)} ms  ${state}`);
    }
  }
  if (argv.includes('--json')) console.log(JSON.stringify(results, null, 1));
  const failed = results.filter((r) => r.errors.length).length;
  console.log(`${total} corpus artifacts, ${runnable.length} use only what we implement: ${results.length - failed} ran without error, ${failed} with errors`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
