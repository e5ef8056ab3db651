// What `vql query` prints where: raw cells (as Velociraptor writes them) to files and pipes; no
// raw escape sequences to a terminal (a real pseudo-terminal through util-linux `script`); the
// text table never carries them; `--neutralize-formulas` makes CSV safe for a spreadsheet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { neutralizeFormula, terminalSafe } from '../../main/text/safe-text.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vql.js');
const built = existsSync(join(ROOT, 'dist', 'cli.js'));
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

// ESC [2J (clear screen), an OSC 0 window title, a C1 CSI (U+009B), a right-to-left override:
// evidence text, given to the query as a scope variable.
const EVIL = '\u001b[2JX\u001b]0;pwned\u0007Y\u009b31mZ\u202e';
const QUERY = 'SELECT Evil, "=cmd|calc" AS Formula FROM scope()';
const ENV = { ...process.env, EVIL_TEXT: EVIL };

function vql(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: ENV });
}

test('terminalSafe shows control, C1 and bidi characters as escapes, keeps tab, LF, CR and text', () => {
  assert.equal(terminalSafe('a\u001b[2Jb\u0007c\u009bd\u202ee\tf\ng\r'), 'a\\u001b[2Jb\\u0007c\\u009bd\\u202ee\tf\ng\r');
  assert.equal(terminalSafe('plain ünïcødé 😀'), 'plain ünïcødé 😀');
  assert.equal(neutralizeFormula('=1+2'), "'=1+2");
  assert.equal(neutralizeFormula('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(neutralizeFormula('safe'), 'safe');
});

test('to a file or a pipe the cells stay raw; to a terminal no ESC, BEL, C1 or bidi override gets through', { skip: !built ? 'needs npm run build' : !hasScript ? 'needs util-linux script' : false }, () => {
  const piped = vql('query', '--format', 'csv', '--env', `Evil=${EVIL}`, QUERY);
  assert.equal(piped.status, 0, piped.stderr);
  assert.ok(piped.stdout.includes('\u001b[2J') && piped.stdout.includes('\u009b') && piped.stdout.includes('\u202e'), 'raw cells in a pipe');
  const dir = mkdtempSync(join(tmpdir(), 'vql-tty-'));
  for (const format of ['csv', 'text', 'json', 'jsonl']) {
    const log = join(dir, `${format}.log`);
    // `script` runs the command on a pseudo-terminal and copies what it printed into the log file.
    const cmd = `${process.execPath} ${BIN} query --format ${format} --env "Evil=$EVIL_TEXT" '${QUERY}'`;
    const r = spawnSync('script', ['-qec', cmd, log], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: ENV });
    assert.equal(r.status, 0, `${format}: ${r.stdout}${r.stderr}`);
    const seen = readFileSync(log, 'utf8').replace(/^Script started.*\n/, '').replace(/\nScript done.*\n?$/, '');
    assert.doesNotMatch(seen, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e]/, `${format}: nothing raw on the terminal`);
    assert.match(seen, /\\u001b/, `${format}: the escape is shown`);
  }
  // The text table is for people: no raw escapes even when redirected.
  const table = vql('query', '--format', 'text', '--env', `Evil=${EVIL}`, QUERY);
  assert.doesNotMatch(table.stdout, /\u001b|\u009b|\u202e/);
});

test('--neutralize-formulas: CSV cells and headers a spreadsheet would run get a leading quote', { skip: !built ? 'needs npm run build' : false }, () => {
  const plain = vql('query', '--format', 'csv', `SELECT '=cmd|calc' AS Formula, '@SUM(1)' AS At, '-5' AS Minus, 'ok' AS \`=Head\` FROM scope()`);
  assert.equal(plain.stdout, 'Formula,At,Minus,=Head\n=cmd|calc,@SUM(1)," -5",ok\n', 'raw cells by default, as Velociraptor writes them');
  const safe = vql('query', '--format', 'csv', '--neutralize-formulas', `SELECT '=cmd|calc' AS Formula, '@SUM(1)' AS At, '-5' AS Minus, 'ok' AS \`=Head\` FROM scope()`);
  assert.equal(safe.status, 0, safe.stderr);
  assert.equal(safe.stdout, "Formula,At,Minus,'=Head\n'=cmd|calc,'@SUM(1),\" -5\",ok\n");
  const wrong = vql('query', '--format', 'json', '--neutralize-formulas', 'SELECT 1 FROM scope()');
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.stderr, /--neutralize-formulas applies to --format csv/);
});

test('--format text fits the table to the width: the widest columns are narrowed first, never below 8', async () => {
  const { fitWidths, renderTable } = await import('../../main/cli/output.ts');
  const { VDict } = await import('../../main/vql/index.ts');
  assert.deepEqual(fitWidths([3, 10, 200], 80), [3, 10, 57]);
  assert.deepEqual(fitWidths([50, 50, 4], 60), [23, 23, 4]);
  assert.deepEqual(fitWidths([30, 30], 10), [8, 8], 'too narrow a terminal: 8 each, the table overflows');
  const row = new VDict([['Pid', 1], ['CommandLine', 'x'.repeat(300)], ['Name', 'systemd']]);
  const table = renderTable([row], 'caption', 100);
  for (const line of table.split('\n').slice(0, 5)) assert.ok(line.length <= 100, `${line.length}: ${line}`);
  assert.match(table, /\| systemd \|/, 'short columns keep their text whole');
  assert.match(table, /x\.\.\. \|/);
});
