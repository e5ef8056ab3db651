/**
 * Importing a pack zip into a folder of artifacts (the reverse of pack.ts). The zip is read
 * within limits (pack-zip.ts: unsafe names and bombs refuse the whole zip); every YAML entry
 * is loaded and validated like any artifact file, and problems are listed per entry. A name
 * of a built-in artifact is refused. All entries are checked before anything is written, and
 * each file is written whole (a temporary file renamed into place), so an import never
 * leaves a half-written artifact behind. Files are named after the artifact (`Name.yaml`),
 * as the editor saves them; an artifact already in the folder is replaced in its own file.
 *
 * Nothing is replaced without being asked for: `planPack` reads and checks the zip and says
 * what would be added, replaced (with the old text, for a diff), left as it is (the same text)
 * or refused, writing nothing; `writePlan` then writes the additions and only the replacements
 * named in `replace`. `importPack` (the CLI, which prints `replaced`) replaces everything.
 * The work is a generator of steps (one zip entry, one artifact's parse): the plain functions
 * run it straight through (the CLI), the `Sliced` ones give the event loop back between steps
 * (the app's main process), so no import holds it for more than one artifact file's parse.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { loadArtifactText, type LoadedArtifact } from './loader.ts';
import { DEFAULT_ZIP_LIMITS, PackZipError, readPackZipSteps, type ZipLimits } from './pack-zip.ts';
import { runSteps, runStepsSliced, type Steps } from './steps.ts';

export interface ImportOptions {
  /** The folder to write into (created if missing). */
  readonly dir: string;
  /** Looks up an artifact already known (built-ins are refused, the folder's own are replaced). */
  readonly lookup: (name: string) => LoadedArtifact | undefined;
  readonly limits?: ZipLimits;
}

/** One artifact of a pack as the plan found it. */
export interface PlannedArtifact {
  readonly name: string;
  /** Its type as loaded (`client`, `client_event`...). */
  readonly type: string;
  /** The zip entry it comes from. */
  readonly entry: string;
  /** The file it would be written to. */
  readonly file: string;
  /** Its YAML, as in the zip. */
  readonly text: string;
  /** The text of the artifact it would replace (replacements only). */
  readonly oldText?: string;
}

/** What an import would do, before anything is written. */
export interface ImportPlan {
  /** New names. */
  readonly add: PlannedArtifact[];
  /** Names the folder already has, with a different text. */
  readonly replace: PlannedArtifact[];
  /** Names the folder already has with exactly this text: nothing to write. */
  readonly same: PlannedArtifact[];
  /** Refused entries and zip problems (`file` is the entry, or the zip); `line`/`column` when the problem has a place in it. */
  readonly problems: ImportProblem[];
  /** Non-YAML entries, ignored as Velociraptor ignores them. */
  readonly ignored: string[];
}

/** A problem of a zip entry: the message says what, `line`/`column` where in the entry (when known). */
export interface ImportProblem {
  readonly file: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

/** `entry:line:column: message` (or `entry: message`), the path said once. */
export function formatImportProblem(p: ImportProblem): string {
  return `${p.file}${p.line !== undefined ? `:${p.line}:${p.column ?? 1}` : ''}: ${p.message}`;
}

export interface ImportedArtifact {
  readonly name: string;
  /** The file written. */
  readonly file: string;
  /** The zip entry it came from. */
  readonly entry: string;
  /** True when it replaced an artifact of the same name in the folder. */
  readonly replaced: boolean;
}

export interface ImportResult {
  readonly imported: ImportedArtifact[];
  /** Per zip entry (`file`); the whole zip when it was refused (`file` is the zip). */
  readonly problems: ImportProblem[];
  /** Non-YAML entries, ignored as Velociraptor ignores them. */
  readonly ignored: string[];
}

/** True when `file` is inside `dir`. */
function inside(dir: string, file: string): boolean {
  const rel = relative(resolve(dir), resolve(file));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** What importing `zip` into `opts.dir` would do; writes nothing. Never throws for a bad zip. */
export function planPack(zip: Uint8Array, opts: ImportOptions, zipName = 'pack.zip'): ImportPlan {
  return runSteps(planSteps(zip, opts, zipName));
}

/** planPack, letting the event loop run between steps. */
export function planPackSliced(zip: Uint8Array, opts: ImportOptions, zipName = 'pack.zip', sliceMs?: number): Promise<ImportPlan> {
  return runStepsSliced(planSteps(zip, opts, zipName), sliceMs);
}

/** Imports the artifacts of `zip` into `opts.dir`, replacing what it has of the same names (the CLI). Never throws for a bad zip: problems say why. */
export function importPack(zip: Uint8Array, opts: ImportOptions, zipName = 'pack.zip'): ImportResult {
  return runSteps(importSteps(zip, opts, zipName));
}

/** importPack, letting the event loop run between steps (at most one artifact parse at a time). */
export function importPackSliced(zip: Uint8Array, opts: ImportOptions, zipName = 'pack.zip', sliceMs?: number): Promise<ImportResult> {
  return runStepsSliced(importSteps(zip, opts, zipName), sliceMs);
}

function* importSteps(zip: Uint8Array, opts: ImportOptions, zipName: string): Steps<ImportResult> {
  const plan = yield* planSteps(zip, opts, zipName);
  return yield* writeSteps(plan, opts.dir, plan.replace.map((r) => r.name));
}

/**
 * Writes a plan: every addition, and the replacements whose names are in `replace` (the others
 * are kept and listed in `kept`). The folder is created only when something is written.
 */
export function writePlan(plan: ImportPlan, dir: string, replace: readonly string[]): ImportResult & { kept: string[] } {
  return runSteps(writeSteps(plan, dir, replace));
}

/** writePlan, letting the event loop run between files. */
export function writePlanSliced(plan: ImportPlan, dir: string, replace: readonly string[], sliceMs?: number): Promise<ImportResult & { kept: string[] }> {
  return runStepsSliced(writeSteps(plan, dir, replace), sliceMs);
}

function* writeSteps(plan: ImportPlan, dir: string, replace: readonly string[]): Steps<ImportResult & { kept: string[] }> {
  const wanted = new Set(replace);
  const ready = [...plan.add, ...plan.replace.filter((r) => wanted.has(r.name))];
  const kept = plan.replace.filter((r) => !wanted.has(r.name)).map((r) => r.name);
  // Nothing to write: the folder is not even created.
  if (ready.length) mkdirSync(dir, { recursive: true });
  const imported: ImportedArtifact[] = [];
  for (const x of ready) {
    yield;
    const tmp = `${x.file}.${process.pid}.tmp`;
    writeFileSync(tmp, x.text);
    renameSync(tmp, x.file);
    imported.push({ name: x.name, file: x.file, entry: x.entry, replaced: x.oldText !== undefined });
  }
  return { imported, problems: plan.problems, ignored: plan.ignored, kept };
}

function* planSteps(zip: Uint8Array, opts: ImportOptions, zipName: string): Steps<ImportPlan> {
  let read;
  try {
    read = yield* readPackZipSteps(zip, opts.limits ?? DEFAULT_ZIP_LIMITS);
  } catch (e) {
    if (!(e instanceof PackZipError)) throw e;
    return { add: [], replace: [], same: [], problems: [{ file: zipName, message: `${e.message} (nothing was imported)` }], ignored: [] };
  }
  const problems: ImportProblem[] = [...read.problems];
  if (read.entries.length === 0 && problems.length === 0) {
    problems.push({ file: zipName, message: 'the zip holds no .yaml or .yml file: there is nothing to import (a pack holds one artifact per YAML file)' });
  }
  const plan = { add: [] as PlannedArtifact[], replace: [] as PlannedArtifact[], same: [] as PlannedArtifact[] };
  const seen = new Map<string, string>();
  for (const { path, text } of read.entries) {
    yield;
    const r = loadArtifactText(text, path);
    const errors = r.problems.filter((p) => p.severity === 'error');
    if (!r.loaded || errors.length) {
      // The entry's path is the problem's `file`: the message does not say it again.
      for (const p of errors.length ? errors : r.problems) problems.push({ file: path, line: p.line, column: p.column, message: `${p.severity}: ${p.message}` });
      continue;
    }
    const name = r.loaded.artifact.name;
    const existing = opts.lookup(name);
    if (existing?.builtIn) {
      problems.push({ file: path, message: `${name} is a built-in artifact of the workbench and is not replaced: rename it (e.g. Custom.${name}) and import again` });
      continue;
    }
    if (seen.has(name)) {
      problems.push({ file: path, message: `${name} is also defined by ${seen.get(name)}: only the first is imported` });
      continue;
    }
    seen.set(name, path);
    const own = existing && inside(opts.dir, existing.file) ? existing : undefined;
    const planned = { name, type: r.loaded.artifact.type, entry: path, file: own?.file ?? join(opts.dir, `${name}.yaml`), text };
    if (!own) plan.add.push(planned);
    else if (own.raw === text) plan.same.push(planned);
    else plan.replace.push({ ...planned, oldText: own.raw });
  }
  return { ...plan, problems, ignored: read.ignored };
}
