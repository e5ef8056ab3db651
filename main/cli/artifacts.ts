/**
 * `vql artifacts list|show|collect|verify` (VELOCIRAPTOR.md 2.4), with `--definitions DIR`
 * on every command; `pack` and `import` (Velociraptor artifact packs) live in pack.ts.
 */
import { parseArgs } from 'node:util';
import { didYouMean, type Logger, type Mocks, type Registry, type Value } from '../vql/index.ts';
import { artifactFiles, cliArgValue, formatProblem, loadArtifactFile, runArtifact, ArtifactCallError, type LoadedArtifact, type Repository } from '../artifacts/index.ts';
import { RunContext, type Emit } from './run-context.ts';
import { compileRegex, type Regex } from '../vql/regex/engine.ts';
import { ENGINE_OPTIONS, OUTPUT_OPTIONS, REMAP_OPTIONS, engineFlags, fail, outputFlags, remapFlag, remapSession } from './flags.ts';
import { createEngine } from './engine.ts';
import { lintArtifact } from './lint.ts';
import { ContainerRun, collectedArtifacts } from './collection.ts';
import { FolderRun, isContainerOutput } from './run-folders.ts';
import { attachRunFiles, finishRun } from '../host/collect/index.ts';
import type { VDict } from '../vql/index.ts';


/**
 * `list`'s pattern: `*` is `.*`, anchored, case-sensitive (prefix `(?i)` to ignore case). RE2, as
 * every VQL regex (main/vql/regex/engine.ts): no pattern can backtrack for long.
 */
export function listPattern(text: string): Regex {
  try {
    return compileRegex(`^(?:${text.replace(/\*/g, '.*')})$`, false);
  } catch (e) {
    fail(`invalid pattern '${text}': ${(e as Error).message}`);
  }
}

function list(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...ENGINE_OPTIONS, details: { type: 'boolean', short: 'd', default: false } } });
  const engine = createEngine(engineFlags(values));
  const re = positionals[0] ? listPattern(positionals[0]) : null;
  const repo = engine.repository();
  for (const name of repo.names()) {
    if (re && !re.test(name)) continue;
    process.stdout.write(values.details ? `${repo.get(name)!.raw.trimEnd()}\n---\n` : `${name}\n`);
  }
  return 0;
}

function show(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...ENGINE_OPTIONS } });
  if (positionals.length !== 1) fail('artifacts show takes one artifact name');
  const repo = createEngine(engineFlags(values)).repository();
  const a = repo.get(positionals[0]!);
  if (!a) {
    process.stderr.write(`vql: error: Artifact ${positionals[0]} not found${didYouMean(positionals[0]!, repo.names())}\n`);
    return 1;
  }
  process.stdout.write(a.raw.endsWith('\n') ? a.raw : a.raw + '\n');
  return 0;
}

/** Splits `--args` into per-artifact values; unknown names are errors listing the parameters. */
function collectArgs(raw: string[], artifacts: LoadedArtifact[]): Map<string, Map<string, Value>> {
  const out = new Map(artifacts.map((a) => [a.artifact.name, new Map<string, Value>()]));
  for (const kv of raw) {
    const eq = kv.indexOf('=');
    let key = eq < 0 ? kv : kv.slice(0, eq);
    const text = eq < 0 ? 'Y' : kv.slice(eq + 1);
    let targets = artifacts;
    const sep = key.indexOf('::');
    if (sep >= 0) {
      const target = key.slice(0, sep);
      key = key.slice(sep + 2);
      targets = artifacts.filter((a) => a.artifact.name === target);
      if (!targets.length) fail(`--args ${kv}: ${target} is not one of the artifacts being collected`);
    }
    const takers = targets.filter((a) => (a.artifact.parameters ?? []).some((p) => p.name === key));
    if (!takers.length) {
      const lines = targets.map((a) => `  ${a.artifact.name}: ${(a.artifact.parameters ?? []).map((p) => `${p.name}${p.type ? ` (${p.type})` : ''}`).join(', ') || 'no parameters'}`);
      fail(`Parameter ${key} not known for artifact ${targets.map((a) => a.artifact.name).join(', ')}. Parameters:\n${lines.join('\n')}`);
    }
    for (const a of takers) {
      const p = a.artifact.parameters!.find((x) => x.name === key)!;
      out.get(a.artifact.name)!.set(key, cliArgValue(p, text));
    }
  }
  return out;
}

/**
 * Runs the artifacts one after another, each result stream through `emit`; a wrong call (an
 * unknown parameter, a bad value, nesting too deep) is an ERROR line and the next one runs.
 * We are the endpoint here, so preconditions are evaluated, as a client does for a flow, unless
 * `ignorePreconditions` (`--ignore-preconditions`: a Windows artifact over evidence copied to
 * this machine). `mocks` applies `--remap` (main/host/remap) to every artifact. The same loop
 * runs on this thread and on a worker (isolated.ts).
 */
export async function collectAll(repo: Repository, registry: Registry, loaded: readonly LoadedArtifact[], given: ReadonlyMap<string, ReadonlyMap<string, Value>>, signal: AbortSignal, log: Logger, emit: Emit, sessionId?: string, ignorePreconditions = false, mocks?: Mocks): Promise<void> {
  for (const a of loaded) {
    // One collection is one flow: its artifacts see its flow id as _SessionId (a container's session_id).
    const stream = runArtifact(repo, a, given.get(a.artifact.name) ?? new Map(), { registry, log, signal, preconditions: !ignorePreconditions, ...(sessionId ? { sessionId } : {}), ...(mocks ? { mocks } : {}) });
    try {
      await emit(stream as AsyncIterable<VDict[]>, a.artifact.name);
    } catch (e) {
      if (!(e instanceof ArtifactCallError)) throw e;
      log('error', e.message);
    }
    if (signal.aborted) break;
  }
}

async function collect(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...OUTPUT_OPTIONS, ...ENGINE_OPTIONS, ...REMAP_OPTIONS, args: { type: 'string', multiple: true, default: [] }, 'ignore-preconditions': { type: 'boolean', default: false } },
  });
  const ignorePreconditions = values['ignore-preconditions'] === true;
  const out = outputFlags(values);
  if (!positionals.length) fail('artifacts collect: name at least one artifact, e.g. vql artifacts collect Generic.Client.Info');
  // `--output x.zip`: a collection container (rows, log and uploads); else uploads go to a folder.
  const zip = isContainerOutput(out.output) ? out.output : undefined;
  const flags = engineFlags(values);
  flags.remap = await remapFlag(values);
  const engine = createEngine(flags);
  const repo = engine.repository();
  const loaded = positionals.map((n) => repo.get(n) ?? fail(`Artifact ${n} not found${didYouMean(n, repo.names())}`));
  const given = collectArgs(values.args as string[], loaded);
  // --remap: checked against the engine before anything runs; its lines are logged below.
  const remapLines: string[] = [];
  const mocks = await remapSession(flags.remap, engine.registry, (m) => remapLines.push(m));
  const files = zip ? new ContainerRun(zip, collectedArtifacts(repo, loaded, given)) : new FolderRun();
  attachRunFiles(engine.registry, files.files);
  const run = new RunContext(zip ? { ...out, output: undefined } : out);
  const log = files instanceof ContainerRun ? files.logger(run) : run.log;
  const emit: Emit = files instanceof ContainerRun ? files.emitter(run) : (stream, caption) => run.emit(stream, caption);
  const sessionId = files instanceof ContainerRun ? files.sessionId : undefined;
  let status = 0;
  try {
    // With --timeout the artifacts run on a worker thread that is terminated at the deadline.
    const isolated = out.timeout > 0 ? await import('./isolated.ts') : null;
    const thread = isolated?.threadFor(run);
    if (thread) {
      const job = { kind: 'artifacts' as const, names: loaded.map((a) => a.artifact.name), args: [...given].map(([n, m]) => [n, [...m].map(([k, v]) => [k, String(v)])] as [string, Array<[string, string]>]), ...(sessionId ? { sessionId } : {}), ...(ignorePreconditions ? { ignorePreconditions } : {}) };
      status = await isolated!.runIsolated(run, thread, job, { ...flags, files: files.files }, { emit, log });
    } else {
      for (const m of remapLines) log('info', m);
      await collectAll(repo, engine.registry, loaded, given, run.signal, log, emit, sessionId, ignorePreconditions, mocks);
      await finishRun(engine.registry);
    }
  } finally {
    if (files instanceof ContainerRun) await files.finish(run, engine.registry);
    else files.finish(run.log);
    status = run.close(status);
  }
  return status;
}

function verify(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...ENGINE_OPTIONS, strict: { type: 'boolean', default: false } } });
  if (!positionals.length) fail('artifacts verify: give files or folders to verify');
  const flags = engineFlags(values);
  // The verified files join the repository (imports and Artifact.X calls resolve against
  // them); loading problems are reported per file below, not as repository warnings.
  const engine = createEngine({ ...flags, definitions: [...flags.definitions, ...positionals] }, () => {});
  const repo = engine.repository;
  let passed = 0;
  let failed = 0;
  for (const path of positionals) {
    let files: string[];
    try {
      files = artifactFiles(path);
    } catch (e) {
      process.stdout.write(`${path}:1:1: error: ${(e as Error).message}\n`);
      failed++;
      continue;
    }
    for (const f of files) {
      const r = loadArtifactFile(f);
      const problems = [...r.problems];
      if (r.loaded) problems.push(...lintArtifact(r.loaded, engine.registry, repo()));
      for (const p of problems) process.stdout.write(formatProblem(p) + '\n');
      const bad = !r.loaded || problems.some((p) => p.severity === 'error' || (values.strict && p.severity === 'warning'));
      if (bad) failed++;
      else passed++;
      process.stdout.write(`Verified ${f}: ${bad ? 'FAILED' : 'OK'}\n`);
    }
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed ? 1 : 0;
}

export async function artifacts(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list':
      return list(rest);
    case 'show':
      return show(rest);
    case 'collect':
      return collect(rest);
    case 'verify':
      return verify(rest);
    case 'pack':
      return (await import('./pack.ts')).pack(rest);
    case 'import':
      return (await import('./pack.ts')).importZip(rest);
    case 'reach':
      return (await import('./reach.ts')).reach(rest);
    default:
      fail(sub ? `unknown artifacts command '${sub}'` : 'artifacts: give a command: list, show, collect, verify, reach, pack or import');
  }
}
