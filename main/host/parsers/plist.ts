/**
 * `plist(file, accessor)`, function and plugin: Apple property lists, binary (`bplist00`),
 * XML and OpenStep, read by the `plist` package (pure JavaScript, auto-detects the format).
 *
 * - The function gives Velociraptor's JSON round trip: dates as RFC 3339 strings, data as
 *   base64, keys sorted. An object gives a dict; an array of objects a list of dicts (one
 *   object alone collapses to that dict); anything else the decoded value as it is.
 * - The plugin gives one row per file, the root without the round trip (dates stay times,
 *   data stays bytes): a dict root's keys are the columns, another root is `_value`.
 *
 * Differences from Velociraptor: a file that does not parse gives a log line and no row,
 * where Velociraptor's plugin emits an empty row; a keyed-archiver UID is `{UID: n}`.
 */
import { VDict, VTime, normInt, type FunctionDef, type PluginDef, type Scope, type Value } from '../../vql/index.ts';
import { bytesToValue } from '../../vql/values/kinds.ts';
import { readAll, type Accessor } from '../files/accessors.ts';
import { accessorOrLog } from '../files/read.ts';
import { errorText, fileError, valueList } from './common.ts';
import { xmlText } from './parse_xml.ts';

/** The plist library, loaded on the first plist() call (the CLI's start-up does not pay for it). */
let plistLib: Promise<typeof import('plist')> | undefined;

/** Decodes a plist file's bytes; throws an Error saying what is wrong. */
export async function decodePlist(bytes: Uint8Array): Promise<unknown> {
  const { parse: parsePlist } = await (plistLib ??= import('plist'));
  const head = Buffer.from(bytes.subarray(0, 8)).toString('latin1');
  if (head.startsWith('bplist')) {
    if (head !== 'bplist00') throw new Error(`binary plist version ${JSON.stringify(head.slice(6))} is not supported (only bplist00)`);
    // The trailer (32 bytes) locates the objects: a truncated file has none.
    if (bytes.length < 8 + 32) throw new Error('truncated binary plist: no trailer');
    try {
      return parsePlist(bytes);
    } catch (e) {
      throw new Error(`corrupt or truncated binary plist: ${(e as Error).message}`);
    }
  }
  const text = xmlText(bytes).replace(/^\uFEFF/, '').trimStart();
  if (text === '') throw new Error('the file is empty: not a plist');
  try {
    return parsePlist(text);
  } catch (e) {
    const kind = text.startsWith('<') ? 'XML' : 'OpenStep';
    throw new Error(`invalid ${kind} plist: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** A decoded plist value as a VQL value (dates as times, data as bytes, UIDs as numbers). */
function plistValue(v: unknown): Value {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(plistValue);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : VTime.fromMillis(v.getTime());
  if (v instanceof Uint8Array) return bytesToValue(v);
  if (typeof v === 'bigint') return normInt(v);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return new VDict(Object.keys(o).sort().map((k) => [k, plistValue(o[k])]));
  }
  return v as Value;
}

/** Go's JSON round trip: dates as RFC 3339 text, data as base64, keys sorted. */
function jsonValue(v: unknown): Value {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : VTime.fromMillis(v.getTime()).toRFC3339();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (typeof v === 'bigint') return normInt(v);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return new VDict(Object.keys(o).sort().map((k) => [k, jsonValue(o[k])]));
  }
  return v as Value;
}

function isPlainObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);
}

/** The function's result shape (VQL-FUNCTIONS.md 1.5). */
export function plistFunctionValue(root: unknown): Value {
  if (isPlainObject(root)) return jsonValue(root);
  if (Array.isArray(root) && root.length > 0 && root.every(isPlainObject)) {
    const list = root.map(jsonValue);
    return list.length === 1 ? list[0] : list;
  }
  return plistValue(root);
}

async function readPlist(accessor: Accessor, filename: Value, scope: Scope): Promise<unknown> {
  return await decodePlist(await readAll(accessor, filename, scope));
}

const fileDoc = 'The plist file (with accessor=data, its content)';
const accessorDoc = 'How to read it: auto (default), file, data, scope...';

export const plistFunction: FunctionDef = {
  name: 'plist',
  doc: 'Parse a binary or XML plist (dates as RFC 3339 text, data as base64, as Velociraptor\'s JSON round trip).',
  args: {
    file: { type: 'any', required: true, doc: fileDoc },
    accessor: { type: 'string', doc: accessorDoc, default: 'auto' },
  },
  async run(call) {
    const { args, scope } = call;
    const log = call.log.bind(call);
    const accessor = accessorOrLog(scope, args.accessor, 'plist', log);
    if (!accessor) return null;
    try {
      return plistFunctionValue(await readPlist(accessor, args.file, scope));
    } catch (e) {
      log('error', fileError('file', accessor, args.file, errorText(e)));
      return null;
    }
  },
};

export const plistPlugin: PluginDef = {
  name: 'plist',
  doc: 'One row per plist file (binary or XML): a dict root\'s keys are the columns (dates stay times, data stays bytes); another root is _value.',
  args: {
    file: { type: 'any', required: true, doc: 'One or more plist files' },
    accessor: { type: 'string', doc: accessorDoc, default: 'auto' },
  },
  async *run(call) {
    const { args, scope, signal } = call;
    const log = call.log.bind(call);
    const accessor = accessorOrLog(scope, args.accessor, 'plist', log);
    if (!accessor) return;
    for (const filename of valueList(args.file)) {
      if (signal.aborted) return;
      let root: unknown;
      try {
        root = await readPlist(accessor, filename, scope);
      } catch (e) {
        log('error', fileError('file', accessor, filename, errorText(e)));
        continue;
      }
      const v = plistValue(root);
      yield v instanceof VDict ? v : new VDict([['_value', v]]);
    }
  },
};
