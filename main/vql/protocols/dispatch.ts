/**
 * Host protocol handlers (SPEC 17): after an operator's built-in fast paths, registered
 * handlers are consulted newest first; the first that applies decides. Hosts use them to
 * teach operators about their own types (Velociraptor: times against strings, dict merge).
 */
import type { Value } from '../values/types.ts';
import type { Scope } from '../eval/scope.ts';
import type { MaybePromise } from '../eval/maybe.ts';

export interface ProtocolHandler<R = Value> {
  /** A short name for docs and debugging. */
  readonly name: string;
  applies(a: Value, b: Value): boolean;
  apply(a: Value, b: Value, scope: Scope): MaybePromise<R>;
}

export type BinaryProtocol = 'eq' | 'lt' | 'gt' | 'add' | 'sub' | 'mul' | 'div' | 'in' | 'regex';

/** Handler lists per operator, in registration order (consulted newest first). */
export type ProtocolTable = { readonly [K in BinaryProtocol]: ProtocolHandler[] };

export function emptyProtocolTable(): ProtocolTable {
  return { eq: [], lt: [], gt: [], add: [], sub: [], mul: [], div: [], in: [], regex: [] };
}

/** The handler that applies to (a, b), newest first, or undefined. */
export function findHandler(list: readonly ProtocolHandler[], a: Value, b: Value): ProtocolHandler | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (list[i]!.applies(a, b)) return list[i];
  return undefined;
}
