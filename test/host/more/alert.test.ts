// alert(): an ALERT line in the query log with the alert as JSON; condition and dedup hold it back.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, toJSON } from '../../../main/vql/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { Repository, installArtifactPlugins } from '../../../main/artifacts/index.ts';
import { query } from './helpers.ts';

const DIR = mkdtempSync(join(tmpdir(), 'vql-alert-test-'));
after(() => rmSync(DIR, { recursive: true, force: true }));

/** The alerts of a log, decoded. */
function alerts(logs: string[]): Array<Record<string, any>> {
  return logs.filter((l) => l.startsWith('warn: ALERT:')).map((l) => JSON.parse(l.slice('warn: ALERT:'.length)));
}

test('alert() logs the alert with its extra arguments as event data, once per name within dedup', async () => {
  const before = Date.now();
  const { rows, logs } = await query(`SELECT _value AS N, alert(name='Seen', Pid=_value, Exe='x.exe') AS Sent FROM range(start=1, end=4)`);
  assert.deepEqual(rows, [{ N: 1, Sent: true }, { N: 2, Sent: false }, { N: 3, Sent: false }]);
  const got = alerts(logs);
  assert.equal(got.length, 1, logs.join('\n'));
  assert.equal(got[0].name, 'Seen');
  assert.deepEqual(got[0].event_data, { Pid: 1, Exe: 'x.exe' });
  assert.deepEqual(Object.keys(got[0]), ['name', 'timestamp', 'artifact', 'flow_id', 'event_data']);
  const t = Date.parse(got[0].timestamp);
  assert.ok(t >= before - 1000 && t <= Date.now() + 1000, got[0].timestamp);
});

test('alert(dedup=-1) raises every time; another name is not held back by the first; condition=FALSE raises nothing', async () => {
  const { rows, logs } = await query(`SELECT alert(name='A', dedup=-1, N=_value) AS A, alert(name='B', N=_value) AS B,
  alert(name='C', condition=_value > 2, N=_value) AS C FROM range(start=1, end=4)`);
  assert.deepEqual(rows, [{ A: true, B: true, C: false }, { A: true, B: false, C: false }, { A: true, B: false, C: true }]);
  const got = alerts(logs).map((a) => `${a.name}${a.event_data.N}`);
  assert.deepEqual(got, ['A1', 'B1', 'A2', 'A3', 'C3']);
});

test('alert() inside an artifact names the artifact and the flow', async () => {
  writeFileSync(join(DIR, 'Alerting.yaml'), `name: Test.Alerting
sources:
  - query: SELECT alert(name='Hit', Value=1) AS Sent FROM scope()
`);
  const registry = createHostRegistry();
  installArtifactPlugins(registry, new Repository({ builtinDir: null, definitions: [DIR] }));
  const logs: string[] = [];
  const rows = await collect(`SELECT Sent FROM Artifact.Test.Alerting()`, { registry, log: (l, m) => logs.push(`${l}: ${m}`) });
  assert.deepEqual(JSON.parse(toJSON(rows)), [{ Sent: true }]);
  const [a] = alerts(logs);
  assert.equal(a.artifact, 'Test.Alerting');
  assert.match(a.flow_id, /^F\./);
  assert.deepEqual(a.event_data, { Value: 1 });
});

test('alert() without a name is an argument error, and the query goes on', async () => {
  const { rows, logs } = await query(`SELECT alert(Value=1) AS Sent, 2 AS Next FROM scope()`);
  assert.deepEqual(rows, [{ Sent: null, Next: 2 }]);
  assert.ok(logs.some((l) => /alert/.test(l) && /name/.test(l)), logs.join('\n'));
});
