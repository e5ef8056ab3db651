// Declarations feed docs; lambdas compile through the public API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session, compileLambda, createRegistry, describeRegistry, docsMarkdown, signature } from '../../main/vql/index.ts';

test('every builtin plugin and function is documented with typed arguments', () => {
  const entries = describeRegistry(createRegistry());
  assert.ok(entries.length >= 20);
  for (const e of entries) {
    assert.ok(e.doc.length > 10, `${e.kind} ${e.name} has a description`);
    for (const a of e.args) {
      assert.ok(a.doc.length > 0, `${e.name}(${a.name}) has a description`);
      assert.match(a.type, /^(string|int|float|bool|strings|any|lazy|query|time)$/);
    }
  }
  const range = entries.find((e) => e.name === 'range' && e.kind === 'plugin')!;
  assert.equal(signature(range), 'range(start?: int, end: int, step?: int)');
  const md = docsMarkdown(entries);
  assert.match(md, /## Plugins[\s\S]*### clock \(event: never ends\)/);
  assert.match(md, /### count \(aggregate\)/);
});

test('lambdas bind parameters positionally over the caller scope', async () => {
  const session = new Session({ registry: createRegistry(), vars: { Base: 10 } });
  const add = compileLambda('x, y => x + y + Base');
  assert.equal(await add(session.scope, 1, 2), 13);
  const logs: string[] = [];
  const s2 = new Session({ registry: createRegistry(), log: (_l, m) => logs.push(m) });
  assert.equal(await add(s2.scope, 1), null);
  assert.match(logs.join('\n'), /expected 2 argument\(s\), got 1/);
  assert.throws(() => compileLambda('x => '), { code: 'ParseError' });
});
