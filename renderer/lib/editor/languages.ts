/**
 * The editor's languages: plain VQL (the console), and artifact YAML in which the values of
 * `query`, `precondition` and `queries` items are parsed as VQL (highlighting, completion), the
 * way Velociraptor reads them. Pure CodeMirror state: no DOM needed, tested in Node.
 */
import { LanguageSupport, StreamLanguage, type Language } from '@codemirror/language';
import { yamlLanguage } from '@codemirror/lang-yaml';
import { parseMixed, type SyntaxNodeRef, type Input } from '@lezer/common';
import type { Extension } from '@codemirror/state';
import { vqlStreamParser } from './vql-stream.ts';

/** VQL as a CodeMirror language (also the nested language inside artifact YAML). */
export const vqlLanguage: StreamLanguage<unknown> = StreamLanguage.define(vqlStreamParser);

/** YAML keys whose values are VQL. */
const VQL_KEYS = new Set(['query', 'precondition', 'queries']);

function keyOf(pair: SyntaxNodeRef, input: Input): string | null {
  const key = pair.node.getChild('Key');
  return key ? input.read(key.from, key.to).trim() : null;
}

/** The key of the Pair a value node belongs to, looking through a `queries:` sequence item. */
function owningKey(node: SyntaxNodeRef, input: Input): string | null {
  let p = node.node.parent;
  if (p?.name === 'BlockLiteral') p = p.parent;
  if (p?.name === 'Item') p = p.parent?.parent ?? null; // Item -> BlockSequence -> Pair
  return p?.name === 'Pair' ? keyOf(p, input) : null;
}

/** The VQL inside a YAML node, if it is the value of a VQL key (block or plain scalar). */
function nestVql(node: SyntaxNodeRef, input: Input): { parser: Language['parser'] } | null {
  if (node.name !== 'BlockLiteralContent' && node.name !== 'Literal') return null;
  // A plain Literal is also how keys are spelled; only values count.
  if (node.name === 'Literal' && node.node.parent?.name === 'Key') return null;
  const key = owningKey(node, input);
  return key && VQL_KEYS.has(key) ? { parser: vqlLanguage.parser } : null;
}

/** Artifact YAML with VQL nested in its query fields. */
export const artifactYamlLanguage = yamlLanguage.configure({ wrap: parseMixed(nestVql) }, 'artifact-yaml');

/** Language support for a mode, plus language data (e.g. `autocomplete`) for the VQL parts. */
export function languageFor(mode: 'yaml' | 'vql', vqlData?: Record<string, unknown>): LanguageSupport {
  const extra: Extension[] = vqlData ? [vqlLanguage.data.of(vqlData)] : [];
  return new LanguageSupport(mode === 'vql' ? vqlLanguage : artifactYamlLanguage, extra);
}
