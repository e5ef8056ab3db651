// shell_session() / shell_session_control(): real shells (sh, bash) with pipes; the transcript
// streamed by the session's Query; the program (and what it started) killed when the session
// ends; nothing run without the execve opt-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, toJSON, type VDict } from '../../../main/vql/index.ts';
import { SHELL_DISABLED } from '../../../main/host/shell/shell_session.ts';
import { alive, column, query, sessionName, shellRegistry, waitFor } from './helpers.ts';

const posix = process.platform !== 'win32';
const linux = process.platform === 'linux';

test('without the execve opt-in: a clear refusal, NULL, and nothing runs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vql-shell-'));
  try {
    const marker = join(dir, 'ran');
    const name = sessionName();
    const { rows, logs } = await query(
      `LET S <= shell_session(name='${name}', argv=['sh', '-c', 'touch ${marker}'])
       SELECT S, shell_session_control(name='${name}', stdin='echo hi\\n') AS C FROM scope()`,
      shellRegistry(false),
    );
    assert.equal(toJSON(rows), '[{"S":null,"C":null}]');
    assert.deepEqual(logs, [`error: ${SHELL_DISABLED}`, `error: ${SHELL_DISABLED}`]);
    assert.match(SHELL_DISABLED, /--allow-execve.*'Allow artifacts to run programs'/);
    assert.equal(existsSync(marker), false, 'the program did not run');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a command sent to bash: Stdin row then its Stdout; stderr captured; exit ends the Query', { skip: !posix }, async () => {
  const name = sessionName();
  const { rows, logs } = await query(`
    LET S <= shell_session(name='${name}', argv=['bash'])
    LET _ <= shell_session_control(name='${name}', stdin='echo hi\\n')
    LET _ <= shell_session_control(name='${name}', stdin='echo oops >&2; exit 3\\n')
    SELECT * FROM foreach(row=S.Query)`);
  assert.deepEqual(rows.map((r) => [...r.keys()]), rows.map(() => ['Stdin', 'Stdout', 'Stderr']));
  assert.deepEqual(rows.slice(0, 2).map((r) => r.get('Stdin')), ['echo hi\n', 'echo oops >&2; exit 3\n']);
  assert.equal(column(rows, 'Stdout'), 'hi\n');
  assert.equal(column(rows, 'Stderr'), 'oops\n');
  // Each row carries one event: the other columns are ''.
  for (const r of rows) assert.equal([r.get('Stdin'), r.get('Stdout'), r.get('Stderr')].filter((x) => x !== '').length, 1);
  assert.ok(logs.some((l) => l === `info: shell_session: session ${name}: bash exited (status 3)`), logs.join('\n'));
});

test('IsRunning: FALSE on the call that starts the session, TRUE on later calls with the name', { skip: !posix }, async () => {
  const name = sessionName();
  const { rows } = await query(`
    LET A <= shell_session(name='${name}', argv=['sh'])
    LET B <= shell_session(name='${name}', argv=['sh'])
    LET _ <= shell_session_control(name='${name}', stdin='exit\\n')
    SELECT A.IsRunning AS A, B.IsRunning AS B, A.Pid = B.Pid AS Same, A.Name AS Name FROM scope()`);
  assert.equal(toJSON(rows), `[{"A":false,"B":true,"Same":true,"Name":"${name}"}]`);
});

test('a later query writes to the session an earlier query streams (the stateful artifact flow)', { skip: !posix }, async () => {
  const name = sessionName();
  const registry = shellRegistry();
  const first = run(`
    LET S <= shell_session(name='${name}', argv=['sh'])
    LET _ <= shell_session_control(name='${name}', stdin='echo ready\\n')
    SELECT S.IsRunning AS IsRunning, * FROM foreach(row=S.Query)`, { registry })[Symbol.asyncIterator]();
  const seen: VDict[] = [];
  const next = async () => {
    const r = await first.next();
    assert.ok(!r.done, 'the first query is still streaming');
    seen.push(r.value);
    return r.value;
  };
  while ((await next()).get('Stdout') !== 'ready\n');
  const second = await query(`
    LET S <= shell_session(name='${name}', argv=['sh'])
    SELECT S.IsRunning AS IsRunning, shell_session_control(name='${name}', stdin='echo from-second; exit\\n') AS Sent FROM scope()`, registry);
  assert.equal(toJSON(second.rows), '[{"IsRunning":true,"Sent":true}]');
  for (let r = await first.next(); !r.done; r = await first.next()) seen.push(r.value);
  assert.equal(column(seen, 'Stdout'), 'ready\nfrom-second\n');
  assert.ok(seen.some((r) => r.get('Stdin') === 'echo from-second; exit\n'));
  assert.ok(seen.every((r) => r.get('IsRunning') === false), 'the first query saw the session it started');
});

for (const how of ['cancel', 'LIMIT', 'query(timeout)'] as const) {
  test(`when the reader stops (${how}) the shell and what it started are killed`, { skip: !linux }, async () => {
    const name = sessionName();
    const ac = new AbortController();
    const reader = how === 'query(timeout)'
      ? `SELECT * FROM query(query={ SELECT * FROM foreach(row=S.Query) }, timeout=1)`
      : `SELECT * FROM foreach(row=S.Query) WHERE Stdout ${how === 'LIMIT' ? 'LIMIT 1' : ''}`;
    const text = `
      LET S <= shell_session(name='${name}', argv=['bash'])
      LET _ <= shell_session_control(name='${name}', stdin='sleep 60 & echo $$ $!\\n')
      SELECT * FROM chain(a={ SELECT S.Pid AS Pid FROM scope() }, b={ ${reader} })`;
    const pids: number[] = [];
    let shellPid = 0;
    for await (const row of run(text, { registry: shellRegistry(), signal: ac.signal })) {
      if (row.has('Pid')) {
        shellPid = Number(row.get('Pid'));
        continue;
      }
      const out = String(row.get('Stdout') ?? '');
      if (out === '') continue;
      pids.push(...out.trim().split(/\s+/).map(Number));
      assert.equal(pids[0], shellPid, 'the shell reported its own pid');
      assert.ok(alive(pids[0]!) && alive(pids[1]!), 'the shell and its sleep run');
      if (how === 'cancel') ac.abort();
    }
    assert.equal(pids.length, 2);
    assert.ok(await waitFor(() => !alive(pids[0]!) && !alive(pids[1]!), 10_000), `processes ${pids.join(', ')} are gone`);
    // The name is free again: the next call starts a new session.
    const again = await query(`
      LET S <= shell_session(name='${name}', argv=['sh'])
      SELECT S.IsRunning AS IsRunning, S.Pid != ${pids[0]} AS NewPid, shell_session_control(name='${name}', kill=TRUE) AS Killed FROM scope()`);
    assert.equal(toJSON(again.rows), '[{"IsRunning":false,"NewPid":true,"Killed":true}]');
  });
}

test('a session nobody reads ends when the query that started it is cancelled', { skip: !linux }, async () => {
  const name = sessionName();
  const ac = new AbortController();
  const { rows } = await query(`SELECT shell_session(name='${name}', argv=['sleep', '60']).Pid AS Pid FROM scope()`, shellRegistry(), ac.signal);
  const pid = Number(rows[0]!.get('Pid'));
  assert.ok(pid > 0 && alive(pid), 'the program runs after the query returned');
  ac.abort();
  assert.ok(await waitFor(() => !alive(pid), 10_000), `process ${pid} is gone`);
  const after = await query(`SELECT shell_session_control(name='${name}', stdin='x') AS C FROM scope()`);
  assert.equal(toJSON(after.rows), '[{"C":null}]');
  assert.match(after.logs.join('\n'), new RegExp(`error: shell_session_control: no running shell session named "${name}": start it with shell_session`));
});

test('shell_session_control: close ends a shell after what it read; kill ends the session', { skip: !linux }, async () => {
  const closing = sessionName();
  const closed = await query(`
    LET S <= shell_session(name='${closing}', argv=['sh'])
    LET _ <= shell_session_control(name='${closing}', stdin='echo last\\n', close=TRUE)
    SELECT * FROM foreach(row=S.Query)`);
  assert.equal(column(closed.rows, 'Stdout'), 'last\n');
  const killing = sessionName();
  const killed = await query(`
    LET S <= shell_session(name='${killing}', argv=['sleep', '60'])
    SELECT S.Pid AS Pid, shell_session_control(name='${killing}', kill=TRUE) AS Killed, { SELECT * FROM foreach(row=S.Query) } AS Rows FROM scope()`);
  const pid = Number(killed.rows[0]!.get('Pid'));
  assert.equal(killed.rows[0]!.get('Killed'), true);
  // No transcript rows: a subquery without rows is NULL.
  assert.equal(killed.rows[0]!.get('Rows'), null);
  assert.ok(await waitFor(() => !alive(pid), 10_000), `process ${pid} is gone`);
});

test('env and cwd reach the program', { skip: !posix }, async () => {
  const name = sessionName();
  const { rows } = await query(`
    LET S <= shell_session(name='${name}', argv=['sh'], env=dict(VQL_SHELL_TEST='x y'), cwd='/')
    LET _ <= shell_session_control(name='${name}', stdin='echo $VQL_SHELL_TEST; pwd; exit\\n')
    SELECT * FROM foreach(row=S.Query)`);
  assert.equal(column(rows, 'Stdout'), 'x y\n/\n');
});

test('length caps the bytes of output per row; UTF-8 split across rows is decoded whole', { skip: !posix }, async () => {
  const name = sessionName();
  const { rows } = await query(`
    LET S <= shell_session(name='${name}', argv=['sh'], length=3)
    LET _ <= shell_session_control(name='${name}', stdin="printf '0123456789é€'; exit\\n")
    SELECT Stdout FROM foreach(row=S.Query) WHERE Stdout`);
  assert.equal(rows.map((r) => r.get('Stdout')).join(''), '0123456789é€');
  for (const r of rows) assert.ok(Buffer.byteLength(String(r.get('Stdout'))) <= 4, `row ${JSON.stringify(r.get('Stdout'))} is at most 3 bytes plus a completed character`);
  assert.ok(rows.length >= 5, 'output cut into rows');
});

test('only one reader at a time: a second reader gets an error and no rows', { skip: !posix }, async () => {
  const name = sessionName();
  const { rows, logs } = await query(`
    LET S <= shell_session(name='${name}', argv=['sh'])
    LET _ <= shell_session_control(name='${name}', stdin='echo one; exit\\n')
    SELECT * FROM foreach(row=S.Query, query={ SELECT Stdout, { SELECT * FROM foreach(row=S.Query) } AS Inner FROM scope() }) WHERE Stdout`);
  assert.equal(toJSON(rows), '[{"Stdout":"one\\n","Inner":null}]');
  assert.ok(logs.some((l) => l.startsWith(`error: shell_session: the Query of session ${name} is already being read`)), logs.join('\n'));
});

test('printing a session shows it without reading its transcript', { skip: !posix }, async () => {
  const name = sessionName();
  const { rows } = await query(`
    SELECT shell_session(name='${name}', argv=['sh']) AS S, shell_session_control(name='${name}', stdin='exit\\n') AS C FROM scope()`);
  const s = JSON.parse(toJSON(rows))[0].S;
  assert.deepEqual(Object.keys(s), ['Name', 'Pid', 'IsRunning', 'Argv']);
  assert.equal(s.IsRunning, false);
  assert.deepEqual(s.Argv, ['sh']);
});

test('bad input: a missing program, an empty argv or name, no such session: errors naming it, NULL', async () => {
  const name = sessionName();
  const { rows, logs } = await query(`
    SELECT shell_session(name='${name}', argv=['no-such-program-vql-test']) AS Missing,
           shell_session(name='${name}', argv=[]) AS Empty,
           shell_session(name='', argv=['sh']) AS NoName,
           shell_session_control(name='${name}', stdin='x') AS Control
    FROM scope()`);
  assert.equal(toJSON(rows), '[{"Missing":null,"Empty":null,"NoName":null,"Control":null}]');
  const text = logs.join('\n');
  assert.match(text, new RegExp(`error: shell_session: cannot start argv \\["no-such-program-vql-test"\\] for session ${name}: .*ENOENT`));
  assert.match(text, new RegExp(`error: shell_session: argv is empty for session ${name}`));
  assert.match(text, /error: shell_session: name is empty/);
  assert.match(text, new RegExp(`error: shell_session_control: no running shell session named "${name}"`));
});

test('version(function="shell_session") is 1, as the artifacts\' preconditions expect', async () => {
  const { rows } = await query(`SELECT version(function='shell_session') AS V, version(function='shell_session_control') AS C FROM scope()`);
  assert.equal(toJSON(rows), '[{"V":1,"C":1}]');
});
