/**
 * `vql query "<VQL>"... [flags]`, modelled on `velociraptor query` (VELOCIRAPTOR.md 2.2).
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { Session, createRegistry, formatError, formatStatement, parseScript, walk, VqlError, type Registry, type Script } from '../vql/index.ts';
import { RunContext } from './run-context.ts';
import { ENGINE_OPTIONS, OUTPUT_OPTIONS, engineFlags, fail, outputFlags, type EngineFlags } from './flags.ts';

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
async function registryFor(texts: string[], flags: EngineFlags): Promise<Registry> {
  const builtins = createRegistry();
  const host = flags.definitions.length > 0 || texts.some((t) => {
    try {
      return needsHost(parseScript(t), builtins);
    } catch {
      return false; // reported when that argument runs
    }
  });
  if (!host) return builtins;
  const { createEngine } = await import('./engine.ts');
  return createEngine(flags).registry;
}


export async function query(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...OUTPUT_OPTIONS, ...ENGINE_OPTIONS, from_files: { type: 'boolean', short: 'f', default: false } },
  });
  const out = outputFlags(values);
  const eng = engineFlags(values);
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
  const run = new RunContext(out);
  const session = new Session({ registry: await registryFor(texts, eng), vars: eng.env, signal: run.signal, log: run.log });
  let status = 0;
  try {
    // Each argument is parsed just before it runs: earlier arguments print their rows even
    // when a later one does not parse (as velociraptor query does).
    for (const text of texts) {
      let script;
      try {
        script = parseScript(text);
      } catch (e) {
        if (!(e instanceof VqlError)) throw e;
        process.stderr.write(`vql: error: Unable to parse VQL Query: ${formatError(e)}\n`);
        status = 1;
        break;
      }
      for (const st of script.statements) {
        if (run.signal.aborted) break;
        await run.emit(session.execute(st), formatStatement(st));
      }
    }
  } finally {
    status = run.close(status);
  }
  return status;
}
