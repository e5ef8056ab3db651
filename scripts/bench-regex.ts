/**
 * `node --import tsx scripts/bench-regex.ts [--json]`: VQL regex matching speed, in ns per
 * match, for typical artifact patterns and for pathological ones.
 *
 * For each pattern: JavaScript's backtracking RegExp (what VQL used before; the RE2 syntax
 * translated as the old re2ToRegExp did for these patterns), re2js alone (RE2JS.test), and
 * VQL's engine (compileRegex: the proven-linear native subset or re2js). Pathological patterns
 * are timed on the linear engines only, at two input sizes (n and 8n) to show the linear
 * growth; the backtracking RegExp is run on a tiny input only, to show where it already fails.
 * The unit tests (test/vql/regex.test.ts) check behaviour; timings live here.
 */
import { RE2JS } from 're2js';
import { compileRegex } from '../main/vql/regex/engine.ts';

interface Row {
  pattern: string;
  input: string;
  native_ns?: number;
  re2js_ns: number;
  vql_ns: number;
  vql_engine: string;
}

/** Median ns per call of `fn` over the inputs, after a warm-up. */
function nsPerMatch(inputs: readonly string[], fn: (s: string) => boolean): number {
  let sink = 0;
  const round = (reps: number) => {
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < reps; r++) for (const s of inputs) if (fn(s)) sink++;
    return Number(process.hrtime.bigint() - t0) / (reps * inputs.length);
  };
  let reps = 1;
  while (round(reps) * reps * inputs.length < 50e6) reps *= 2; // ~50 ms a round
  const times = Array.from({ length: 7 }, () => round(reps)).sort((a, b) => a - b);
  if (sink < 0) console.log(sink);
  return times[3]!;
}

const lines = Array.from({ length: 1000 }, (_, i) => [
  String(i * 7919),
  `C:\\Windows\\System32\\drivers\\file${i}.sys`,
  `/usr/lib/x86_64-linux-gnu/libfoo${i}.so.1`,
  `user${i}:x:${1000 + i}:${1000 + i}:User ${i}:/home/user${i}:/bin/bash`,
  `"C:\\Program Files\\App${i}\\app.exe" --flag=${i} -Encoded ${'QUJD'.repeat(i % 7)}`,
][i % 5]!);

// [RE2 pattern, the same for JavaScript's RegExp (as re2ToRegExp translated it)]
const typical: Array<[string, string]> = [
  ['^12.*3$', '^12.*3$'],
  ['\\.exe$', '\\.exe$'],
  ['system32', 'system32'],
  ['(cmd|powershell|pwsh)\\.exe', '(cmd|powershell|pwsh)\\.exe'],
  ['^C:\\\\Windows\\\\.*\\.sys$', '^C:\\\\Windows\\\\.*\\.sys$'],
  ['(?i)^/usr/lib/', '^/usr/lib/'],
  ['\\b(bash|zsh)$', '\\b(bash|zsh)$'],
  ['(?P<user>\\w+):x:(?P<uid>\\d+)', '(?<user>\\w+):x:(?<uid>\\d+)'],
  ['-Enc(odedCommand|oded)?\\s+[A-Za-z0-9+/=]{8,}', '-Enc(odedCommand|oded)?\\s+[A-Za-z0-9+/=]{8,}'],
  ['[[:digit:]]{4,}', '[0-9]{4,}'],
];

const rows: Row[] = [];
for (const [pattern, js] of typical) {
  const native = new RegExp(js, 'i');
  const re2 = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
  const vql = compileRegex(pattern, true);
  rows.push({
    pattern,
    input: '1,000 short lines (paths, numbers, passwd, command lines)',
    native_ns: nsPerMatch(lines, (s) => native.test(s)),
    re2js_ns: nsPerMatch(lines, (s) => re2.test(s)),
    vql_ns: nsPerMatch(lines, (s) => vql.test(s)),
    vql_engine: vql.engine,
  });
}

const pathological: Array<[string, (n: number) => string, string]> = [
  ['^(a+)+$', (n) => 'a'.repeat(n) + '!', "a×n + '!'"],
  ['(a|a)*b', (n) => 'a'.repeat(n), 'a×n'],
  ['(x+x+)+y', (n) => 'x'.repeat(n), 'x×n'],
  ['(\\s*)*$', (n) => ' '.repeat(n) + 'x', "' '×n + 'x'"],
  ['.*.*.*=.*', (n) => 'a'.repeat(n), 'a×n'],
];
const SIZES = [12_500, 100_000];
for (const [pattern, make, shape] of pathological) {
  const re2 = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
  const vql = compileRegex(pattern, true);
  for (const n of SIZES) {
    const input = [make(n)];
    rows.push({ pattern, input: `${shape}, n=${n}`, re2js_ns: nsPerMatch(input, (s) => re2.test(s)), vql_ns: nsPerMatch(input, (s) => vql.searcher(s)(0) !== null), vql_engine: vql.engine });
  }
}

// The backtracking engine on the report's input (30 a's and '!'): one call, timed once.
const t0 = process.hrtime.bigint();
const catastrophic = /^(a+)+$/i.test('a'.repeat(24) + '!');
const backtrackMs = Number(process.hrtime.bigint() - t0) / 1e6;

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ rows, backtracking_24_ms: backtrackMs }, null, 1));
} else {
  const fmt = (x?: number) => (x === undefined ? '-' : x >= 1e6 ? `${(x / 1e6).toFixed(1)} ms` : `${Math.round(x)} ns`).padStart(10);
  console.log(`${'pattern'.padEnd(46)} ${'input'.padEnd(58)} ${'RegExp'.padStart(10)} ${'re2js'.padStart(10)} ${'VQL'.padStart(10)}  engine`);
  for (const r of rows) console.log(`${r.pattern.padEnd(46)} ${r.input.padEnd(58)} ${fmt(r.native_ns)} ${fmt(r.re2js_ns)} ${fmt(r.vql_ns)}  ${r.vql_engine}`);
  console.log(`\nJavaScript RegExp, /^(a+)+$/i on 24 a's and '!': ${backtrackMs.toFixed(0)} ms for one match (${catastrophic}); it doubles with each more 'a' (30: about a minute).`);
  console.log('Pathological rows: VQL uses the search with groups (regex_replace, parse_string_with_regex); re2js the boolean test (=~). n and 8n: time per match grows ~8x (linear).');
}
