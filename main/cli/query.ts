/**
 * `vql query "<VQL>"... [flags]`, modelled on `velociraptor query` (VELOCIRAPTOR.md 2.2).
 *
 * With `--timeout`, the statements run on a worker thread (isolated.ts) that is terminated at
 * the deadline whatever it is doing; without it they run on this thread (no worker to start).
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { Session, createRegistry, formatError, formatStatement, parseScript, walk, VqlError, type Registry, type Script } from '../vql/index.ts';
import { RunContext, type Emit } from './run-context.ts';
import { ENGINE_OPTIONS, OUTPUT_OPTIONS, REMAP_OPTIONS, engineFlags, fail, outputFlags, remapFlag, remapSession, type EngineFlags } from './flags.ts';
import { FolderRun } from './run-folders.ts';
import { finishRun } from '../host/collect/run-files.ts';

/** Does the script call anything beyond the builtins (host plugins, functions, artifacts)? */
function needsHost(script: Script, builtins: Registry): boolean {
  let found = false;
  for (const st of script.statements) {
    walk(st, (node) => {
      if (found) return false;
      if (node.kind === 'Select' && node.from.args !== undefined) {
        const name = node.from.parts.map((p) => p.name).join('.');
        if (!builtins.plugins.has(name)) found = true;
      } else if (node.kind === 'Symbol' && node.args !== undefined && !builtins.functions.has(node.parts[0]!.name)) {
        found = true;
      } else if (node.kind === 'Symbol' && node.args !== undefined && node.parts[0]!.name === 'version') {
        // version(function=X) / version(plugin=X) looks X up in the registry: a host name (or
        // one computed at run time) needs the host registry, or the answer would be NULL.
        found = node.args.some((a) => {
          const names = a.name.name === 'function' ? builtins.functions : a.name.name === 'plugin' ? builtins.plugins : null;
          return names !== null && (a.value.kind !== 'String' || typeof a.value.value !== 'string' || !names.has(a.value.value));
        });
      }
      return !found;
    });
  }
  return found;
}

/**
 * The registry for these queries: the builtins alone when that is all they call (the host
 * plugins and the artifact repository are then never loaded: start-up stays fast).
 */
export async function registryFor(texts: string[], flags: EngineFlags, log?: (m: string) => void): Promise<Registry> {
  const builtins = createRegistry();
  // A remapping's accessors (zip, raw_reg, file_nocase...) are host ones.
  const host = flags.definitions.length > 0 || flags.remap !== undefined || texts.some((t) => {
    try {
      return needsHost(parseScript(t), builtins);
    } catch {
      return false; // reported when that argument runs
    }
  });
  if (!host) return builtins;
  const { createEngine } = await import('./engine.ts');
  return createEngine(flags, log).registry;
}

/**
 * Runs the statements of `texts` one after another, each result stream through `emit`. Each
 * text is parsed just before it runs: earlier texts print their rows even when a later one
 * does not parse (as velociraptor query does); that one's error goes to `stderr` and the
 * status is 1. The same loop runs on this thread and on a worker (isolated.ts).
 */
export async function runTexts(texts: readonly string[], session: Session, signal: AbortSignal, emit: Emit, stderr: (text: string) => void): Promise<number> {
  for (const text of texts) {
    let script;
    try {
      script = parseScript(text);
    } catch (e) {
      if (!(e instanceof VqlError)) throw e;
      stderr(`vql: error: Unable to parse VQL Query: ${formatError(e)}\n`);
      return 1;
    }
    for (const st of script.statements) {
      if (signal.aborted) break;
      await emit(session.execute(st), formatStatement(st));
    }
  }
  return 0;
}


export async function query(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...OUTPUT_OPTIONS, ...ENGINE_OPTIONS, ...REMAP_OPTIONS, from_files: { type: 'boolean', short: 'f', default: false } },
  });
  const out = outputFlags(values);
  const eng = engineFlags(values);
  eng.remap = await remapFlag(values);
  if (positionals.length === 0) fail('query: give at least one VQL query, e.g. vql query "SELECT * FROM info()"');
  const texts: string[] = [];
  for (const q of positionals) {
    if (!values.from_files) texts.push(q);
    else {
      try {
        texts.push(readFileSync(q, 'utf8'));
      } catch (e) {
        fail(`cannot read ${q}: ${(e as Error).message}`);
      }
    }
  }
  // upload() writes to a folder named here (printed at the end); temp files go when the run ends.
  const files = new FolderRun();
  const flags = { ...eng, files: files.files };
  // --remap: its accessors are checked against the engine before anything runs.
  let remapped: { registry: Registry; mocks: Awaited<ReturnType<typeof remapSession>>; lines: string[] } | undefined;
  if (eng.remap) {
    try {
      const registry = await registryFor(texts, flags);
      const lines: string[] = [];
      remapped = { registry, mocks: await remapSession(eng.remap, registry, (m) => lines.push(m)), lines };
    } catch (e) {
      files.finish(() => {});
      throw e;
    }
  }
  const run = new RunContext(out);
  let status = 0;
  try {
    const isolated = out.timeout > 0 ? await import('./isolated.ts') : null;
    const thread = isolated?.threadFor(run);
    if (thread) {
      status = await isolated!.runIsolated(run, thread, { kind: 'statements', texts, env: eng.env }, flags);
    } else {
      const registry = remapped?.registry ?? await registryFor(texts, flags);
      for (const m of remapped?.lines ?? []) run.log('info', m);
      const session = new Session({ registry, vars: eng.env, signal: run.signal, log: run.log, mocks: remapped?.mocks });
      try {
        status = await runTexts(texts, session, run.signal, (stream, caption) => run.emit(stream, caption), (text) => process.stderr.write(text));
      } finally {
        await finishRun(registry);
      }
    }
  } finally {
    files.finish(run.log);
    status = run.close(status);
  }
  return status;
}
