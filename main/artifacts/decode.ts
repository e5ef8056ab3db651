/**
 * Decodes a positioned YAML tree against the artifact schema, strictly (as Velociraptor's
 * UnmarshalStrict does): unknown keys are errors, scalars are coerced to the field type, and
 * every problem carries the offset it is about.
 */
import { didYouMean } from '../vql/index.ts';
import { INTERNAL_FIELDS, type FieldSpec } from './schema.ts';
import type { YNode, YScalar } from './yaml-tree.ts';

/** Where a VQL text came from in the file, to map query positions back to YAML lines. */
export interface QueryLocation {
  /** Dotted field path: `precondition`, `export`, `sources.1.query`, `sources.0.queries.2`. */
  readonly field: string;
  readonly node: YScalar;
  /** The VQL text as decoded (see `lineIndents`). */
  readonly text: string;
  /**
   * For a multi-line plain scalar: YAML folds its lines into one, which would let a `--`
   * comment swallow the rest of the query. Its lines are kept instead, without their
   * indentation, recorded here per line to map positions back.
   */
  readonly lineIndents?: number[];
}

export interface DecodeProblem {
  readonly offset: number;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

export interface Decoded {
  value: Record<string, unknown>;
  queries: QueryLocation[];
  problems: DecodeProblem[];
  /** Offset of every decoded field's value (or its key when the value is empty), by path. */
  positions: Map<string, number>;
}

const YAML_TRUE = /^(true|yes|on|y)$/i;
const YAML_FALSE = /^(false|no|off|n)$/i;

class Decoder {
  readonly queries: QueryLocation[] = [];
  readonly positions = new Map<string, number>();
  constructor(private readonly src: string) {}
  readonly problems: DecodeProblem[] = [];

  error(offset: number, message: string): undefined {
    this.problems.push({ offset, message, severity: 'error' });
    return undefined;
  }
  warn(offset: number, message: string): void {
    this.problems.push({ offset, message, severity: 'warning' });
  }

  decode(node: YNode, spec: FieldSpec, path: string, at: number): unknown {
    switch (spec.type) {
      case 'string':
      case 'vql':
        return this.scalarText(node, path, spec.type === 'vql', at);
      case 'int':
      case 'float':
        return this.number(node, spec.type, path);
      case 'bool':
        if (node.kind !== 'scalar') return this.error(node.start, `${path}: expected true or false, found a ${describe(node)}`);
        if (node.isNull) return false;
        if (YAML_TRUE.test(node.value)) return true;
        if (YAML_FALSE.test(node.value)) return false;
        return this.error(node.start, `${path}: expected true or false, found '${node.value}'`);
      case 'strings':
        return this.strings(node, path, spec.vql === true);
      case 'list': {
        if (node.kind === 'scalar' && node.isNull) return [];
        if (node.kind !== 'seq') return this.error(node.start, `${path}: expected a list (items starting with '- '), found a ${describe(node)}`);
        // An item that failed to decode was reported; it is left out, not kept as a hole.
        return node.items
          .map((item, i) => {
            this.positions.set(`${path}.${i}`, item.start);
            return this.decode(item, spec.of, `${path}.${i}`, item.start);
          })
          .filter((v) => v !== undefined);
      }
      case 'object':
        return this.object(node, spec, path);
    }
  }

  private scalarText(node: YNode, path: string, isVql: boolean, at: number): string | undefined {
    if (node.kind !== 'scalar') return this.error(node.start, `${path}: expected text, found a ${describe(node)}`);
    if (node.isNull) return '';
    if (!isVql) return node.value;
    const n = node.start < 0 ? { ...node, start: at } : node;
    if (n.style === 1 && n.end > n.start && this.src.slice(n.start, n.end).includes('\n')) {
      const lines = this.src.slice(n.start, n.end).split('\n');
      const lineIndents = lines.map((l, i) => (i === 0 ? 0 : l.length - l.trimStart().length));
      const text = lines.map((l, i) => (i === 0 ? l : l.trimStart())).join('\n');
      this.queries.push({ field: path, node: n, text, lineIndents });
      return text;
    }
    this.queries.push({ field: path, node: n, text: n.value });
    return n.value;
  }

  private number(node: YNode, type: 'int' | 'float', path: string): number | undefined {
    if (node.kind !== 'scalar') return this.error(node.start, `${path}: expected a number, found a ${describe(node)}`);
    if (node.isNull) return 0;
    const n = Number(node.value.replace(/_/g, ''));
    if (!Number.isFinite(n) || (type === 'int' && !Number.isInteger(n))) return this.error(node.start, `${path}: expected ${type === 'int' ? 'an integer' : 'a number'}, found '${node.value}'`);
    return n;
  }

  private strings(node: YNode, path: string, vql: boolean): string[] | undefined {
    if (node.kind === 'scalar') {
      if (node.isNull) return [];
      if (!vql) return [node.value];
      const v = this.scalarText(node, `${path}.0`, true, node.start);
      return v === undefined ? [] : [v];
    }
    if (node.kind !== 'seq') return this.error(node.start, `${path}: expected a list of text values, found a ${describe(node)}`);
    const out: string[] = [];
    node.items.forEach((item, i) => {
      this.positions.set(`${path}.${i}`, item.start);
      const v = this.scalarText(item, `${path}.${i}`, vql, item.start);
      if (v !== undefined) out.push(v);
    });
    return out;
  }

  private object(node: YNode, spec: Extract<FieldSpec, { type: 'object' }>, path: string): Record<string, unknown> | undefined {
    if (node.kind === 'scalar' && node.isNull) return {};
    if (node.kind !== 'map') return this.error(node.start, `${path || spec.name}: expected a mapping of ${spec.name} fields (key: value), found a ${describe(node)}`);
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    for (const { key, value } of node.entries) {
      const k = key.value;
      const where = path ? `${path}.${k}` : k;
      if (seen.has(k)) {
        this.error(key.start, `duplicate key '${k}' in ${spec.name}`);
        continue;
      }
      seen.add(k);
      this.positions.set(where, value.start >= 0 ? value.start : key.start);
      const field = spec.fields[k];
      if (!field) {
        if (spec.name === 'artifact' && INTERNAL_FIELDS.has(k)) continue;
        const known = Object.keys(spec.fields);
        this.error(key.start, `unknown field '${k}' in ${spec.name}${didYouMean(k, known)} Known fields: ${known.join(', ')}.`);
        continue;
      }
      const v = this.decode(value, field, where, key.end + 1);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
}

function describe(n: YNode): string {
  return n.kind === 'map' ? 'mapping' : n.kind === 'seq' ? 'list' : `value '${n.value}'`;
}

/** Decodes the document root as an artifact. */
export function decodeArtifact(root: YNode, spec: FieldSpec, src: string): Decoded {
  const d = new Decoder(src);
  const value = (d.decode(root, spec, '', root.start) as Record<string, unknown> | undefined) ?? {};
  return { value, queries: d.queries, problems: d.problems, positions: d.positions };
}
