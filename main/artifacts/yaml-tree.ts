/**
 * A YAML document as a tree of nodes that remember where they are in the file, built from
 * js-yaml's event stream. The artifact loader needs positions for every error it reports
 * (file:line:column), including inside `query: |` blocks.
 */
import { parseEvents, getScalarValue, YAMLException, type Event, type ScalarEvent } from 'js-yaml';

export interface YScalar {
  readonly kind: 'scalar';
  /** The decoded text (plain scalars keep their source text: `default: 2020-01-01` stays a string). */
  readonly value: string;
  /** js-yaml scalar style: 1 plain, 2 single-quoted, 3 double-quoted, 4 literal `|`, 5 folded `>`. */
  readonly style: number;
  /** Source offsets of the value (for a block scalar: from the first content line). */
  readonly start: number;
  readonly end: number;
  /** Content indentation of a block scalar, -1 otherwise. */
  readonly indent: number;
  /** A plain scalar that YAML reads as null (`~`, `null`, empty). */
  readonly isNull: boolean;
}

export interface YMap {
  readonly kind: 'map';
  readonly entries: ReadonlyArray<{ readonly key: YScalar; readonly value: YNode }>;
  readonly start: number;
}

export interface YSeq {
  readonly kind: 'seq';
  readonly items: readonly YNode[];
  readonly start: number;
}

export type YNode = YScalar | YMap | YSeq;

/** A YAML syntax error with its offset. */
export class YamlSyntaxError extends Error {
  constructor(message: string, readonly offset: number, readonly line?: number, readonly column?: number) {
    super(message);
  }
}

const PLAIN = 1;

/** The core schema's own tags, harmless: the loader reads every value as text anyway. */
const CORE_TAGS = new Set(['!', '!!str', '!!int', '!!float', '!!bool', '!!null', '!!map', '!!seq']);

function scalarNode(src: string, e: ScalarEvent): YScalar {
  const value = getScalarValue(src, e);
  const isNull = e.style === PLAIN && (value === '' || value === '~' || value === 'null' || value === 'Null' || value === 'NULL');
  return { kind: 'scalar', value, style: e.style, start: e.valueStart, end: e.valueEnd, indent: e.indent, isNull };
}

/**
 * Parses `src` (one document) into a positioned tree. An empty document gives null.
 * Throws YamlSyntaxError. Anchors and aliases are resolved (an alias shares its node), but
 * what the aliases stand for may add at most the document's own size (plus 64 Ki characters):
 * every consumer walks the tree as if expanded, so ten nested aliases of ten (the "billion
 * laughs") would otherwise turn 600 bytes into a billion nodes.
 */
export function parseYamlTree(src: string): YNode | null {
  let events: Event[];
  try {
    events = parseEvents(src, { maxDepth: 64 });
  } catch (e) {
    if (e instanceof YAMLException) {
      const mark = (e as YAMLException & { mark?: { position: number; line: number; column: number } }).mark;
      const reason = (e as YAMLException & { reason?: string }).reason ?? e.message.split('\n')[0]!;
      throw new YamlSyntaxError(reason, mark?.position ?? 0, mark ? mark.line + 1 : undefined, mark ? mark.column + 1 : undefined);
    }
    throw e;
  }
  const anchors = new Map<string, YNode>();
  // Expanded size of each node (characters of its scalars plus one per node), for the alias budget.
  const weights = new WeakMap<YNode, number>();
  const aliasBudget = src.length + 65_536;
  let aliased = 0;
  let i = 0;
  let documents = 0;

  const anchorOf = (e: { anchorStart: number; anchorEnd: number; tagStart: number; tagEnd: number }): string | null => {
    // A tag asks for a type of another language (`!!js/function`, `!!python/object`): the loader
    // never builds one, and an artifact has no use for them, so they are refused, not ignored.
    if (e.tagStart >= 0) {
      const tag = src.slice(e.tagStart, e.tagEnd);
      if (!CORE_TAGS.has(tag)) throw new YamlSyntaxError(`tag ${tag} is not supported in an artifact: remove it (values are text, numbers, lists and mappings)`, e.tagStart);
    }
    return e.anchorStart >= 0 ? src.slice(e.anchorStart, e.anchorEnd).replace(/^&/, '') : null;
  };

  const node = (): YNode => {
    const e = events[i++]!;
    switch (e.type) {
      case 4: {
        const n = scalarNode(src, e);
        weights.set(n, 1 + n.value.length);
        const a = anchorOf(e);
        if (a) anchors.set(a, n);
        return n;
      }
      case 3: {
        const entries: Array<{ key: YScalar; value: YNode }> = [];
        let weight = 1;
        while (events[i]!.type !== 6) {
          const k = node();
          if (k.kind !== 'scalar') throw new YamlSyntaxError('a mapping key must be a plain value', e.start);
          const v = node();
          weight += weights.get(k)! + weights.get(v)!;
          entries.push({ key: k, value: v });
        }
        i++;
        const n: YMap = { kind: 'map', entries, start: e.start };
        weights.set(n, weight);
        const a = anchorOf(e);
        if (a) anchors.set(a, n);
        return n;
      }
      case 2: {
        const items: YNode[] = [];
        let weight = 1;
        while (events[i]!.type !== 6) {
          const item = node();
          weight += weights.get(item)!;
          items.push(item);
        }
        i++;
        const n: YSeq = { kind: 'seq', items, start: e.start };
        weights.set(n, weight);
        const a = anchorOf(e);
        if (a) anchors.set(a, n);
        return n;
      }
      case 5: {
        const name = src.slice(e.anchorStart, e.anchorEnd).replace(/^\*/, '');
        const target = anchors.get(name);
        if (!target) throw new YamlSyntaxError(`unknown alias *${name}`, e.anchorStart);
        aliased += weights.get(target)!;
        if (aliased > aliasBudget) {
          throw new YamlSyntaxError(
            `the aliases (*name) expand this file to more than ${aliasBudget + src.length} characters, over twice its size (a YAML alias bomb?): write the values out instead`,
            e.anchorStart,
          );
        }
        return target;
      }
      default:
        throw new YamlSyntaxError('unexpected YAML structure', 0);
    }
  };

  let root: YNode | null = null;
  while (i < events.length) {
    const e = events[i]!;
    if (e.type === 1) {
      documents++;
      if (documents > 1) throw new YamlSyntaxError('one artifact per file: found a second YAML document (---)', 0);
      i++;
      if (events[i] && events[i]!.type !== 6) root = node();
      continue;
    }
    i++;
  }
  return root;
}

/** The offset where a node starts. */
export function nodeStart(n: YNode): number {
  return n.start;
}
