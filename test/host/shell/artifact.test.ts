// Velociraptor's Linux.Sys.BashShell, run unchanged from ../shared/velociraptor-artifacts
// through the artifact runner: the stateful source (shell_session) and the stateless one
// (execve), and without the execve opt-in.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Repository, installArtifactPlugins, runArtifact } from '../../../main/artifacts/index.ts';
import { createHostRegistry } from '../../../main/host/index.ts';
import { toJSON, type Value } from '../../../main/vql/index.ts';
import { SHELL_DISABLED } from '../../../main/host/shell/shell_session.ts';
import { EXECVE_DISABLED } from '../../../main/host/system/execve.ts';
import { alive, waitFor } from './helpers.ts';

const CORPUS = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts/', import.meta.url));
const skip = !existsSync(CORPUS)
  ? `../shared/velociraptor-artifacts is absent (${CORPUS}): Linux.Sys.BashShell not run`
  : process.platform !== 'linux' ? 'Linux.Sys.BashShell needs bash (Linux)' : false;
if (skip) console.log(`# ${skip}`);

type Row = Record<string, unknown>;
const COLUMNS = ['Command', 'CommandId', 'Timestamp', 'Stdout', 'StdoutUpload', 'Stderr', 'StderrUpload', '_Source'];

describe('Linux.Sys.BashShell', { skip }, () => {
  let repo: Repository;
  before(() => {
    repo = new Repository({ definitions: [CORPUS] });
  });

  async function collect(params: Record<string, string>, allowExecve = true, signal = new AbortController().signal): Promise<{ rows: Row[]; logs: string[] }> {
    const registry = createHostRegistry({ allowExecve });
    installArtifactPlugins(registry, repo);
    const a = repo.get('Linux.Sys.BashShell');
    assert.ok(a, 'Linux.Sys.BashShell is in the corpus');
    const rows: Value[] = [];
    const logs: string[] = [];
    for await (const batch of runArtifact(repo, a, new Map(Object.entries(params)), { registry, signal, preconditions: true, log: (l, m) => logs.push(`${l}: ${m}`) })) {
      rows.push(...batch);
    }
    return { rows: JSON.parse(toJSON(rows)) as Row[], logs };
  }

  test('stateful (a shell session): the ack row, the command, its output; the session ends when bash exits', async () => {
    const { rows, logs } = await collect({ Command: 'echo hello; echo err >&2; exit', CommandId: '7' });
    for (const r of rows) assert.deepEqual(Object.keys(r).filter((k) => k !== 'CommandId'), COLUMNS.filter((k) => k !== 'CommandId'));
    assert.equal(rows[0]!.Command, '');
    assert.equal(rows[0]!.CommandId, '7');
    assert.equal(rows[1]!.Command, 'echo hello; echo err >&2; exit\n');
    assert.equal(rows.map((r) => r.Stdout).join(''), 'hello\n');
    assert.equal(rows.map((r) => r.Stderr).join(''), 'err\n');
    for (const r of rows) assert.match(String(r.Timestamp), /^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    const text = logs.join('\n');
    assert.match(text, /info: Started session F\.[0-9A-V]{13} with command echo hello; echo err >&2; exit and timeout 3500/);
    assert.doesNotMatch(text, /error|_SessionId/, 'no error, and _SessionId is defined');
  });

  test('stateful: Timeout ends the session and kills bash and what it started', async () => {
    const { rows } = await collect({ Command: 'sleep 60 & echo $$ $!', Timeout: '1' });
    const pids = rows.map((r) => r.Stdout).join('').trim().split(/\s+/).map(Number);
    assert.equal(pids.length, 2);
    assert.ok(await waitFor(() => pids.every((p) => !alive(p)), 10_000), `processes ${pids.join(', ')} are gone`);
  });

  test('stateful: cancelling the collection kills the shell', async () => {
    const ac = new AbortController();
    const registry = createHostRegistry({ allowExecve: true });
    installArtifactPlugins(registry, repo);
    let pid = 0;
    for await (const batch of runArtifact(repo, repo.get('Linux.Sys.BashShell')!, new Map([['Command', 'echo $$']]), { registry, signal: ac.signal, preconditions: true, log: () => {} })) {
      for (const r of batch) {
        const out = String(r.get('Stdout') ?? '').trim();
        if (out !== '') {
          pid = Number(out);
          assert.ok(alive(pid), 'bash runs');
          ac.abort();
        }
      }
    }
    assert.ok(pid > 0);
    assert.ok(await waitFor(() => !alive(pid), 10_000), `bash ${pid} is gone`);
  });

  test('stateless (Stateful=N): execve of bash -c, the command row then its output', async () => {
    const { rows, logs } = await collect({ Command: 'echo hello', Stateful: 'N' });
    assert.equal(rows.length, 2, JSON.stringify(rows));
    assert.equal(rows[0]!.Command, 'echo hello');
    assert.equal(rows[1]!.Stdout, 'hello\n');
    assert.equal(rows[1]!.Stderr, '');
    assert.doesNotMatch(logs.join('\n'), /error/);
  });

  for (const stateful of ['Y', 'N']) {
    test(`without the execve opt-in (Stateful=${stateful}): refusals in the log, only the ack row, nothing run`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vql-bashshell-'));
      const marker = join(dir, 'ran');
      const { rows, logs } = await collect({ Command: `touch ${marker}`, Stateful: stateful }, false);
      assert.equal(existsSync(marker), false, 'the command did not run');
      rmSync(dir, { recursive: true, force: true });
      assert.equal(rows.length, 1, JSON.stringify(rows));
      assert.equal(rows[0]!.Stdout, '');
      const errors = logs.filter((l) => l.startsWith('error: '));
      assert.ok(errors.length > 0);
      for (const e of errors) assert.ok(e === `error: ${SHELL_DISABLED}` || e === `error: ${EXECVE_DISABLED}`, e);
    });
  }
});
