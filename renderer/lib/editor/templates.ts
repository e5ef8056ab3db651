/**
 * Artifact YAML the library and the console hand to the editor: new artifacts from a template,
 * a duplicate under a new name, and a console query turned into a CLIENT artifact. Every text
 * produced here loads through the real artifact loader with no problems (tested).
 */

/** The kinds of new artifact the library offers. */
export type TemplateKind = 'CLIENT' | 'CLIENT_EVENT';

/** `base`, or `base2`, `base3`... whichever is not taken yet. */
export function uniqueName(base: string, taken: Iterable<string>): string {
  const names = new Set(taken);
  if (!names.has(base)) return base;
  let i = 2;
  while (names.has(`${base}${i}`)) i++;
  return `${base}${i}`;
}

const TEMPLATES: Record<TemplateKind, { name: string; body: string }> = {
  CLIENT: {
    name: 'Custom.NewArtifact',
    body: `description: |
  What this artifact collects, and why. Shown in the library.
type: CLIENT

parameters:
  - name: ProcessRegex
    description: Keep processes whose name matches this regex.
    type: regex
    default: .

sources:
  - query: |
      SELECT Pid, Name, CommandLine
      FROM pslist()
      WHERE Name =~ ProcessRegex
`,
  },
  CLIENT_EVENT: {
    name: 'Custom.NewEventArtifact',
    body: `description: |
  An event artifact: its query runs until it is stopped and emits rows as things happen.
type: CLIENT_EVENT

parameters:
  - name: Period
    description: Seconds between two rows.
    type: int
    default: "10"

sources:
  - query: |
      SELECT Unix, String AS Time
      FROM clock(period=Period)
`,
  },
};

/** A new artifact of `kind`, named so that it does not clash with `taken`. */
export function artifactTemplate(kind: TemplateKind, taken: Iterable<string>): string {
  const t = TEMPLATES[kind];
  return `name: ${uniqueName(t.name, taken)}\n${t.body}`;
}

const NAME_LINE = /^name:[ \t]*(?:"([^"\n]*)"|'([^'\n]*)'|([^#\n]*?))[ \t]*(?:#.*)?$/m;

/** The artifact name a YAML text declares on its top-level `name:` line, or null. */
export function artifactNameOf(yaml: string): string | null {
  const m = NAME_LINE.exec(yaml);
  const name = m ? (m[1] ?? m[2] ?? m[3] ?? '').trim() : '';
  return name || null;
}

/** The same YAML with its top-level name replaced (comments and layout kept). */
export function renameArtifactYaml(yaml: string, name: string): string {
  return NAME_LINE.test(yaml) ? yaml.replace(NAME_LINE, `name: ${name}`) : `name: ${name}\n${yaml}`;
}

/**
 * The name for a copy of `name`: built-ins get a `Custom.` prefix (what saving a built-in asks
 * for), user artifacts a `Copy` suffix; made unique against `taken`.
 */
export function duplicateName(name: string, taken: Iterable<string>): string {
  return uniqueName(name.startsWith('Custom.') ? `${name}Copy` : `Custom.${name}`, taken);
}

/** A query's text ready for a `query: |` block: LF line ends, no blank edges, dedented. */
export function normalizeQuery(query: string): string {
  const lines = query.replace(/\r\n?/g, '\n').split('\n');
  while (lines.length && !lines[0]!.trim()) lines.shift();
  while (lines.length && !lines[lines.length - 1]!.trim()) lines.pop();
  const indents = lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)![0].length);
  const common = indents.length ? Math.min(...indents) : 0;
  const out = lines.map((l) => l.slice(common).trimEnd());
  // A block scalar takes its indentation from the first line, so that line must not be deeper.
  if (out.length) out[0] = out[0]!.trimStart();
  return out.join('\n');
}

/** `Range` for `SELECT * FROM range(...)`: the first plugin's name in CamelCase, or `Query`. */
function queryWord(query: string): string {
  const plugin = /\bfrom\s+([A-Za-z_]\w*)/i.exec(query)?.[1] ?? '';
  const word = plugin.split('_').filter(Boolean).map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
  return word || 'Query';
}

/**
 * A console query as a new CLIENT artifact (name `Custom.Console.<Plugin>`, unique against
 * `taken`), the query as a literal block under `sources`.
 */
export function queryToArtifact(query: string, taken: Iterable<string>): string {
  const q = normalizeQuery(query) || 'SELECT * FROM info()';
  const name = uniqueName(`Custom.Console.${queryWord(q)}`, taken);
  const block = q.split('\n').map((l) => (l ? `      ${l}` : '')).join('\n');
  return `name: ${name}
description: |
  Saved from the query console.
type: CLIENT

sources:
  - query: |
${block}
`;
}
