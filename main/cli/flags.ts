/**
 * Flags shared by the commands: output (`--format`, `--max_wait`, `--timeout`, `--output`)
 * and engine (`--definitions`, `--allow-execve`, `--env`, `--tools`, `--tool`, `--filestore`), parsed with
 * node:util parseArgs.
 */
import { UsageError } from './run-context.ts';
import { FORMATS, type OutputFormat } from './output.ts';
import type { RunFiles } from '../host/collect/run-files.ts';
import { readFileSync, statSync } from 'node:fs';
import type { Mocks, Registry } from '../vql/index.ts';
import { resolve } from 'node:path';
import { datastoreTools, parseToolFlags, type ToolsConfig } from '../artifacts/tools.ts';

export function fail(message: string): never {
  throw new UsageError(message);
}

export const OUTPUT_OPTIONS = {
  format: { type: 'string', default: 'json' },
  max_wait: { type: 'string', default: '10' },
  timeout: { type: 'string', default: '0' },
  output: { type: 'string' },
  'neutralize-formulas': { type: 'boolean', default: false },
} as const;

export const ENGINE_OPTIONS = {
  definitions: { type: 'string', multiple: true, default: [] as string[] },
  'allow-execve': { type: 'boolean', default: false },
  env: { type: 'string', multiple: true, default: [] as string[] },
  tools: { type: 'string' },
  tool: { type: 'string', multiple: true, default: [] as string[] },
  filestore: { type: 'string' },
} as const;

/**
 * `--remap FILE` (query, artifacts collect): run against evidence (main/host/remap);
 * `--evidence PATH`: the same with the config `vql deaddisk PATH` writes (main/evidence).
 */
export const REMAP_OPTIONS = {
  remap: { type: 'string' },
  evidence: { type: 'string' },
} as const;

export interface OutputFlags {
  format: OutputFormat;
  maxWait: number;
  timeout: number;
  output?: string;
  /** CSV for a spreadsheet: text cells starting with = + - @ tab or CR get a leading `'`. */
  neutralizeFormulas: boolean;
}

export interface EngineFlags {
  definitions: string[];
  allowExecve: boolean;
  env: Record<string, string>;
  /** Where the run's uploads and temp files go (main/cli/collection.ts sets it). */
  files?: RunFiles;
  /** `--tools DIR` and `--tool NAME=PATH` (main/artifacts/tools.ts); absent: `<datastore>/tools`. */
  tools?: ToolsConfig;
  /** `--remap FILE`: the remapping config's file and text (checked by remapFlag()). */
  remap?: RemapFlag;
}

export interface RemapFlag {
  readonly file: string;
  readonly text: string;
}

/**
 * `--remap FILE`: reads and checks the remapping config (YAML errors, unknown types and keys,
 * bad path types); its accessors are checked against the engine by remapSession().
 */
export async function remapFlag(values: Record<string, unknown>): Promise<RemapFlag | undefined> {
  const file = values.remap as string | undefined;
  const evidence = values.evidence as string | undefined;
  if (evidence !== undefined) {
    if (file !== undefined) fail('give --remap FILE or --evidence PATH, not both');
    return { file: `(--evidence ${evidence})`, text: (await evidenceRemap(evidence)).yaml };
  }
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    fail(`--remap ${file}: cannot read the remapping config: ${(e as Error).message}`);
  }
  const { RemapError, parseRemapConfig } = await import('../host/remap/config.ts');
  try {
    parseRemapConfig(text, file);
  } catch (e) {
    if (e instanceof RemapError) fail(`--remap ${e.message}`);
    throw e;
  }
  return { file, text };
}

/** The remapping for evidence at `path` (vql deaddisk, --evidence); a usage error when none fits. */
export async function evidenceRemap(path: string, hostname?: string, flag = '--evidence'): Promise<import('../evidence/deaddisk.ts').EvidenceRemap> {
  const { EvidenceError, remapForEvidence } = await import('../evidence/deaddisk.ts');
  const { createHostRegistry } = await import('../host/index.ts');
  try {
    return await remapForEvidence(createHostRegistry(), resolve(path), hostname);
  } catch (e) {
    if (e instanceof EvidenceError) fail(`${flag} ${e.message}`.trim());
    throw e;
  }
}

/**
 * The session mocks that apply `--remap` (an empty accessor table plus the config's), or
 * undefined without one. A config naming an unknown accessor is a usage error, before
 * anything runs. `log` gets the "remap: Mounting ..." lines.
 */
export async function remapSession(remap: RemapFlag | undefined, registry: Registry, log?: (message: string) => void): Promise<Mocks | undefined> {
  if (!remap) return undefined;
  const { RemapError, parseRemapConfig, remapMocks } = await import('../host/remap/index.ts');
  try {
    return remapMocks(registry, parseRemapConfig(remap.text, remap.file), log);
  } catch (e) {
    if (e instanceof RemapError) fail(`--remap ${e.message}`);
    throw e;
  }
}

/** Validates the output flags. */
export function outputFlags(values: Record<string, unknown>): OutputFlags {
  const format = values.format as OutputFormat;
  if (!FORMATS.includes(format)) fail(`--format must be one of ${FORMATS.join(', ')}, not '${String(values.format)}'`);
  const maxWait = Number(values.max_wait);
  if (!(maxWait > 0 && Number.isFinite(maxWait))) fail(`--max_wait must be a positive number of seconds, not '${String(values.max_wait)}'`);
  const timeout = Number(values.timeout);
  if (!(timeout >= 0 && Number.isFinite(timeout))) fail(`--timeout must be a number of seconds, not '${String(values.timeout)}'`);
  const neutralizeFormulas = values['neutralize-formulas'] === true;
  if (neutralizeFormulas && format !== 'csv') fail(`--neutralize-formulas applies to --format csv (CSV meant for a spreadsheet), not ${format}`);
  return { format, maxWait, timeout, output: values.output as string | undefined, neutralizeFormulas };
}

/** Validates the engine flags. */
export function engineFlags(values: Record<string, unknown>): EngineFlags {
  const env: Record<string, string> = {};
  for (const kv of (values.env as string[] | undefined) ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) fail(`--env takes KEY=VALUE, not '${kv}'`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const flags: EngineFlags = { definitions: (values.definitions as string[] | undefined) ?? [], allowExecve: values['allow-execve'] === true, env };
  const filestore = values.filestore as string | undefined;
  if (filestore !== undefined) {
    // The fs accessors read $VQL_FILESTORE (host/collect/fs-accessor.ts); worker threads and
    // the sessions of this run inherit it.
    const dir = resolve(filestore);
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) fail(`--filestore ${filestore}: not a folder (give a Velociraptor server's datastore folder, or a copy of one)`);
    process.env.VQL_FILESTORE = dir;
  }
  const toolFiles = (values.tool as string[] | undefined) ?? [];
  if (values.tools !== undefined || toolFiles.length) flags.tools = toolsFlags(values.tools as string | undefined, toolFiles);
  return flags;
}

/** `--tools DIR` (must be a folder) and `--tool NAME=PATH` (must be files); the folder defaults to `<datastore>/tools`. */
function toolsFlags(dir: string | undefined, tool: string[]): ToolsConfig {
  if (dir !== undefined && !statSync(dir, { throwIfNoEntry: false })?.isDirectory()) fail(`--tools ${dir}: not a folder (it holds one file per tool, named after the tool)`);
  try {
    return { dir: dir === undefined ? datastoreTools().dir : resolve(dir), files: parseToolFlags(tool) };
  } catch (e) {
    fail((e as Error).message);
  }
}
