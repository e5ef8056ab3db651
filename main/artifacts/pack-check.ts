/**
 * The exporter checklist of VELOCIRAPTOR.md 6.4 beyond what the loader checks: name
 * collisions with Velociraptor's built-ins (refused), permissions a server does not know
 * (refused: uploads are loaded with full validation), and warnings for plugins and
 * functions a Velociraptor client is not known to have and for artifacts referenced but
 * neither in the pack nor built into Velociraptor. Positions point into the source file.
 */
import { artifactNameProblem } from './validate.ts';
import { PERMISSIONS } from './schema.ts';
import type { ArtifactProblem, LoadedArtifact } from './loader.ts';
import { scanArtifact, type VqlUse } from './pack-refs.ts';
import { parseScript } from '../vql/index.ts';

/** Names a Velociraptor server and client have, and optionally the ones this workbench has. */
export interface PackNames {
  /** Velociraptor's built-in artifacts (names and aliases). */
  readonly builtins: ReadonlySet<string>;
  readonly plugins: ReadonlySet<string>;
  readonly functions: ReadonlySet<string>;
  /** The workbench engine's plugins and functions, to say "a workbench addition". */
  readonly host?: { readonly plugins: ReadonlySet<string>; readonly functions: ReadonlySet<string> };
}

export interface CheckContext {
  readonly names: PackNames;
  /** Every chosen artifact: original name -> name in the pack. */
  readonly pack: ReadonlyMap<string, string>;
  /** Chosen artifacts that were refused (original names). */
  readonly refused: ReadonlySet<string>;
  /** Looks up another artifact (for the LET names of imported exports). */
  readonly lookup: (name: string) => LoadedArtifact | undefined;
}

function problemAt(loaded: LoadedArtifact, pos: { line: number; column: number }, message: string, severity: 'error' | 'warning'): ArtifactProblem {
  return { file: loaded.file || loaded.artifact.name, line: pos.line, column: pos.column, message, severity };
}

/**
 * The built-in list is a floor (half of Velociraptor's artifacts): a name outside the `Custom.`
 * namespace, where Velociraptor's own GUI puts user artifacts (6.3), may still collide.
 */
export function collisionRisk(loaded: LoadedArtifact, packName: string, names: PackNames): ArtifactProblem[] {
  if (packName.startsWith('Custom.') || names.builtins.has(packName)) return [];
  return [problemAt(loaded, loaded.position('name'), `${packName} may be the name of a Velociraptor built-in artifact this workbench does not list (it knows ${names.builtins.size} of about 422): a prefix such as Custom. rules that out`, 'warning')];
}

/** Problems that keep `loaded` out of the pack under `packName`. */
export function packErrors(loaded: LoadedArtifact, packName: string, ctx: CheckContext): ArtifactProblem[] {
  const a = loaded.artifact;
  const out: ArtifactProblem[] = [];
  const err = (field: string, message: string) => out.push(problemAt(loaded, loaded.position(field), message, 'error'));
  const nameProblem = artifactNameProblem(packName);
  if (nameProblem) err('name', `${nameProblem} (after the prefix)`);
  if (ctx.names.builtins.has(packName)) {
    err('name', `${packName} is the name of a Velociraptor built-in artifact: a server refuses to override it ("Unable to override built in artifact"). Use a prefix such as Custom.`);
  }
  (a.aliases ?? []).forEach((alias, i) => {
    const packed = ctx.pack.get(alias) ?? alias;
    if (ctx.names.builtins.has(packed)) err(`aliases.${i}`, `alias ${packed} is the name of a Velociraptor built-in artifact: remove or rename the alias, or use a prefix`);
  });
  (a.required_permissions ?? []).forEach((p, i) => {
    if (!PERMISSIONS.has(p)) err(`required_permissions.${i}`, `unknown permission '${p}': a server refuses artifacts whose required_permissions it does not know`);
  });
  return out;
}

/** LET names of the artifacts `a` imports (their `export` blocks run before its sources). */
function importedLets(loaded: LoadedArtifact, ctx: CheckContext): Set<string> {
  const out = new Set<string>();
  for (const name of loaded.artifact.imports ?? []) {
    const dep = ctx.lookup(name);
    if (!dep?.artifact.export) continue;
    try {
      for (const st of parseScript(dep.artifact.export).statements) if (st.kind === 'Let') out.add(st.name.name);
    } catch {
      continue; // that artifact's own problems are reported when it is loaded
    }
  }
  return out;
}

/** Warnings about `loaded` in a pack: calls a client may lack, references to absent artifacts. */
export function packWarnings(loaded: LoadedArtifact, ctx: CheckContext): ArtifactProblem[] {
  const a = loaded.artifact;
  const scan = scanArtifact(a);
  const out: ArtifactProblem[] = [];
  const warn = (use: VqlUse, message: string) => out.push(problemAt(loaded, loaded.locate(use.field, Math.max(0, use.offset)), message, 'warning'));
  const local = new Set([...scan.lets, ...importedLets(loaded, ctx), ...(a.parameters ?? []).map((p) => p.name)]);
  const { names } = ctx;
  for (const [kind, uses, known, host] of [
    ['plugin', scan.plugins, names.plugins, names.host?.plugins],
    ['function', scan.functions, names.functions, names.host?.functions],
  ] as const) {
    const seen = new Set<string>();
    for (const use of uses) {
      if (local.has(use.name) || known.has(use.name) || seen.has(use.name)) continue;
      seen.add(use.name);
      const what = host?.has(use.name) ? 'is a workbench addition:' : 'is unknown to this workbench, and';
      warn(use, `${kind} ${use.name}() ${what} Velociraptor's artifacts, tests and reference never use it, so check that your Velociraptor clients have it`);
    }
  }
  /** Why a referenced artifact will be missing on the server, or undefined. */
  const missing = (name: string): string | undefined =>
    ctx.refused.has(name) ? `${name} was refused (see its problems), so the pack does not have it`
      : ctx.pack.has(name) || names.builtins.has(name) ? undefined
        : `${name} is neither in the pack nor a Velociraptor built-in artifact this workbench knows of: add it to the pack, or make sure the server has it`;
  for (const use of scan.artifacts) {
    const why = missing(use.name);
    if (why) warn(use, `Artifact.${why}`);
  }
  (a.imports ?? []).forEach((name, i) => {
    const why = missing(name);
    if (why) out.push(problemAt(loaded, loaded.position(`imports.${i}`), `imports ${why}`, 'warning'));
  });
  for (const use of scan.strings) {
    const to = ctx.pack.get(use.name);
    if (to !== undefined && to !== use.name) {
      warn(use, `the string '${use.name}' names an artifact that the pack renames to ${to}: strings are not rewritten, so edit it if it refers to that artifact`);
    }
  }
  return out;
}
