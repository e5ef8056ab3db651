/**
 * Importing a pack zip into a folder of artifacts (the reverse of pack.ts). The zip is read
 * within limits (pack-zip.ts: unsafe names and bombs refuse the whole zip); every YAML entry
 * is loaded and validated like any artifact file, and problems are listed per entry. A name
 * of a built-in artifact is refused. All entries are checked before anything is written, and
 * each file is written whole (a temporary file renamed into place), so an import never
 * leaves a half-written artifact behind. Files are named after the artifact (`Name.yaml`),
 * as the editor saves them; an artifact already in the folder is replaced in its own file.
 * The work is a generator of steps (one zip entry, one artifact's parse): `importPack` runs it
 * straight through (the CLI), `importPackSliced` gives the event loop back between steps (the
 * app's main process), so no import holds it for more than one artifact file's parse.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { formatProblem, loadArtifactText, type LoadedArtifact } from './loader.ts';
import { DEFAULT_ZIP_LIMITS, PackZipError, readPackZipSteps, type ZipLimits } from './pack-zip.ts';
import { runSteps, runStepsSliced, type Steps } from './steps.ts';

export interface ImportOptions {
  /** The folder to write into (created if missing). */
  readonly dir: string;
  /** Looks up an artifact already known (built-ins are refused, the folder's own are replaced). */
  readonly lookup: (name: string) => LoadedArtifact | undefined;
  readonly limits?: ZipLimits;
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
  readonly problems: Array<{ file: string; message: string }>;
  /** Non-YAML entries, ignored as Velociraptor ignores them. */
  readonly ignored: string[];
}

/** True when `file` is inside `dir`. */
function inside(dir: string, file: string): boolean {
  const rel = relative(resolve(dir), resolve(file));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Imports the artifacts of `zip` into `opts.dir`. Never throws for a bad zip: problems say why. */
export function importPack(zip: Uint8Array, opts: ImportOptions, zipName = 'pack.zip'): ImportResult {
  return runSteps(importSteps(zip, opts, zipName));
}

/** importPack, letting the event loop run between steps (at most one artifact parse at a time). */
export function importPackSliced(zip: Uint8Array, opts: ImportOptions, zipName = 'pack.zip', sliceMs?: number): Promise<ImportResult> {
  return runStepsSliced(importSteps(zip, opts, zipName), sliceMs);
}

function* importSteps(zip: Uint8Array, opts: ImportOptions, zipName: string): Steps<ImportResult> {
  let read;
  try {
    read = yield* readPackZipSteps(zip, opts.limits ?? DEFAULT_ZIP_LIMITS);
  } catch (e) {
    if (!(e instanceof PackZipError)) throw e;
    return { imported: [], problems: [{ file: zipName, message: `${e.message} (nothing was imported)` }], ignored: [] };
  }
  const problems = [...read.problems];
  if (read.entries.length === 0 && problems.length === 0) {
    problems.push({ file: zipName, message: 'the zip holds no .yaml or .yml file: there is nothing to import (a pack holds one artifact per YAML file)' });
  }
  const ready: Array<{ entry: string; text: string; name: string; file: string; replaced: boolean }> = [];
  for (const { path, text } of read.entries) {
    yield;
    const r = loadArtifactText(text, path);
    const errors = r.problems.filter((p) => p.severity === 'error');
    if (!r.loaded || errors.length) {
      for (const p of errors.length ? errors : r.problems) problems.push({ file: path, message: formatProblem(p) });
      continue;
    }
    const name = r.loaded.artifact.name;
    const existing = opts.lookup(name);
    if (existing?.builtIn) {
      problems.push({ file: path, message: `${name} is a built-in artifact of the workbench and is not replaced: rename it (e.g. Custom.${name}) and import again` });
      continue;
    }
    if (ready.some((x) => x.name === name)) {
      problems.push({ file: path, message: `${name} is also defined by ${ready.find((x) => x.name === name)!.entry}: only the first is imported` });
      continue;
    }
    const own = existing && inside(opts.dir, existing.file) ? existing.file : undefined;
    ready.push({ entry: path, text, name, file: own ?? join(opts.dir, `${name}.yaml`), replaced: own !== undefined });
  }
  // Nothing to write: the folder is not even created.
  if (ready.length) mkdirSync(opts.dir, { recursive: true });
  const imported: ImportedArtifact[] = [];
  for (const x of ready) {
    yield;
    const tmp = `${x.file}.${process.pid}.tmp`;
    writeFileSync(tmp, x.text);
    renameSync(tmp, x.file);
    imported.push({ name: x.name, file: x.file, entry: x.entry, replaced: x.replaced });
  }
  return { imported, problems, ignored: read.ignored };
}
