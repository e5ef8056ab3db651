/**
 * `pipe(name=, query=, sep=)` and the `pipe` accessor (Velociraptor's vql/tools/pipe.go): a
 * query's rows read as a file, for functions and plugins that only take files. The pipe
 * accessor opens the scope variable its filename names (`LET MyPipe = pipe(...)`, then
 * `read_file(filename="MyPipe", accessor="pipe")`); reading runs the query and gives, for each
 * row, its first column's value (text as it is, other values as their text) followed by `sep`.
 *
 * Reads go forward only (a file read from start to end, as parsers and read_file do): the rows
 * are made as the reader asks for bytes, so a pipe over an event query never ends and never
 * holds more than what was made ahead of the reader.
 */
import { ABSENT, GET_MEMBER, MEMBERS, VDict, openArgQuery, type Absent, type FunctionDef, type HostObject, type QueryArg, type Registry, type Scope, type Value } from '../../vql/index.ts';
import { resolveVar } from '../../vql/eval/expression.ts';
import { asStream } from '../../vql/eval/stream.ts';
import { registerAccessor, type FileReader } from '../files/accessors.ts';
import { OSPath, pathText } from '../files/ospath.ts';
import { textBytes } from '../files/text.ts';

/** What pipe() returns: the query to run, in the scope pipe() was called from. */
export class Pipe implements HostObject {
  constructor(readonly name: string, readonly query: QueryArg, readonly sep: Uint8Array, readonly scope: Scope) {}
  [MEMBERS](): readonly string[] {
    return ['Name'];
  }
  [GET_MEMBER](member: string): Value | Absent {
    return member === 'Name' ? this.name : ABSENT;
  }
  toJSON(): string {
    return `pipe(${this.name})`;
  }
}

export const pipe: FunctionDef = {
  name: 'pipe',
  doc: 'A query read as a file through the pipe accessor: each row\'s first column followed by sep',
  args: {
    name: { type: 'string', doc: 'A name for the pipe (shown in logs)' },
    query: { type: 'query', required: true, doc: 'The query whose first column gives the data' },
    sep: { type: 'string', doc: 'Written after each row\'s data', default: 'nothing' },
  },
  run(call) {
    const { query, name, sep } = call.args;
    return new Pipe(typeof name === 'string' ? name : '', query as unknown as QueryArg, textBytes(sep ?? ''), call.scope);
  },
};

/** The data of one row: its first column. */
function rowData(row: Value): Value {
  if (row instanceof VDict) {
    for (const [, v] of row.entries()) return v;
    return '';
  }
  return row;
}

/** A forward-only reader over a pipe's rows. */
function pipeReader(p: Pipe, signal: AbortSignal): FileReader {
  const iterator = asStream(openArgQuery(p.query, p.scope.withSignal(signal)))[Symbol.asyncIterator]();
  let held: Uint8Array[] = [];
  let heldLen = 0;
  /** The file offset of held[0]'s first byte. */
  let base = 0;
  let done = false;
  const more = async (): Promise<void> => {
    const r = await iterator.next();
    if (r.done) {
      done = true;
      return;
    }
    for (const row of r.value) {
      for (const part of [textBytes(rowData(row)), p.sep]) {
        if (part.length === 0) continue;
        held.push(part);
        heldLen += part.length;
      }
    }
  };
  return {
    size: null,
    async read(offset, length) {
      if (offset < base) throw new Error(`pipe${p.name ? ` ${p.name}` : ''}: cannot read back to offset ${offset} (a pipe is read forward only)`);
      while (!done && base + heldLen < offset + length) await more();
      // Drop what lies before offset.
      while (held.length && base + held[0]!.length <= offset) {
        base += held[0]!.length;
        heldLen -= held[0]!.length;
        held.shift();
      }
      const all = held.length === 1 ? held[0]! : Buffer.concat(held);
      held = all.length ? [all] : [];
      const from = Math.max(0, offset - base);
      return all.subarray(from, Math.min(all.length, from + length));
    },
    async close() {
      done = true;
      await iterator.return?.();
    },
  };
}

export function registerPipeAccessor(registry: Registry): void {
  registerAccessor(registry, {
    name: 'pipe',
    doc: 'The filename names a scope variable holding a pipe(): reading runs its query',
    path: (filename) => new OSPath([pathText(filename)], 'generic'),
    async open(filename, scope) {
      const name = pathText(filename);
      const found = await scope.lookup(name);
      if (found === ABSENT) throw new Error(`pipe accessor: no variable ${name} (bind one with LET ${name} = pipe(query=...))`);
      const v = await resolveVar(name, scope);
      if (!(v instanceof Pipe)) throw new Error(`pipe accessor: ${name} is not a pipe() (bind one with LET ${name} = pipe(query=...))`);
      return pipeReader(v, scope.signal);
    },
  });
}
