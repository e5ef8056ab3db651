/**
 * The VQL engine's public API: parse, format, run, register. The app, the CLI, the
 * collector and the tests all use this module.
 *
 * ```ts
 * import { createRegistry, run } from 'vql-workbench';
 * const registry = createRegistry();
 * registry.registerPlugin({ name: 'hello', doc: 'Greets', args: { name: { type: 'string', required: true, doc: 'Who' } },
 *   *run({ args }) { yield { Greeting: `hello ${args.name}` }; } });
 * for await (const row of run("SELECT * FROM hello(name='world')", { registry })) console.log(toJSON(row));
 * ```
 */
import type { Statement } from './ast/nodes.ts';
import { parseScript } from './parse.ts';
import { Registry } from './registry.ts';
import { installVelociraptorProtocols } from './protocols/velociraptor.ts';
import { builtinPlugins } from './plugins/index.ts';
import { builtinFunctions } from './functions/index.ts';
import { Session, type SessionOptions } from './eval/session.ts';
import type { VDict } from './values/types.ts';

export * from './parse.ts';
export type * from './ast/nodes.ts';
export { VqlError, LexError, ParseError, formatError, serializeError, positionAt, type SerializedError } from './errors.ts';
export { Registry, type PluginDef, type FunctionDef, type PluginCall, type FunctionCall } from './registry.ts';
export type { ArgSpec, ArgSchema, ArgType } from './args.ts';
export { Session, type SessionOptions } from './eval/session.ts';
export type { Logger, LogLevel, Mocks, Scope } from './eval/scope.ts';
export { VDict, VStruct, VTime, VFloat, VBytes, Lazy, ABSENT, MEMBERS, GET_MEMBER, TRUTHY, toValue, normInt, normUint, makeFloat, isHostObject, stringerText, type Value, type HostObject, type Absent } from './values/types.ts';
export { toJSON, fromJSON } from './values/json.ts';
export { goText, sprintf } from './values/gofmt.ts';
export { csvCell, csvQuote, parseCsvCell } from './values/csv-cell.ts';
export { eq } from './protocols/eq.ts';
export type { ProtocolHandler, ProtocolTable, BinaryProtocol } from './protocols/dispatch.ts';
export { lt, gt } from './protocols/compare.ts';
export { truthy } from './protocols/truthy.ts';
export { LazyArg, QueryArg, openArgQuery } from './eval/coerce.ts';
export { sleep as abortableSleep, LinkedAbort, Channel } from './eval/stream.ts';
export { compileLambda, type VqlLambda } from './eval/lambda.ts';
export { walk, stripSpans, children, type AstNode } from './ast/walk.ts';
export { describeRegistry, docsMarkdown, docsText, signature, type EntryDoc, type ArgDoc } from './docs.ts';
export { suggest, didYouMean } from './args.ts';

export interface RegistryOptions {
  /**
   * Install the protocols Velociraptor adds to vfilter (times compare with date strings,
   * dict + dict merges, a time after 1970 is true). Default true; false gives vfilter's core semantics exactly.
   */
  readonly velociraptorProtocols?: boolean;
}

/** A registry with every builtin plugin and function. */
export function createRegistry(opts: RegistryOptions = {}): Registry {
  const r = new Registry();
  for (const p of builtinPlugins) r.registerPlugin(p);
  for (const f of builtinFunctions) r.registerFunction(f);
  if (opts.velociraptorProtocols !== false) installVelociraptorProtocols(r.protocols, r.boolProtocols);
  return r;
}

export interface RunOptions extends Partial<SessionOptions> {
  /** Called with each statement's index before its rows (LETs included). */
  readonly onStatement?: (index: number, statement: Statement) => void;
}

/**
 * Runs every statement of a query text in one session and yields batches of output rows
 * (ordered dicts with normalized values). Stops promptly when `signal` aborts.
 * Throws a LexError / ParseError before anything runs when the text does not parse.
 */
export async function* runBatches(query: string, opts: RunOptions = {}): AsyncGenerator<VDict[]> {
  const script = parseScript(query);
  const session = new Session({ ...opts, registry: opts.registry ?? createRegistry() });
  for await (const { rows } of session.executeAll(script.statements)) yield rows as VDict[];
}

/** Like runBatches, one row at a time. */
export async function* run(query: string, opts: RunOptions = {}): AsyncGenerator<VDict> {
  for await (const batch of runBatches(query, opts)) yield* batch;
}

/** Runs a (finite) query and returns all its rows. */
export async function collect(query: string, opts: RunOptions = {}): Promise<VDict[]> {
  const out: VDict[] = [];
  for await (const batch of runBatches(query, opts)) out.push(...batch);
  return out;
}
