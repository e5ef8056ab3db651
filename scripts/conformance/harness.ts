/**
 * The conformance harness: runs cases in the format of ../shared/vql/conformance/ and
 * compares results as its README says (row order, key order, numbers numerically, null vs []).
 */
import { readFileSync } from 'node:fs';
import {
  Session, VDict, VFloat, fromJSON, parseScript, parseStatement, toJSON, formatError,
  type Registry, type Statement, type Value,
} from '../../main/vql/index.ts';
import { buildTestScope } from './fixtures.ts';
import { createHostRegistry } from '../../main/host/index.ts';
import { accessorNames } from '../../main/host/files/index.ts';

export interface Case {
  id: string;
  list: string;
  name: string;
  query: string;
  expected: Value;
  notes: string[];
}

export interface CaseResult {
  id: string;
  name: string;
  status: 'pass' | 'fail' | 'skip';
  /** For failures: what differed; for skips: why. */
  detail?: string;
}

function get(d: Value, k: string): Value {
  return d instanceof VDict ? (d.get(k) as Value) : undefined;
}

/** Reads a cases file, keeping key order inside expected values. */
export function loadCases(path: string): Case[] {
  const doc = fromJSON(readFileSync(path, 'utf8'));
  const cases = get(doc, 'cases') as Value[];
  return cases.map((c) => ({
    id: String(get(c, 'id')),
    list: String(get(c, 'list')),
    name: String(get(c, 'name')),
    query: String(get(c, 'query')),
    expected: get(c, 'expected') ?? null,
    notes: ((get(c, 'notes') as Value[]) ?? []).map(String),
  }));
}

function num(v: Value): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof VFloat) return v.value;
  return null;
}

/** Conformance equality: ordered keys, numbers compared numerically. */
export function sameValue(a: Value, b: Value): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  const x = num(a);
  const y = num(b);
  if (x !== null || y !== null) return x !== null && y !== null && x === y;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((e, i) => sameValue(e, b[i]));
  if (a instanceof VDict) {
    if (!(b instanceof VDict) || a.size !== b.size) return false;
    const ka = a.keys();
    const kb = b.keys();
    return ka.every((k, i) => k === kb[i] && sameValue(a.get(k), b.get(k)));
  }
  return a === b;
}

/** A line diff of two pretty JSON texts (expected vs actual). */
export function lineDiff(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push('  ' + a[i]);
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      out.push('+ ' + b[j]);
      j++;
    } else {
      out.push('- ' + a[i]);
      i++;
    }
  }
  return out.join('\n');
}

export interface RunOptions {
  /** The fixtures file (parsed JSON), when the cases need the vfilter test scope. */
  fixtures?: unknown;
  /** Skip cases whose "Needs ..." note names functions or plugins that are not registered. */
  skipMissing?: boolean;
  /** Per-case time limit in ms. */
  timeoutMs?: number;
}

/**
 * What a case's `Needs ...` note lists that the registry lacks. The note reads like
 * `Needs host functions: a, b; host plugins: c; accessors: d; scope settings: E.`
 */
export function missingNeeds(c: Case, registry: Registry, accessors: ReadonlySet<string> = new Set()): string[] {
  const note = c.notes.find((n) => n.startsWith('Needs '));
  if (!note) return [];
  const missing: string[] = [];
  for (const part of note.slice('Needs '.length).replace(/\.$/, '').split(';')) {
    const [kind, list] = part.split(':').map((x) => x.trim());
    for (const raw of (list ?? '').split(',')) {
      const name = raw.trim().replace(/^`|`$/g, '').replace(/\(\)$/, '');
      if (!name) continue;
      if (kind === 'host functions' && !registry.functions.has(name)) missing.push(`function ${name}`);
      else if (kind === 'host plugins' && !registry.plugins.has(name)) missing.push(`plugin ${name}`);
      else if (kind === 'accessors' && !accessors.has(name)) missing.push(`accessor ${name}`);
    }
  }
  return missing;
}

/** Runs one case in a fresh scope and compares. */
export async function runCase(c: Case, opts: RunOptions = {}): Promise<CaseResult> {
  // Without fixtures the cases are Velociraptor's: they run against the host registry.
  const scope = opts.fixtures ? buildTestScope(opts.fixtures as Parameters<typeof buildTestScope>[0]) : { registry: createHostRegistry(), layers: [], tripped: [] as string[] };
  if (opts.skipMissing) {
    const missing = missingNeeds(c, scope.registry, new Set(accessorNames(scope.registry)));
    if (missing.length) return { id: c.id, name: c.name, status: 'skip', detail: `needs ${missing.join(', ')}` };
  }
  let statements: readonly Statement[];
  try {
    statements = c.list === 'vql' ? [parseStatement(c.query)] : parseScript(c.query).statements;
  } catch (e) {
    return { id: c.id, name: c.name, status: 'fail', detail: `parse error: ${formatError(e as Error)}` };
  }
  const controller = new AbortController();
  const logs: string[] = [];
  const session = new Session({ registry: scope.registry, layers: scope.layers, signal: controller.signal, log: (l, m) => logs.push(`${l}: ${m}`) });
  const results: Value[] = [];
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs ?? 10_000);
  try {
    for (const st of statements) {
      const rows: Value[] = [];
      for await (const batch of session.execute(st)) rows.push(...batch);
      results.push(rows.length ? fromJSON(toJSON(rows)) : null);
    }
  } catch (e) {
    return { id: c.id, name: c.name, status: 'fail', detail: `error: ${(e as Error).stack ?? String(e)}` };
  } finally {
    clearTimeout(timer);
  }
  if (controller.signal.aborted) return { id: c.id, name: c.name, status: 'fail', detail: 'timed out' };
  const actual = c.list === 'vql' ? results[0] : results;
  if (scope.tripped.length) return { id: c.id, name: c.name, status: 'fail', detail: `tripwire: ${scope.tripped.join('; ')}\nlogs:\n${logs.join('\n')}` };
  if (sameValue(c.expected, actual)) return { id: c.id, name: c.name, status: 'pass' };
  const diff = lineDiff(toJSON(c.expected, { indent: 1 }), toJSON(actual, { indent: 1 }));
  return { id: c.id, name: c.name, status: 'fail', detail: `query: ${c.query}\n--- expected\n+++ actual\n${diff}\nlogs:\n${logs.join('\n')}` };
}

/** Runs every case of a file. */
export async function runCases(cases: Case[], opts: RunOptions = {}): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const c of cases) out.push(await runCase(c, opts));
  return out;
}
