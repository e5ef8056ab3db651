/**
 * Exporting artifacts as a Velociraptor artifact pack (VELOCIRAPTOR.md 6.1, 6.4): a zip with
 * one YAML file per artifact, at `Prefix/Name/Parts.yaml`, that a server's "Upload Artifact
 * Pack" accepts. An optional prefix (`Custom.`) is applied to each chosen artifact's name and
 * aliases and to the `Artifact.X` references and `imports` between them, by editing the text in place
 * (pack-rewrite.ts). Artifacts that would not load on a server are refused with their
 * problems; what might not work there is a warning (pack-check.ts).
 */
import { describeRegistry, didYouMean, type Registry } from '../vql/index.ts';
import { loadArtifactText, type ArtifactProblem, type LoadedArtifact } from './loader.ts';
import type { Artifact } from './schema.ts';
import { rewriteArtifact } from './pack-rewrite.ts';
import { collisionRisk, packErrors, packWarnings, type CheckContext, type PackNames } from './pack-check.ts';
import { serverConfigSnippet } from './pack-server.ts';
import { writeZip } from './pack-zip.ts';
import { VELOCIRAPTOR_ARTIFACTS, VELOCIRAPTOR_FUNCTIONS, VELOCIRAPTOR_PLUGINS } from './velociraptor-builtins.ts';

/** What the exporter needs of a repository. */
export interface PackSource {
  get(name: string): LoadedArtifact | undefined;
  names(): string[];
  /** Problems of files that did not load (reported for a name that is not found). */
  readonly problems: readonly ArtifactProblem[];
}

export interface PackOptions {
  /** Artifact names, in the order wanted. */
  readonly names: readonly string[];
  /** Added to each name that does not already start with it (as Velociraptor's upload dialog does). */
  readonly prefix?: string;
  /** The workbench engine's plugins and functions (`registryNames(registry)`), for clearer warnings. */
  readonly host?: PackNames['host'];
  /** Velociraptor's names; defaults to the generated lists. */
  readonly velociraptor?: Omit<PackNames, 'host'>;
  /** Timestamps of the zip entries (default now). */
  readonly mtime?: Date;
}

/** One artifact as written in the pack. */
export interface PackEntry {
  /** Its name in the workbench. */
  readonly original: string;
  /** Its name in the pack. */
  readonly name: string;
  /** Its path in the zip. */
  readonly path: string;
  readonly text: string;
  readonly artifact: Artifact;
}

export interface RefusedArtifact {
  readonly name: string;
  readonly problems: ArtifactProblem[];
}

export interface Pack {
  readonly entries: PackEntry[];
  readonly refused: RefusedArtifact[];
  readonly warnings: ArtifactProblem[];
  /** Server configuration for the event artifacts of the pack ('' when it has none). */
  readonly serverConfig: string;
  /** The zip; absent when no artifact could be packed. */
  readonly zip?: Uint8Array;
}

/** A refusal of the whole request (a bad prefix, nothing chosen). */
export class PackError extends Error {
  override readonly name = 'PackError';
}

/** `prefix + name`, unless the name already starts with the prefix. */
export function applyPrefix(name: string, prefix: string): string {
  return !prefix || name.startsWith(prefix) ? name : prefix + name;
}

/** The conventional path of an artifact in a pack: its name split on dots (`Custom/Foo/Bar.yaml`). */
export function packPath(name: string): string {
  return `${name.split('.').join('/')}.yaml`;
}

/** The plugin and function names of an engine registry, for `PackOptions.host`. */
export function registryNames(registry: Registry): NonNullable<PackNames['host']> {
  const d = describeRegistry(registry);
  return { plugins: new Set(d.filter((e) => e.kind === 'plugin').map((e) => e.name)), functions: new Set(d.filter((e) => e.kind === 'function').map((e) => e.name)) };
}

const MAX_FILE_BYTES = 50 * 2 ** 20;

/** Why a name is not in the repository, with the problems of a file that may have held it. */
function notFound(name: string, repo: PackSource): ArtifactProblem[] {
  const tail = [`/${name}.yaml`, `/${name}.yml`, `/${packPath(name)}`];
  const fileProblems = repo.problems.filter((p) => p.severity === 'error' && tail.some((t) => `/${p.file.replace(/\\/g, '/')}`.endsWith(t)));
  const head: ArtifactProblem = { file: name, line: 1, column: 1, severity: 'error', message: `Artifact ${name} not found${didYouMean(name, repo.names())}${fileProblems.length ? ' (its file does not load:)' : ''}` };
  return [head, ...fileProblems];
}

/** Builds the pack of `opts.names` from `repo`. Throws PackError for a bad request. */
export function buildPack(repo: PackSource, opts: PackOptions): Pack {
  const prefix = opts.prefix ?? '';
  if (!/^[A-Za-z0-9_.]*$/.test(prefix)) throw new PackError(`invalid prefix '${prefix}': use letters, digits, '_' and '.' (e.g. Custom.)`);
  if (/^\d|\.\d/.test(prefix)) throw new PackError(`invalid prefix '${prefix}': no part of an artifact name may start with a digit`);
  if (!opts.names.length) throw new PackError('choose at least one artifact to pack');
  const names: PackNames = { ...(opts.velociraptor ?? { builtins: VELOCIRAPTOR_ARTIFACTS, plugins: VELOCIRAPTOR_PLUGINS, functions: VELOCIRAPTOR_FUNCTIONS }), host: opts.host };
  const refused: RefusedArtifact[] = [];
  const chosen: LoadedArtifact[] = [];
  for (const n of new Set(opts.names)) {
    const loaded = repo.get(n);
    if (!loaded) refused.push({ name: n, problems: notFound(n, repo) });
    else if (!chosen.some((c) => c.artifact.name === loaded.artifact.name)) chosen.push(loaded);
  }
  // Names and aliases of the chosen artifacts -> their names in the pack.
  const renames = new Map(chosen.flatMap((l) => [l.artifact.name, ...(l.artifact.aliases ?? [])].map((n) => [n, applyPrefix(n, prefix)] as const)));
  const refusedNames = new Set<string>();
  const ctx: CheckContext = { names, pack: renames, refused: refusedNames, lookup: (n) => repo.get(n) };
  const entries: PackEntry[] = [];
  const warnings: ArtifactProblem[] = [];
  for (const loaded of chosen) {
    const original = loaded.artifact.name;
    const name = renames.get(original)!;
    const path = packPath(name);
    const rewritten = rewriteArtifact(loaded, renames);
    const problems = packErrors(loaded, name, ctx);
    if (entries.some((e) => e.name === name)) problems.push({ file: loaded.file, line: 1, column: 1, severity: 'error', message: `two chosen artifacts are both named ${name} in the pack` });
    if (rewritten.text.length > MAX_FILE_BYTES) problems.push({ file: loaded.file, line: 1, column: 1, severity: 'error', message: 'the file is larger than 50 MiB, the most a server reads' });
    const reloaded = problems.length ? undefined : loadArtifactText(rewritten.text, path);
    if (reloaded) problems.push(...reloaded.problems.filter((p) => p.severity === 'error'));
    if (problems.length || !reloaded?.loaded) {
      refused.push({ name: original, problems });
      refusedNames.add(original);
      continue;
    }
    warnings.push(...reloaded.problems.filter((p) => p.severity === 'warning'));
    if (rewritten.redumped) {
      warnings.push({ file: loaded.file, line: 1, column: 1, severity: 'warning', message: `${original} was written out anew, without its comments and layout: ${rewritten.redumped}` });
    }
    entries.push({ original, name, path, text: rewritten.text, artifact: reloaded.loaded.artifact });
  }
  for (const e of entries) warnings.push(...collisionRisk(repo.get(e.original)!, e.name, names), ...packWarnings(repo.get(e.original)!, ctx));
  return {
    entries,
    refused,
    warnings,
    serverConfig: serverConfigSnippet(entries.map((e) => e.artifact)),
    zip: entries.length ? writeZip(entries, opts.mtime) : undefined,
  };
}
