/**
 * Reference documentation generated from the plugin and function declarations: the same
 * declarations that validate calls (args.ts) also feed `vql docs` and editor completion.
 */
import type { ArgSchema } from './args.ts';
import type { Registry } from './registry.ts';

export interface ArgDoc {
  name: string;
  type: string;
  required: boolean;
  doc: string;
  default?: string;
}

export interface EntryDoc {
  kind: 'plugin' | 'function';
  name: string;
  doc: string;
  args: ArgDoc[];
  /** Any argument names are accepted. */
  freeArgs: boolean;
  isAggregate?: boolean;
  category?: string;
}

function argDocs(schema: ArgSchema): ArgDoc[] {
  return Object.entries(schema).map(([name, a]) => ({
    name,
    type: a.type,
    required: !!a.required,
    doc: a.doc,
    ...(a.default !== undefined ? { default: a.default } : {}),
  }));
}

/** Every plugin and function of a registry, sorted by kind then name. */
export function describeRegistry(registry: Registry): EntryDoc[] {
  const out: EntryDoc[] = [];
  for (const p of registry.plugins.values()) {
    out.push({ kind: 'plugin', name: p.name, doc: p.doc, args: argDocs(p.args), freeArgs: !!p.freeArgs, ...(p.category ? { category: p.category } : {}) });
  }
  for (const f of registry.functions.values()) {
    out.push({ kind: 'function', name: f.name, doc: f.doc, args: argDocs(f.args), freeArgs: !!f.freeArgs, ...(f.isAggregate ? { isAggregate: true } : {}) });
  }
  return out.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

/** A call signature: `range(end: int, start?: int, step?: int)`. */
export function signature(e: EntryDoc): string {
  const args = e.args.map((a) => `${a.name}${a.required ? '' : '?'}: ${a.type}`);
  if (e.freeArgs) args.push('...');
  return `${e.name}(${args.join(', ')})`;
}

/** Markdown reference for a list of entries. */
export function docsMarkdown(entries: readonly EntryDoc[]): string {
  const lines: string[] = [];
  for (const kind of ['plugin', 'function'] as const) {
    const list = entries.filter((e) => e.kind === kind);
    if (!list.length) continue;
    lines.push(`## ${kind === 'plugin' ? 'Plugins' : 'Functions'}`, '');
    for (const e of list) {
      const tags = [e.isAggregate ? 'aggregate' : '', e.category === 'event' ? 'event: never ends' : ''].filter(Boolean);
      lines.push(`### ${e.name}${tags.length ? ` (${tags.join(', ')})` : ''}`, '', e.doc, '');
      if (e.args.length) {
        lines.push('| argument | type | required | description |', '|---|---|---|---|');
        for (const a of e.args) lines.push(`| ${a.name} | ${a.type} | ${a.required ? 'yes' : ''} | ${a.doc}${a.default ? ` (default ${a.default})` : ''} |`);
        lines.push('');
      }
      if (e.freeArgs) lines.push('Takes any named arguments.', '');
    }
  }
  return lines.join('\n');
}

/** Plain-text reference for a terminal. */
export function docsText(entries: readonly EntryDoc[]): string {
  const out: string[] = [];
  for (const e of entries) {
    out.push(`${e.kind} ${signature(e)}${e.isAggregate ? '  [aggregate]' : ''}${e.category === 'event' ? '  [event]' : ''}`);
    out.push(`    ${e.doc}`);
    for (const a of e.args) out.push(`    ${a.name.padEnd(12)} ${a.type.padEnd(8)} ${a.required ? 'required ' : ''}${a.doc}${a.default ? ` (default ${a.default})` : ''}`);
    out.push('');
  }
  return out.join('\n');
}
