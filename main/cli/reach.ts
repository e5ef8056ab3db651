/**
 * `vql artifacts reach [DIR...] [--os linux|darwin|windows] [--json] [--definitions DIR]...`:
 * for each artifact (the built-ins, your folder, DIR and --definitions folders), whether it can
 * run on that OS here, and if not exactly what it lacks (main/artifacts/reach.ts); then a summary
 * such as `70 of 82 client artifacts can run on linux` and the missing names, most needed first.
 */
import { parseArgs } from 'node:util';
import { ENGINE_OPTIONS, REMAP_OPTIONS, engineFlags, fail, remapFlag, remapSession } from './flags.ts';
import { remapStateOf } from '../host/remap/apply.ts';
import { createEngine } from './engine.ts';
import { artifactsReach, hostOs, summarizeReach, type TargetOs } from '../artifacts/reach.ts';

const OSES: readonly TargetOs[] = ['linux', 'darwin', 'windows'];

export async function reach(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...ENGINE_OPTIONS, ...REMAP_OPTIONS, os: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const remap = await remapFlag(values);
  const flags = engineFlags(values);
  const engine = createEngine({ ...flags, definitions: [...flags.definitions, ...positionals] }, () => {});
  // Under a remapping: its accessor table, its disabled callees as present (they give nothing),
  // and the OS it impersonates.
  const mocks = await remapSession(remap, engine.registry);
  const state = mocks && remapStateOf(mocks);
  let accessors: ReadonlySet<string> | undefined;
  if (mocks && state) {
    accessors = new Set(state.accessors.keys());
    for (const f of mocks.functions.values()) if (!engine.registry.functions.has(f.name)) engine.registry.registerFunction(f);
    for (const p of mocks.plugins.values()) if (!engine.registry.plugins.has(p.name)) engine.registry.registerPlugin(p);
  }
  const impersonated = OSES.find((o) => o === state?.impersonation?.os?.toLowerCase());
  const os = (values.os ?? impersonated ?? hostOs()) as TargetOs;
  if (!OSES.includes(os)) fail(`--os must be one of ${OSES.join(', ')}, not '${values.os}'`);
  const all = artifactsReach(engine.repository(), engine.registry, os, accessors);
  const summary = summarizeReach(all, os);
  if (values.json) {
    process.stdout.write(JSON.stringify({ os, artifacts: all, summary }, null, 1) + '\n');
    return 0;
  }
  const width = Math.min(60, Math.max(...all.map((r) => r.name.length), 10));
  for (const r of all) {
    const verdict = !r.os.includes(os) ? `not for ${os} (for ${r.os.join(', ')})` : r.runs ? 'runs here' : `needs ${r.missing.join(', ')}`;
    process.stdout.write(`${r.name.padEnd(width)}  ${verdict}\n`);
  }
  process.stdout.write(`\n${summary.runnable} of ${summary.clientArtifacts} client artifacts can run on ${os}\n`);
  if (summary.ranked.length) {
    process.stdout.write('missing, by how many of those artifacts need it:\n');
    for (const m of summary.ranked) process.stdout.write(`  ${m.name.padEnd(40)} ${m.artifacts}\n`);
  }
  return 0;
}
