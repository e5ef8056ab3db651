/**
 * Number conversions: `int`, `atoi`, `parse_float`, `humanize`. Like Velociraptor (Go's
 * strconv with errors ignored), text that is not a number gives 0.
 */
import { VBytes, VFloat, VTime, type FunctionDef, type Value } from '../../vql/index.ts';
import { makeFloat, normInt } from '../../vql/values/types.ts';
import { isNumeric, toInt, toNumber } from '../../vql/values/kinds.ts';
import { textOf } from './text.ts';

/** Go's strconv.ParseInt(s, 0, 64): sign, then 0x / 0o / 0b / leading-0 octal prefixes. */
export function parseGoInt(text: string): number | bigint | null {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO]?[0-7]+|[1-9]\d*|0)$/.exec(text.replace(/_/g, ''));
  if (!m) return null;
  let digits = m[2]!;
  if (/^0[0-7]/.test(digits)) digits = '0o' + digits.slice(1);
  if (/^0O/.test(digits)) digits = '0o' + digits.slice(2);
  const n = BigInt(digits);
  return normInt(m[1] === '-' ? -n : n);
}

/** A value as an int: numbers truncated, text parsed (then as a float), times as epoch seconds. */
export function intOf(v: Value): number | bigint {
  if (v instanceof VTime) return v.unix;
  if (isNumeric(v)) return toInt(v) ?? 0;
  if (typeof v === 'string' || v instanceof VBytes) {
    const t = textOf(v).trim();
    const n = parseGoInt(t);
    if (n !== null) return n;
    const f = Number(t);
    return t !== '' && Number.isFinite(f) ? (toInt(f) ?? 0) : 0;
  }
  return 0;
}

export const int: FunctionDef = {
  name: 'int',
  doc: 'Convert a value to an integer (0 when it is not a number).',
  args: { int: { type: 'any', required: true, doc: 'A number, numeric string or time' } },
  run: ({ args }) => intOf(args.int),
};

export const atoi: FunctionDef = {
  name: 'atoi',
  doc: 'Convert a string to an integer (0 when it is not a number).',
  args: { string: { type: 'any', required: true, doc: 'A numeric string' } },
  run: ({ args }) => intOf(args.string),
};

export const parseFloat: FunctionDef = {
  name: 'parse_float',
  doc: 'Convert a string to a float (0 when it is not a number).',
  args: { string: { type: 'any', required: true, doc: 'A numeric string' } },
  run({ args }) {
    const v = args.string;
    if (v instanceof VFloat) return v;
    if (isNumeric(v)) return makeFloat(toNumber(v));
    return makeFloat(parseGoFloat(textOf(v).trim()));
  },
};

/** Go's strconv.ParseFloat with the error ignored (0). */
export function parseGoFloat(t: string): number {
  if (/^[+-]?inf(inity)?$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t.replace(/_/g, ''))) return Number(t.replace(/_/g, ''));
  return 0;
}

/** go-humanize's Bytes (SI, `82 kB`) and IBytes (IEC, `80 KiB`). */
export function humanizeBytes(n: number, iec: boolean): string {
  const base = iec ? 1024 : 1000;
  const sizes = iec ? ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] : ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  if (n < 10) return `${n} B`;
  const e = Math.floor(Math.log(n) / Math.log(base));
  const val = Math.floor((n / base ** e) * 10 + 0.5) / 10;
  return `${val < 10 ? val.toFixed(1) : val.toFixed(0)} ${sizes[e]}`;
}

export const humanize: FunctionDef = {
  name: 'humanize',
  doc: 'Format a byte count for people: bytes= in SI units (82 kB), ibytes= in IEC units (80 KiB).',
  args: {
    bytes: { type: 'int', doc: 'A byte count (SI units)' },
    ibytes: { type: 'int', doc: 'A byte count (IEC units)' },
  },
  run({ args }) {
    if (args.bytes !== undefined) return humanizeBytes(Number(args.bytes), false);
    if (args.ibytes !== undefined) return humanizeBytes(Number(args.ibytes), true);
    return null;
  },
};

export const numberFunctions: readonly FunctionDef[] = [int, atoi, parseFloat, humanize];
