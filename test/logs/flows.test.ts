// A client's flows in a Velociraptor server datastore (main/logs/flows.ts), built per the
// reference (VELOCIRAPTOR-FORMATS.md 2.2-2.8: fixtures.ts writeFlow): the context and stats
// merged (stats preferred, microsecond times), result sets with rows from the .json.index (a
// Source-split set included), the flow log, uploads with their stored files; a flow whose
// context is garbled or missing listed from its results with a problem naming the file; the
// client listed even without monitoring logs; newest first; `store:flows` through the app's
// handler; nothing written into the datastore.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFlow, writeSnapshot, tree } from './fixtures.ts';
import { clientFlows, sanitizeComponent } from '../../main/logs/flows.ts';
import { DatastoreError, datastoreClients, findDatastore } from '../../main/logs/datastore.ts';
import { eventsHandlers } from '../../main/app/events.ts';
import type { ServiceContext } from '../../main/app/service.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vql-flows-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let seq = 0;
const fresh = () => join(tmp, `ds${++seq}`);

const C = 'C.4f5e52adf0a337a9';
const T0 = Date.parse('2024-05-01T10:00:00Z') / 1000;

/** Three flows: a full one (two artifacts, one Source-split, a log, two uploads), an older one with a garbled context, one with no context at all. */
function datastore() {
  const root = fresh();
  writeSnapshot(root, { [C]: 'WIN-DESK-01' });
  const full = writeFlow(root, C, {
    id: 'F.CP2KSN3R1Q7L0', created: T0 + 3600, artifacts: ['Windows.System.Pslist', 'Windows.Network.NetstatEnriched'],
    results: [
      { artifact: 'Windows.System.Pslist', rows: [{ Pid: 4, Name: 'System' }, { Pid: 812, Name: 'explorer.exe' }, { Pid: 4242, Name: 'cmd.exe' }] },
      { artifact: 'Windows.Network.NetstatEnriched/Netstat', rows: [{ Pid: 812, Laddr: '10.0.0.5:49712' }, { Pid: 4, Laddr: '0.0.0.0:445' }] },
    ],
    logs: ['Starting collection of Windows.System.Pslist', 'Collection is done after 2s'],
    uploads: [{ path: 'C:\\Windows\\System32\\drivers\\etc\\hosts', data: '127.0.0.1 localhost\n' }, { path: 'C:\\Temp\\dump.bin', data: Buffer.from([0x4d, 0x5a, 0, 0, 1, 2]) }],
  });
  const garbled = writeFlow(root, C, {
    id: 'F.CP2A0000000AA', created: T0, artifacts: ['Generic.Client.Info'], context: '{"clientId":"C.4f5e52adf0a337a9","sessionId":"F.CP2A',
    results: [{ artifact: 'Generic.Client.Info/BasicInformation', rows: [{ Hostname: 'WIN-DESK-01' }] }],
  });
  return { root, full, garbled };
}

describe('flows of a client in a Velociraptor datastore', () => {
  test('lists flows newest first with context + stats, result sets (rows from the index), the log and uploads', async () => {
    const { root, full } = datastore();
    const before = tree(root);
    const flows = await clientFlows(root, C);
    assert.deepEqual(flows.map((f) => f.id), ['F.CP2KSN3R1Q7L0', 'F.CP2A0000000AA']);
    const f = flows[0]!;
    assert.equal(f.created, (T0 + 3600) * 1000, 'createTime is microseconds');
    assert.equal(f.started, (T0 + 3601) * 1000, 'startTime from the stats');
    assert.equal(f.state, 'FINISHED', 'the stats state wins over the context (RUNNING)');
    assert.deepEqual(f.artifacts, ['Windows.System.Pslist', 'Windows.Network.NetstatEnriched']);
    assert.deepEqual(f.withResults, ['Windows.System.Pslist', 'Windows.Network.NetstatEnriched/Netstat']);
    assert.equal(f.totalRows, 5);
    assert.deepEqual(f.results.map((r) => [r.artifact, r.rows, r.path]), [
      ['Windows.Network.NetstatEnriched/Netstat', 2, full.results['Windows.Network.NetstatEnriched/Netstat']],
      ['Windows.System.Pslist', 3, full.results['Windows.System.Pslist']],
    ]);
    assert.equal(f.results[1]!.bytes, statSync(full.results['Windows.System.Pslist']!).size);
    assert.deepEqual(f.log && [f.log.path, f.log.rows], [full.log, 2]);
    assert.deepEqual(f.uploads.map((u) => [u.clientPath, u.size, u.path, u.text, u.accessor]), [
      ['C:\\Windows\\System32\\drivers\\etc\\hosts', 20, full.uploads[0], true, 'auto'],
      ['C:\\Temp\\dump.bin', 6, full.uploads[1], false, 'auto'],
    ]);
    assert.match(full.uploads[0]!, /uploads\/auto\/C%3A\/Windows\/System32\/drivers\/etc\/hosts$/);
    assert.deepEqual(f.problems, []);
    assert.deepEqual(tree(root), before, 'nothing is written into the datastore');
  });

  test('a garbled context: the flow is listed from its results (Source-split) and stats, with a problem naming the file', async () => {
    const { root } = datastore();
    const f = (await clientFlows(root, C)).find((x) => x.id === 'F.CP2A0000000AA')!;
    assert.deepEqual(f.results.map((r) => [r.artifact, r.rows]), [['Generic.Client.Info/BasicInformation', 1]]);
    assert.equal(f.state, 'FINISHED');
    assert.deepEqual(f.artifacts, [], 'the request is in the unreadable context');
    assert.equal(f.created, undefined);
    assert.equal(f.started, T0 * 1000 + 1000);
    assert.equal(f.problems.length, 1);
    assert.match(f.problems[0]!, /collections\/F\.CP2A0000000AA\.json\.db: the flow context is not valid JSON .*listed from its files/);
  });

  test('a flow with only results (no collections entry) and a binary context are listed with problems', async () => {
    const root = fresh();
    const only = writeFlow(root, C, { id: 'F.ONLYRESULTS1', created: T0, artifacts: [], context: null, results: [{ artifact: 'Linux.Sys.Users', rows: [{ User: 'root' }] }] });
    rmSync(join(root, 'clients', C, 'collections', 'F.ONLYRESULTS1'), { recursive: true });
    writeFlow(root, C, { id: 'F.BINARYCTX01', created: T0, artifacts: [], context: '\x0a\x12C.4f5e52adf0a337a9', results: [] });
    const flows = await clientFlows(root, C);
    const o = flows.find((x) => x.id === 'F.ONLYRESULTS1')!;
    assert.deepEqual(o.results.map((r) => [r.artifact, r.path, r.rows]), [['Linux.Sys.Users', only.results['Linux.Sys.Users'], 1]]);
    assert.match(o.problems.join('\n'), /F\.ONLYRESULTS1\.json\.db: no flow context/);
    const b = flows.find((x) => x.id === 'F.BINARYCTX01')!;
    assert.match(b.problems.join('\n'), /F\.BINARYCTX01\.json\.db: the flow context is binary protobuf/);
    assert.equal(b.state, 'FINISHED', 'from the stats');
  });

  test('rows without a .json.index are counted by lines; an upload missing from the store is a problem', async () => {
    const root = fresh();
    const w = writeFlow(root, C, { id: 'F.NOINDEX0001', created: T0, artifacts: ['A.B'], results: [{ artifact: 'A.B', rows: [{ x: 1 }, { x: 2 }] }], uploads: [{ path: 'C:\\gone.txt', data: 'x' }] });
    rmSync(w.results['A.B']! + '.index');
    rmSync(w.uploads[0]!);
    const [f] = await clientFlows(root, C);
    assert.equal(f!.results[0]!.rows, 2);
    assert.equal(f!.uploads[0]!.path, undefined);
    assert.match(f!.problems.join('\n'), /uploads\.json:1: the uploaded file C:\\gone\.txt is not in the datastore/);
  });

  test('a client with flows and no monitoring logs is a client of the datastore', async () => {
    const { root } = datastore();
    assert.deepEqual(await datastoreClients(await findDatastore(root)), [C]);
  });

  test('an invalid client id is refused', async () => {
    await assert.rejects(clientFlows(fresh(), '../x'), DatastoreError);
  });

  test('components are escaped as Velociraptor does', () => {
    assert.equal(sanitizeComponent('C:'), 'C%3A');
    assert.equal(sanitizeComponent('hos t:desktop'), 'hos t%3Adesktop');
    assert.equal(sanitizeComponent('.hidden.'), '%2Ehidden%2E');
    assert.equal(sanitizeComponent('x.db'), 'x.db_');
    assert.equal(sanitizeComponent('#tag'), '%23tag');
  });

  test('store:flows through the app handler: the flows, or a BadRequest saying what was wrong', async () => {
    const { root } = datastore();
    const events = eventsHandlers({ opts: { push: () => {} } } as unknown as ServiceContext);
    const r = await events.invoke['store:flows'](join(root, 'clients'), C);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.length, 2);
    const bad = await events.invoke['store:flows']('relative', C);
    assert.ok(!bad.ok && bad.error.code === 'BadRequest' && /absolute path/.test(bad.error.message));
    const badClient = await events.invoke['store:flows'](root, 'nope');
    assert.ok(!badClient.ok && badClient.error.code === 'BadRequest');
    assert.ok(readFileSync(join(root, 'client_info', 'snapshot.json'), 'utf8').includes(C));
  });
});
