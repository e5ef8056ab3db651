/**
 * Generic AST traversal and the span-free copy used to compare ASTs in tests.
 */
import type { ArgValue, ArrayArg, Column, Expr, Lambda, Let, Script, Select, Subquery } from './nodes.ts';

/** Every AST node that has a `kind` (arguments, sources and params are traversed through). */
export type AstNode = Expr | Subquery | ArrayArg | Column | Select | Let | Script | Lambda;

/**
 * The direct child nodes of `node`, in source order. Call arguments, the FROM source and LET
 * parameter defaults are not nodes themselves; their values are returned.
 */
export function children(node: AstNode): AstNode[] {
  switch (node.kind) {
    case 'Int':
    case 'Float':
    case 'String':
    case 'Bool':
    case 'Null':
    case 'Star':
      return [];
    case 'Symbol':
      return node.args ? node.args.map((a) => a.value) : [];
    case 'Paren':
    case 'List':
    case 'ArrayArg':
      return [...node.items];
    case 'Binary':
      return [node.left, node.right];
    case 'Not':
      return [node.operand];
    case 'Or':
    case 'And':
      return [...node.operands];
    case 'Member':
      return [node.object];
    case 'Index':
      return node.index ? [node.object, node.index] : [node.object];
    case 'Slice': {
      const out: AstNode[] = [node.object];
      if (node.start) out.push(node.start);
      if (node.end) out.push(node.end);
      return out;
    }
    case 'Subquery':
      return [node.select];
    case 'Column':
      return [node.expr];
    case 'Select': {
      const out: AstNode[] = [...node.columns];
      if (node.from.args) for (const a of node.from.args) out.push(a.value);
      if (node.where) out.push(node.where);
      if (node.groupBy) out.push(node.groupBy);
      return out;
    }
    case 'Let': {
      const out: AstNode[] = [];
      if (node.params) for (const p of node.params) if (p.default) out.push(p.default as ArgValue);
      out.push(node.body);
      return out;
    }
    case 'Script':
      return [...node.statements];
    case 'Lambda':
      return [node.body];
  }
}

/**
 * Visits `node` and its descendants depth-first, parents before children. Returning `false`
 * from `visit` skips the children of that node.
 * @example walk(stmt, (n) => { if (n.kind === 'Symbol' && n.args) calls.push(n); })
 */
export function walk(node: AstNode, visit: (node: AstNode, parent: AstNode | undefined) => boolean | void): void {
  const stack: [AstNode, AstNode | undefined][] = [[node, undefined]];
  while (stack.length) {
    const [current, parent] = stack.pop()!;
    if (visit(current, parent) === false) continue;
    const kids = children(current);
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, current]);
  }
}

/**
 * A deep copy of any AST value without `span` keys (and without keys whose value is
 * undefined), for comparing ASTs with `assert.deepStrictEqual`.
 */
export function stripSpans<T>(node: T): T {
  return strip(node) as T;
}

function strip(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(strip);
  if (value instanceof Uint8Array) return value.slice();
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'span' || v === undefined) continue;
    out[key] = strip(v);
  }
  return out;
}
