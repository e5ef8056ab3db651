// execve(): off unless allowed; no shell; Velociraptor's rows; killed on cancellation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { run, toJSON } from '../../../main/vql/index.ts';
import { EXECVE_DISABLED } from '../../../main/host/system/execve.ts';
import { query, systemRegistry, waitFor } from './helpers.ts';

const posix = process.platform !== 'win32';

test('execve is disabled by default and says how to allow it', async () => {
  const { rows, logs } = await query("SELECT * FROM execve(argv=['/bin/echo', 'hello'])");
  assert.deepEqual(rows, []);
  assert.deepEqual(logs, [`error: ${EXECVE_DISABLED}`]);
  assert.match(EXECVE_DISABLED, /--allow-execve.*'Allow artifacts to run programs'/);
});

test('execve runs /bin/echo hello when allowed: one final row', { skip: !posix }, async () => {
  const { rows, logs } = await query("SELECT * FROM execve(argv=['/bin/echo', 'hello'])", systemRegistry(true));
  assert.deepEqual(logs, []);
  assert.equal(toJSON(rows), '[{"Stdout":"hello\\n","Stderr":"","ReturnCode":0,"Complete":true}]');
});

test('execve passes arguments as they are (no shell), with env and cwd', { skip: !posix }, async () => {
  const registry = systemRegistry(true);
  const literal = await query("SELECT Stdout FROM execve(argv=['/bin/echo', '$HOME; ls *'])", registry);
  assert.equal(literal.rows[0]!.get('Stdout'), '$HOME; ls *\n');
  const env = await query("SELECT Stdout FROM execve(argv=['sh', '-c', 'echo $VQL_TEST_VAR; pwd'], env=dict(VQL_TEST_VAR='x y'), cwd='/')", registry);
  assert.equal(env.rows[0]!.get('Stdout'), 'x y\n/\n');
});

test('execve splits output by length and by sep; the last row has the exit code', { skip: !posix }, async () => {
  const registry = systemRegistry(true);
  const byLength = await query("SELECT * FROM execve(argv=['sh', '-c', 'printf 0123456789abcdefghijKLMNO; echo oops >&2; exit 3'], length=10)", registry);
  assert.equal(
    toJSON(byLength.rows),
    '[{"Stdout":"0123456789","Stderr":"","ReturnCode":0,"Complete":false},' +
      '{"Stdout":"abcdefghij","Stderr":"","ReturnCode":0,"Complete":false},' +
      '{"Stdout":"KLMNO","Stderr":"oops\\n","ReturnCode":3,"Complete":true}]',
  );
  const bySep = await query("SELECT Stdout, Complete FROM execve(argv=['printf', 'a\\nb\\nc'], sep='\\n')", registry);
  assert.equal(toJSON(bySep.rows), '[{"Stdout":"a","Complete":false},{"Stdout":"b","Complete":false},{"Stdout":"c","Complete":true}]');
});

test('execve of a missing program logs an error and emits nothing', async () => {
  const { rows, logs } = await query("SELECT * FROM execve(argv=['no-such-program-vql-test'])", systemRegistry(true));
  assert.deepEqual(rows, []);
  assert.match(logs.join('\n'), /^error: execve: no-such-program-vql-test: .*ENOENT/);
});

test('execve of an empty or NULL program (a lookup that found nothing) says argv[0] is empty, once', async () => {
  for (const argv of ["[NULL, '--json', 'select 1']", "['', '--json']"]) {
    const { rows, logs } = await query(`SELECT * FROM execve(argv=${argv})`, systemRegistry(true));
    assert.deepEqual(rows, []);
    assert.equal(logs.length, 1, logs.join('\n'));
    assert.match(logs[0]!, /^error: execve: argv\[0\] \(the program\) is empty: nothing runs for \["--json".*check the query that was to find the program$/);
  }
});

/** Is `pid` a live process (not gone, not a zombie waiting to be reaped)? */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

for (const how of ['LIMIT', 'abort'] as const) {
  test(`execve kills the program when the query stops (${how})`, { skip: process.platform !== 'linux' }, async () => {
    const ac = new AbortController();
    const q = `SELECT Stdout FROM execve(argv=['sh', '-c', 'echo $$; exec sleep 30'], sep='\\n')${how === 'LIMIT' ? ' LIMIT 1' : ''}`;
    let pid = 0;
    const t0 = Date.now();
    for await (const row of run(q, { registry: systemRegistry(true), signal: ac.signal })) {
      pid = Number(row.get('Stdout'));
      assert.ok(alive(pid), 'the program runs');
      if (how === 'abort') ac.abort();
    }
    assert.ok(pid > 0);
    assert.ok(await waitFor(() => !alive(pid), 3000), `process ${pid} is gone`);
    assert.ok(Date.now() - t0 < 5000);
  });
}
