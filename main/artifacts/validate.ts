/**
 * Artifact validation (VELOCIRAPTOR.md 1.1 steps 4-10): name pattern, type, the deprecated
 * `queries:` list, a precondition at both levels, LET-ordering, VQL that parses, known
 * parameter, notebook and report types. Positions come from the loader.
 */
import { parseScript, type VqlError } from '../vql/index.ts';
import {
  ARTIFACT_TYPES, NOTEBOOK_CELL_TYPES, PARAMETER_TYPES, PERMISSIONS, REPORT_TYPES,
  type Artifact, type ArtifactSource, type ArtifactType,
} from './schema.ts';

export interface Position {
  line: number;
  column: number;
}

export interface ValidationProblem extends Position {
  message: string;
  severity: 'error' | 'warning';
}

export interface ValidateContext {
  /** Position of a decoded field (`name`, `sources.1.precondition`...). */
  at(field: string): Position;
  /** Position of an offset inside a VQL field. */
  locateQuery(field: string, offset: number): Position;
}

const NAME = /^[a-zA-Z0-9_.]+$/;

/**
 * The longest artifact name: a saved artifact is the file `<name>.yaml`, and file names end at
 * 255 bytes on every common file system (Velociraptor's longest built-in name is under 80).
 */
export const MAX_ARTIFACT_NAME = 200;

/** Checks a name as Velociraptor does; returns the problem or undefined. */
export function artifactNameProblem(name: string): string | undefined {
  if (!name) return 'missing name: every artifact needs a name such as Custom.Linux.MyArtifact';
  if (name.length > MAX_ARTIFACT_NAME) {
    return `the artifact name is ${name.length} characters long (${name.slice(0, 40)}…): the most is ${MAX_ARTIFACT_NAME}, as it names the artifact's file; shorten it`;
  }
  if (!NAME.test(name)) return `invalid artifact name '${name}': use letters, digits, '_' and '.' only`;
  const bad = name.split('.').find((p) => /^\d/.test(p));
  if (bad !== undefined) return `invalid artifact name '${name}': part '${bad}' starts with a digit`;
  if (name.split('.').some((p) => p === '')) return `invalid artifact name '${name}': empty part between dots`;
  return undefined;
}

/** Validates a decoded artifact, returning it normalized (type lower-case, `queries` joined). */
export function validateArtifact(value: Record<string, unknown>, ctx: ValidateContext): { artifact?: Artifact; problems: ValidationProblem[] } {
  const problems: ValidationProblem[] = [];
  const err = (field: string, message: string, severity: 'error' | 'warning' = 'error') => problems.push({ ...ctx.at(field), message, severity });

  const name = typeof value.name === 'string' ? value.name : '';
  const nameProblem = artifactNameProblem(name);
  if (nameProblem) err('name', nameProblem);

  const rawType = typeof value.type === 'string' ? value.type.trim().toLowerCase() : '';
  const type = (rawType || 'client') as ArtifactType;
  if (!ARTIFACT_TYPES.includes(type)) {
    err('type', `Artifact type ${String(value.type)} invalid: use one of ${ARTIFACT_TYPES.map((t) => t.toUpperCase()).join(', ')}`);
  }

  const artifact = { ...value, name, type } as Artifact;
  const sources = (artifact.sources ?? []) as ArtifactSource[];
  sources.forEach((s, i) => {
    // The deprecated list form is joined into `query` (step 9).
    if (s.queries && s.queries.length) {
      if (s.query) err(`sources.${i}.queries`, 'a source has both query and queries: use query only');
      else s.query = s.queries.join('\n');
      delete s.queries;
    }
  });

  if (artifact.precondition?.trim()) {
    sources.forEach((s, i) => {
      if (s.precondition?.trim()) {
        err(`sources.${i}.precondition`, `artifact ${name} contains a top level precondition and a source precondition: keep one of them`);
      }
    });
  }

  const parse = (field: string, text: string | undefined, rule: 'any' | 'source') => {
    if (!text || !text.trim()) return;
    let statements;
    try {
      statements = parseScript(text).statements;
    } catch (e) {
      const ve = e as VqlError;
      const pos = ctx.locateQuery(field, ve.span?.start ?? 0);
      problems.push({ ...pos, message: `VQL: ${ve.message}`, severity: 'error' });
      return;
    }
    if (rule !== 'source') return;
    statements.forEach((st, k) => {
      const last = k === statements.length - 1;
      const pos = ctx.locateQuery(field, st.span.start);
      if (!last && st.kind !== 'Let') {
        problems.push({ ...pos, message: 'only the last statement of a source query may be a SELECT: every statement before it must be a LET', severity: 'error' });
      } else if (last && st.kind === 'Let') {
        problems.push({ ...pos, message: 'the last statement of a source query must be a SELECT (it produces the rows), not a LET', severity: 'error' });
      }
    });
  };
  parse('precondition', artifact.precondition, 'any');
  parse('export', artifact.export, 'any');
  sources.forEach((s, i) => {
    parse(`sources.${i}.precondition`, s.precondition, 'any');
    parse(`sources.${i}.query`, s.query, 'source');
    (s.notebook ?? []).forEach((c, j) => {
      const t = (c.type ?? '').toLowerCase();
      if (t && !NOTEBOOK_CELL_TYPES.has(t)) err(`sources.${i}.notebook.${j}.type`, `notebook cell type '${c.type}' is not one of ${[...NOTEBOOK_CELL_TYPES].join(', ')}`);
      if (c.type) c.type = t;
    });
  });
  const sourceNames = new Set<string>();
  sources.forEach((s, i) => {
    if (!s.name) return;
    if (sourceNames.has(s.name)) err(`sources.${i}.name`, `two sources are named '${s.name}'`);
    sourceNames.add(s.name);
  });

  const paramNames = new Set<string>();
  (artifact.parameters ?? []).forEach((p, i) => {
    if (!p.name) err(`parameters.${i}`, 'a parameter needs a name');
    else if (paramNames.has(p.name)) err(`parameters.${i}.name`, `parameter '${p.name}' is declared twice`, 'warning');
    paramNames.add(p.name);
    const t = (p.type ?? '').toLowerCase();
    if (!PARAMETER_TYPES.has(t)) err(`parameters.${i}.type`, `unknown parameter type '${p.type}': it is treated as a string`, 'warning');
  });

  (artifact.reports ?? []).forEach((r, i) => {
    const t = (r.type ?? '').toLowerCase();
    if (t && !REPORT_TYPES.has(t)) err(`reports.${i}.type`, `report type '${r.type}' is not one of ${[...REPORT_TYPES].join(', ')}`);
  });
  for (const field of ['required_permissions', 'implied_permissions'] as const) {
    (artifact[field] ?? []).forEach((p, i) => {
      if (!PERMISSIONS.has(p)) err(`${field}.${i}`, `unknown permission '${p}'`, 'warning');
    });
  }
  return { artifact, problems };
}
