/**
 * `vql artifacts pack NAME... --output FILE.zip [--prefix P]` and `vql artifacts import
 * FILE.zip [--to DIR] [--dry-run]`: Velociraptor artifact packs (VELOCIRAPTOR.md 6). The pack's
 * server configuration (event artifacts) is written next to the zip as FILE.server.yaml, so it
 * travels with the pack; stdout says what was written (`imported`, `replaced`, `unchanged`),
 * stderr lists warnings and refusals. `--dry-run` says what an import would add and replace,
 * with a diff of each replaced file, and writes nothing.
 * Exit status 1 when any artifact was refused (the others are still packed or imported).
 */
import { parseArgs } from 'node:util';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Repository, formatProblem } from '../artifacts/index.ts';
import { buildPack, registryNames, PackError } from '../artifacts/pack.ts';
import { formatImportProblem, planPack, writePlan } from '../artifacts/pack-import.ts';
import { formatDiff, lineDiff } from '../artifacts/line-diff.ts';
import { DEFAULT_ZIP_LIMITS } from '../artifacts/pack-zip.ts';
import { formatSize } from '../artifacts/size-limit.ts';
import { defaultDatastore } from '../collector/paths.ts';
import { createEngine } from './engine.ts';
import { ENGINE_OPTIONS, engineFlags, fail } from './flags.ts';

/** FILE.zip -> FILE.server.yaml (any other name gets `.server.yaml` appended). */
export function serverConfigPath(zipPath: string): string {
  return zipPath.replace(/\.zip$/i, '') + '.server.yaml';
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `vql artifacts pack`. */
export function pack(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...ENGINE_OPTIONS, output: { type: 'string', short: 'o' }, prefix: { type: 'string', default: '' } },
  });
  if (!positionals.length) fail('artifacts pack: name the artifacts to pack, e.g. vql artifacts pack Custom.My.Artifact --output pack.zip');
  const output = values.output;
  if (!output) fail('artifacts pack: --output FILE.zip is required');
  const engine = createEngine(engineFlags(values));
  let result;
  try {
    result = buildPack(engine.repository(), { names: positionals, prefix: values.prefix, host: registryNames(engine.registry) });
  } catch (e) {
    if (e instanceof PackError) fail(e.message);
    throw e;
  }
  for (const w of result.warnings) process.stderr.write(`WARNING: ${formatProblem(w)}\n`);
  for (const r of result.refused) {
    process.stderr.write(`ERROR: ${r.name} is not packed:\n`);
    for (const p of r.problems) process.stderr.write(`  ${formatProblem(p)}\n`);
  }
  if (!result.zip) {
    process.stderr.write(`ERROR: nothing to pack: ${output} was not written\n`);
    return 1;
  }
  writeFileSync(output, result.zip);
  process.stdout.write(`wrote ${output}: ${plural(result.entries.length, 'artifact')}\n`);
  for (const e of result.entries) process.stdout.write(`  ${e.name}\t${e.path}\n`);
  if (result.serverConfig) {
    const cfg = serverConfigPath(output);
    writeFileSync(cfg, result.serverConfig);
    const events = result.entries.filter((e) => e.artifact.type === 'client_event' || e.artifact.type === 'server_event').length;
    process.stdout.write(`wrote ${cfg}: server configuration for ${plural(events, 'event artifact')}\n`);
  }
  return result.refused.length ? 1 : 0;
}

/** `vql artifacts import`. */
export function importZip(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...ENGINE_OPTIONS, to: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) fail('artifacts import takes one pack zip, e.g. vql artifacts import pack.zip');
  const zipPath = positionals[0]!;
  const to = values.to ?? join(defaultDatastore(), 'artifacts');
  let zip: Uint8Array;
  let size = 0;
  try {
    size = statSync(zipPath).size;
  } catch (e) {
    fail(`cannot read ${zipPath}: ${(e as Error).message}`);
  }
  // Sized before it is read: a huge file is refused without loading it.
  const max = DEFAULT_ZIP_LIMITS.maxZipBytes;
  if (size > max) {
    process.stderr.write(`ERROR: ${zipPath} is ${formatSize(size)}, more than the ${formatSize(max)} a pack zip may be: nothing was imported\n`);
    return 1;
  }
  try {
    zip = readFileSync(zipPath);
  } catch (e) {
    fail(`cannot read ${zipPath}: ${(e as Error).message}`);
  }
  const flags = engineFlags(values);
  // The target folder joins the repository so an artifact already there is replaced in place.
  const repo = new Repository({ definitions: [...flags.definitions, ...(existsSync(to) ? [to] : [])] });
  const plan = planPack(zip, { dir: to, lookup: (n) => repo.get(n) }, zipPath);
  for (const p of plan.problems) process.stderr.write(`ERROR: ${formatImportProblem(p)}\n`);
  if (values['dry-run']) {
    for (const a of plan.add) process.stdout.write(`would import ${a.name}\t${a.file}\n`);
    for (const a of plan.replace) {
      const d = lineDiff(a.oldText ?? '', a.text);
      process.stdout.write(`would replace ${a.name}\t${a.file} (-${d.removed} +${d.added} lines)\n`);
      process.stdout.write(formatDiff(d, a.file, `${zipPath}:${a.entry}`));
    }
    for (const a of plan.same) process.stdout.write(`unchanged ${a.name}\t${a.file}\n`);
    process.stdout.write(`dry run: ${plural(plan.add.length, 'artifact')} to add, ${plan.replace.length} to replace, ${plan.same.length} unchanged, ${plural(plan.problems.length, 'problem')}; nothing was written\n`);
    return plan.problems.length ? 1 : 0;
  }
  const result = writePlan(plan, to, plan.replace.map((a) => a.name));
  for (const a of result.imported) process.stdout.write(`${a.replaced ? 'replaced' : 'imported'} ${a.name}\t${a.file}\n`);
  for (const a of plan.same) process.stdout.write(`unchanged ${a.name}\t${a.file} (the same text)\n`);
  if (result.ignored.length) process.stdout.write(`ignored ${result.ignored.length} zip ${result.ignored.length === 1 ? 'entry that is' : 'entries that are'} not YAML\n`);
  process.stdout.write(`${plural(result.imported.length, 'artifact')} imported into ${to}, ${plural(result.problems.length, 'problem')}\n`);
  return result.problems.length ? 1 : 0;
}
