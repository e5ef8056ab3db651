// The app service over the typed contract, without any transport: what the renderer will see.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppService } from '../../main/app/service.ts';
import type { Push } from '../../main/ipc/contract.ts';

function service() {
  const pushes: Array<{ channel: keyof Push; args: unknown[] }> = [];
  const dir = mkdtempSync(join(tmpdir(), 'vql-app-'));
  const s = new AppService({ userArtifacts: join(dir, 'artifacts'), push: (channel, ...args) => pushes.push({ channel, args }), batchMs: 20 });
  const done = (id: string) =>
    new Promise<{ rows: number; cancelled: boolean; error?: { message: string } }>((resolve) => {
      const t = setInterval(() => {
        const d = pushes.find((p) => p.channel === 'vql:done' && p.args[0] === id);
        if (d) {
          clearInterval(t);
          resolve(d.args[1] as { rows: number; cancelled: boolean });
        }
      }, 10);
    });
  const rows = (id: string) => pushes.filter((p) => p.channel === 'vql:rows' && p.args[0] === id).flatMap((p) => (p.args[1] as string[]).map((r) => JSON.parse(r)));
  return { s, pushes, done, rows, dir };
}

test('vql:check reports a syntax error with its line and column; vql:run replies with its span', async () => {
  const { s } = service();
  const r = await s.invoke('vql:check', 'SELECT * FROM range(end=3)\nWHERE');
  assert.ok(r.ok);
  assert.deepEqual(r.value.map((p) => [p.line, p.column]), [[2, 6]]);
  const run = await s.invoke('vql:run', { query: 'SELECT * FROM range(end=3) WHERE' });
  assert.equal(run.ok, false);
  if (!run.ok) {
    assert.equal(run.error.code, 'ParseError');
    assert.equal(run.error.span?.line, 1);
    assert.equal(run.error.span?.column, 33);
  }
});

test('vql:check: unknown plugins, functions, arguments and artifacts are warnings at the name', async () => {
  const { s } = service();
  const r = await s.invoke('vql:check', 'SELECT * FROM pslit()');
  assert.ok(r.ok);
  assert.deepEqual(r.value, [{ line: 1, column: 15, severity: 'warning', message: 'unknown plugin pslit: did you mean pslist?' }]);
  const q = 'LET procs = SELECT * FROM pslist()\nSELECT lenn(list=Name) FROM procs()\nSELECT * FROM Artifact.Generic.Client.Stat(Frequency=1)\nSELECT * FROM range(ends=2)';
  const many = await s.invoke('vql:check', q);
  assert.ok(many.ok);
  assert.deepEqual(many.value.map((p) => `${p.line}:${p.column} ${p.severity} ${p.message}`), [
    '2:8 warning unknown function lenn: did you mean len?',
    '3:15 warning unknown artifact Generic.Client.Stat: did you mean Generic.Client.Stats?',
    '4:21 warning unknown argument ends for plugin range(): did you mean end?',
    '4:15 warning plugin range() needs the argument end (int: End value (exclusive))',
  ]);
  const fine = await s.invoke('vql:check', 'LET n = 2\nSELECT * FROM Artifact.Generic.Client.Stats(Frequency=1) WHERE len(list=[n]) LIMIT 1');
  assert.deepEqual(fine, { ok: true, value: [] });
  // A syntax error is still the one problem: the checks need a parsed query.
  const bad = await s.invoke('vql:check', 'SELECT * FROM pslit() WHERE');
  assert.ok(bad.ok);
  assert.deepEqual(bad.value.map((p) => [p.line, p.severity]), [[1, 'error']]);
});

test('artifacts:check: loader problems, then unknown imports (errors) and call warnings at YAML positions', async () => {
  const { s } = service();
  const yaml = 'name: Custom.Checked\nimports: [Custom.Missing]\nparameters:\n  - name: Who\nsources:\n  - query: |\n      SELECT Who, lenn(list=Who)\n      FROM pslit()\n';
  const r = await s.invoke('artifacts:check', yaml);
  assert.ok(r.ok);
  assert.deepEqual(r.value.map((p) => `${p.line}:${p.column} ${p.severity} ${p.message}`), [
    '2:11 error Artifact Custom.Checked imports Custom.Missing which is not known',
    '8:12 warning unknown plugin pslit: did you mean pslist?',
    '7:19 warning unknown function lenn: did you mean len?',
  ]);
  const clean = await s.invoke('artifacts:check', 'name: Custom.Clean\nsources:\n  - query: SELECT * FROM Artifact.Generic.Client.Stats(Frequency=1)\n');
  assert.deepEqual(clean, { ok: true, value: [] });
});

test('vql:run streams rows in batches and ends with a summary', async () => {
  const { s, done, rows } = service();
  const r = await s.invoke('vql:run', { query: 'SELECT _value AS N FROM range(end=1234)' });
  assert.ok(r.ok);
  const summary = await done(r.value);
  assert.equal(summary.rows, 1234);
  assert.equal(summary.cancelled, false);
  assert.deepEqual(rows(r.value).slice(0, 2), [{ N: 0 }, { N: 1 }]);
  assert.equal(rows(r.value).length, 1234);
});

test('vql:cancel stops an endless query', { timeout: 10_000 }, async () => {
  const { s, done } = service();
  const r = await s.invoke('vql:run', { query: 'SELECT * FROM clock(ms=10)' });
  assert.ok(r.ok);
  setTimeout(() => s.cancel(r.value), 100);
  const summary = await done(r.value);
  assert.equal(summary.cancelled, true);
});

test('artifacts: list, get, check, save to the user folder, collect, delete; built-ins are protected', { timeout: 20_000 }, async () => {
  const { s, done, rows, dir } = service();
  const list = await s.invoke('artifacts:list');
  assert.ok(list.ok && list.value.some((a) => a.name === 'Generic.Client.Stats' && a.builtIn));
  const stats = await s.invoke('artifacts:get', 'Generic.Client.Stats');
  assert.ok(stats.ok && stats.value.parameters.some((p) => p.name === 'Frequency' && p.type === 'int'));
  const bad = await s.invoke('artifacts:check', 'name: Custom.X\nsources:\n  - query: SELECT * FROM info() WHERE\n');
  assert.ok(bad.ok && bad.value[0]!.line === 3);
  const yaml = 'name: Custom.Hello\nparameters:\n  - name: Who\n    default: world\nsources:\n  - query: SELECT format(format="hello %s", args=Who) AS Greeting FROM scope()\n';
  const saved = await s.invoke('artifacts:save', yaml);
  assert.ok(saved.ok && saved.value.name === 'Custom.Hello' && !saved.value.builtIn);
  assert.ok(existsSync(join(dir, 'artifacts', 'Custom.Hello.yaml')));
  const run = await s.invoke('artifacts:collect', { artifact: 'Custom.Hello', args: { Who: 'ann' } });
  assert.ok(run.ok);
  await done(run.value);
  assert.deepEqual(rows(run.value), [{ Greeting: 'hello ann', _Source: 'Custom.Hello' }]);
  const denied = await s.invoke('artifacts:delete', 'Generic.Client.Stats');
  assert.equal(denied.ok, false);
  const overwrite = await s.invoke('artifacts:save', (stats.ok && stats.value.raw) || '');
  assert.equal(overwrite.ok, false);
  const del = await s.invoke('artifacts:delete', 'Custom.Hello');
  assert.ok(del.ok);
  const after = await s.invoke('artifacts:get', 'Custom.Hello');
  assert.equal(after.ok, false);
});

test('docs:completions lists plugins and functions with their arguments', async () => {
  const { s } = service();
  const r = await s.invoke('docs:completions');
  assert.ok(r.ok);
  const pslist = r.value.find((e) => e.name === 'pslist' && e.kind === 'plugin');
  assert.ok(pslist && pslist.args.some((a) => a.name === 'pid'));
  assert.ok(r.value.some((e) => e.name === 'format' && e.signature.startsWith('format(')));
});
