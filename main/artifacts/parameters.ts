/**
 * Artifact parameters as Velociraptor's launcher passes them (VELOCIRAPTOR.md 1.4): every
 * parameter starts as a string (its default, replaced by the caller's value), then typed
 * parameters are converted. A value that is already not a string (an int passed from VQL)
 * is kept as it is, as the launcher's `%T` check does.
 */
import * as yaml from 'js-yaml';
import Papa from 'papaparse';
import { VDict, VTime, eq, fromJSON, toValue, type Value } from '../vql/index.ts';
import { timeFromEpoch } from '../vql/functions/timestamp.ts';
import type { ArtifactParameter } from './schema.ts';

/** Thrown for a value that cannot be converted; the caller reports it. */
export class ParameterError extends Error {}

const BOOL_TEXT = /^(Y|TRUE|YES|OK)$/i;

function toInt(s: string, name: string): Value {
  const t = s.trim();
  if (t === '') return 0;
  if (/^[-+]?\d+$/.test(t)) {
    const b = BigInt(t);
    return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(b) : b;
  }
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t, 16);
  const f = Number(t);
  if (Number.isFinite(f)) return Math.trunc(f);
  throw new ParameterError(`parameter ${name}: '${s}' is not an integer`);
}

/** `timestamp(epoch=...)`, as the launcher's conversion does. */
function toTimestamp(s: string, name: string): Value {
  if (s.trim() === '') return null;
  // An epoch of 0 (or below) is the epoch itself, not an error.
  if (/^\s*-?\d+(\.\d+)?\s*$/.test(s) && Number(s) <= 0) return VTime.fromSeconds(0);
  const t = timeFromEpoch(s);
  if (!t) throw new ParameterError(`parameter ${name}: '${s}' is not a time (use RFC 3339, e.g. 2024-01-31T12:00:00Z, or epoch seconds)`);
  return t;
}

function toJsonArray(s: string, name: string): Value {
  const t = s.trim();
  if (t === '') return [];
  let v: Value;
  try {
    v = fromJSON(t);
  } catch {
    throw new ParameterError(`parameter ${name}: '${s}' is not a JSON array (write ["a", "b"])`);
  }
  if (!Array.isArray(v)) throw new ParameterError(`parameter ${name}: expected a JSON array, got ${s}`);
  return v;
}

function toCsvRows(s: string, name: string): Value {
  if (s.trim() === '') return [];
  const r = Papa.parse<Record<string, string>>(s.trim(), { header: true, skipEmptyLines: true, delimiter: ',' });
  if (r.errors.length) {
    const e = r.errors[0]!;
    throw new ParameterError(`parameter ${name}: CSV row ${(e.row ?? 0) + 2}: ${e.message}`);
  }
  return r.data.map((row) => new VDict(r.meta.fields!.map((f) => [f, row[f] ?? ''])));
}

/** Converts one parameter value to its declared type. */
export function convertParameter(p: ArtifactParameter, value: Value): Value {
  const type = (p.type ?? '').toLowerCase();
  if (type === 'bool') {
    if (typeof value === 'string') return BOOL_TEXT.test(value.trim());
    return eq(value, true);
  }
  if (typeof value !== 'string') return value;
  switch (type) {
    case 'int':
    case 'int64':
    case 'integer':
      return toInt(value, p.name);
    case 'float': {
      const f = Number(value.trim() || '0');
      if (!Number.isFinite(f)) throw new ParameterError(`parameter ${p.name}: '${value}' is not a number`);
      return Number.isInteger(f) ? toValue(f) : f;
    }
    case 'timestamp':
      return toTimestamp(value, p.name);
    case 'multichoice':
    case 'json_array':
    case 'regex_array':
      return toJsonArray(value, p.name);
    case 'json':
      if (value.trim() === '') return null;
      try {
        return fromJSON(value);
      } catch (e) {
        throw new ParameterError(`parameter ${p.name}: invalid JSON: ${(e as Error).message}`);
      }
    case 'csv':
    case 'artifactset':
      return toCsvRows(value, p.name);
    case 'yaml':
      try {
        return toValue(yaml.load(value));
      } catch (e) {
        throw new ParameterError(`parameter ${p.name}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
      }
    default:
      // string, regex, yara, hidden, redacted, choices, glob...: stay strings. xml, starlark,
      // upload, upload_file and server_metadata need a server or engines we do not have.
      return value;
  }
}

/**
 * The scope variables of one artifact run: defaults (strings), replaced by `given` (typed
 * values from VQL or strings from the command line), then converted.
 */
export function parameterEnv(params: readonly ArtifactParameter[], given: ReadonlyMap<string, Value>): VDict {
  const env = new VDict();
  for (const p of params) {
    const v = given.has(p.name) ? given.get(p.name) : (p.default ?? '');
    env.set(p.name, convertParameter(p, v));
  }
  return env;
}

/**
 * Command-line `--args` text for a parameter: multichoice and json_array also accept a
 * comma-separated list (VELOCIRAPTOR.md 2.4).
 */
export function cliArgValue(p: ArtifactParameter, text: string): string {
  const type = (p.type ?? '').toLowerCase();
  if ((type === 'multichoice' || type === 'json_array') && !text.trim().startsWith('[')) {
    return JSON.stringify(text.split(',').map((x) => x.trim()).filter(Boolean));
  }
  return text;
}
