/**
 * Compiling an artifact into requests, as Velociraptor's launcher does (VELOCIRAPTOR.md 1.3,
 * 1.5, 1.7): exports and imported exports first, then each source's LETs and its final
 * SELECT under the source's query name. Event artifacts, and artifacts with source-level
 * preconditions, get one request per source; others run all sources in one shared scope.
 */
import { parseScript, type Statement } from '../vql/index.ts';
import { isEventType, type Artifact } from './schema.ts';
import type { Repository } from './repository.ts';

/** One named query: LETs then the SELECT whose rows are the source's results. */
export interface CompiledQuery {
  /** `Artifact` or `Artifact/Source`: the `_Source` of its rows. */
  readonly name: string;
  readonly statements: readonly Statement[];
}

/** What runs in one scope. */
export interface CompiledRequest {
  readonly precondition?: readonly Statement[];
  /** `export` blocks (own and imported): LETs run before the queries. */
  readonly preamble: readonly Statement[];
  readonly queries: readonly CompiledQuery[];
}

/** A problem that stops an artifact from running (unknown import, unknown source). */
export class ArtifactError extends Error {}

function parse(text: string | undefined, what: string): Statement[] {
  if (!text || !text.trim()) return [];
  try {
    return [...parseScript(text).statements];
  } catch (e) {
    throw new ArtifactError(`${what}: ${(e as Error).message}`);
  }
}

/** The export blocks this artifact runs before its sources: its own, then each import's. */
export function exportsOf(artifact: Artifact, repo: Repository): Statement[] {
  const out = parse(artifact.export, `artifact ${artifact.name} export`);
  for (const name of artifact.imports ?? []) {
    const dep = repo.get(name);
    if (!dep) throw new ArtifactError(`Artifact ${artifact.name} imports ${name} which is not known`);
    out.push(...parse(dep.artifact.export, `artifact ${name} export`));
  }
  return out;
}

/**
 * Compiles `artifact` (optionally a single source). Sources with an empty query are
 * skipped, as Velociraptor skips them.
 */
export function compileArtifact(artifact: Artifact, repo: Repository, opts: { source?: string } = {}): CompiledRequest[] {
  let sources = (artifact.sources ?? []).filter((s) => s.query && s.query.trim());
  if (opts.source !== undefined) {
    sources = sources.filter((s) => s.name === opts.source);
    if (!sources.length) {
      const names = (artifact.sources ?? []).map((s) => s.name).filter(Boolean);
      throw new ArtifactError(`Source ${opts.source} not found in artifact ${artifact.name}${names.length ? ` (sources: ${names.join(', ')})` : ' (its sources have no names)'}`);
    }
  }
  const preamble = exportsOf(artifact, repo);
  const top = parse(artifact.precondition, `artifact ${artifact.name} precondition`);
  const query = (i: number): CompiledQuery => {
    const s = sources[i]!;
    return { name: s.name ? `${artifact.name}/${s.name}` : artifact.name, statements: parse(s.query, `artifact ${artifact.name} source ${s.name ?? i}`) };
  };
  const parallel = isEventType(artifact.type) || sources.some((s) => s.precondition && s.precondition.trim());
  if (!parallel) {
    return [{ precondition: top.length ? top : undefined, preamble, queries: sources.map((_, i) => query(i)) }];
  }
  return sources.map((s, i) => {
    const own = parse(s.precondition, `artifact ${artifact.name} source precondition`);
    const pre = own.length ? own : top;
    return { precondition: pre.length ? pre : undefined, preamble, queries: [query(i)] };
  });
}
