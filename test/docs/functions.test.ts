// The manual lists every plugin and function the engine has (issue 10: "the README's manual lists
// every Velociraptor function and plugin we have"): each registered name appears in docs/*.md as
// `name(` or `name` in code. A new function without a line in the manual fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createHostRegistry } from '../../main/host/index.ts';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));

test('every plugin and function of the engine is in the manual (docs/*.md)', () => {
  const text = readdirSync(DOCS).filter((f) => f.endsWith('.md')).map((f) => readFileSync(DOCS + f, 'utf8')).join('\n');
  const registry = createHostRegistry({});
  const missing: string[] = [];
  for (const [kind, names] of [['plugin', registry.plugins.keys()], ['function', registry.functions.keys()]] as const) {
    for (const name of names) if (!text.includes('`' + name + '(') && !text.includes('`' + name + '`')) missing.push(`${kind} ${name}`);
  }
  assert.deepEqual(missing, [], 'not in docs/*.md: add each to docs/host-functions.md (or docs/language.md for builtins), with its OS');
});
