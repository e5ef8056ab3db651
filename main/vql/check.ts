/**
 * Static checks of VQL calls, without running anything: calls to unknown plugins and functions,
 * unknown argument names, missing required arguments and unknown `Artifact.X` names, each at
 * the offset of the name it is about. The editor, the console and `vql artifacts verify` use
 * them. Every finding is a warning: Velociraptor has plugins, functions and arguments this
 * engine lacks, so an unknown name may still be right where the query finally runs.
 */
import type { Arg, Let, Name, Source, Statement, SymbolRef } from './ast/nodes.ts';
import { children, type AstNode } from './ast/walk.ts';
import { parseLambda } from './parser/parser.ts';
import type { FunctionDef, PluginDef, Registry } from './registry.ts';
import type { ArgSchema } from './args.ts';
import { callMessage, ARTIFACT_ARGS, ARTIFACT_PREFIX, type ArgOwner, type CheckCode, type ForeignNames, type MessageContext } from './check-messages.ts';

export { ARTIFACT_PREFIX, type CheckCode, type ForeignNames } from './check-messages.ts';

/** One problem with a call, at the name it is about. */
export interface CallFinding {
  readonly code: CheckCode;
  /** The callee's name, dotted, without backquotes (`pslist`, `Artifact.Generic.Client.Stats`). */
  readonly callee: string;
  /** For argument findings: the argument's name. */
  readonly arg?: string;
  /** UTF-16 offset into the checked text of the name (the callee's, or the argument's). */
  readonly offset: number;
  /** Length of that name in the text. */
  readonly length: number;
  readonly message: string;
  readonly severity: 'warning';
  /** Found inside a lambda string (`condition="x => ..."`). */
  readonly inLambda?: boolean;
}

/** What the checker knows of artifacts, for `FROM Artifact.X(...)`. */
export interface ArtifactLookup {
  /** The parameter names of artifact `name`, or undefined when there is no such artifact. */
  parameters(name: string): readonly string[] | undefined;
  /** Every artifact name, for suggestions. */
  names(): Iterable<string>;
}

export interface CheckOptions {
  readonly registry: Registry;
  /** Names bound outside the text: other fields' LETs, imported exports, artifact parameters. */
  readonly defined?: Iterable<string>;
  /** Without it, `Artifact.X` calls are not checked. */
  readonly artifacts?: ArtifactLookup;
  /** Names Velociraptor has that this engine does not: they get a plainer message. */
  readonly foreign?: ForeignNames;
  /** Check calls inside lambda strings (default true). */
  readonly lambdas?: boolean;
  /** The accessors there are: a literal `accessor='x'` naming another is a finding. Unchecked without. */
  readonly accessors?: ReadonlySet<string>;
}

/** A variable scope: LET names at the top, parameters and lambda arguments in inner layers. */
class Scope {
  constructor(private readonly names: ReadonlySet<string>, private readonly parent?: Scope) {}
  has(name: string): boolean {
    return this.names.has(name) || (this.parent?.has(name) ?? false);
  }
  with(names: Iterable<string>): Scope {
    return new Scope(new Set(names), this);
  }
  all(): string[] {
    return [...this.names, ...(this.parent?.all() ?? [])];
  }
}

// A lambda string: one or more names, then `=>` (SPEC 3.4).
const LAMBDA = /^\s*[A-Za-z_]\w*(\s*,\s*[A-Za-z_]\w*)*\s*=>/;

/**
 * Checks every call in `statements`. LET names anywhere in them count as defined (LET order
 * is not tracked: a warning for a call that runs before its LET would mostly be noise).
 * @example checkCalls(parseScript('SELECT * FROM pslit()').statements, { registry })[0].message
 *   // 'unknown plugin pslit: did you mean pslist?'
 */
export function checkCalls(statements: readonly Statement[], opts: CheckOptions): CallFinding[] {
  const lets = statements.filter((s): s is Let => s.kind === 'Let').map((s) => s.name.name);
  return new Checker(opts).run(statements, new Scope(new Set([...(opts.defined ?? []), ...lets])));
}

class Checker {
  private readonly out: CallFinding[] = [];
  /** Offset added to findings: non-zero while inside a lambda string. */
  private base = 0;
  /** Inside a lambda string with escapes: findings point at the whole string. */
  private pin: Place | null = null;
  private lambdaDepth = 0;
  constructor(private readonly opts: CheckOptions) {}

  run(statements: readonly Statement[], scope: Scope): CallFinding[] {
    for (const s of statements) this.visit(s, scope);
    return this.out;
  }

  private visit(node: AstNode, scope: Scope): void {
    if (node.kind === 'Let' && node.params) scope = scope.with(node.params.map((p) => p.name.name));
    else if (node.kind === 'Select' && node.from.args) this.source(node.from, node.from.args, scope);
    else if (node.kind === 'Symbol' && node.args) this.call(node, node.args, scope);
    for (const c of children(node)) this.visit(c, scope);
  }

  /** `FROM p(...)`: a plugin, an artifact, or a LET (stored query, VQL function). */
  private source(from: Source, args: readonly Arg[], scope: Scope): void {
    const callee = from.parts.map((p) => p.raw).join('.');
    const name = from.parts.map((p) => p.name).join('.');
    const at = { offset: from.span.start, length: callee.length };
    const { registry, artifacts } = this.opts;
    if (name.startsWith(ARTIFACT_PREFIX)) {
      if (artifacts) this.artifact(name, artifacts, args, at);
    } else {
      const def = registry.findPlugin(name);
      if (def) this.declared(def, 'plugin', name, args, at);
      // `FROM a.b()` calls member b of variable a: only `a` has to exist.
      else if (!scope.has(from.parts[0]!.name)) this.add('unknown-plugin', name, at, { candidates: [...registry.plugins.keys(), ...scope.all()] });
    }
    this.lambdaArgs(args, scope);
  }

  /** `Artifact.X(...)`: X must be in the repository, the arguments among its parameters. */
  private artifact(name: string, artifacts: ArtifactLookup, args: readonly Arg[], at: Place): void {
    const params = artifacts.parameters(name.slice(ARTIFACT_PREFIX.length));
    if (!params) this.add('unknown-artifact', name, at, { candidates: artifacts.names() });
    else this.args(name, new Set([...params, ...ARTIFACT_ARGS]), [], args, at, 'artifact');
  }

  /** `f(...)` in an expression: a function, or a LET; dotted calls resolve a variable first. */
  private call(node: SymbolRef, args: readonly Arg[], scope: Scope): void {
    if (node.parts.length === 1) {
      const { name, raw } = node.parts[0]!;
      // A negated call `-f()` is one token: the name starts after the minus.
      const at = { offset: node.span.start + (node.negated ? 1 : 0), length: raw.length };
      const def = this.opts.registry.functions.get(name);
      if (def) this.declared(def, 'function', name, args, at);
      else if (!scope.has(name)) this.add('unknown-function', name, at, { candidates: [...this.opts.registry.functions.keys(), ...scope.all()] });
    }
    this.lambdaArgs(args, scope);
  }

  /** A builtin's arguments against its schema (free-form builtins accept anything). */
  private declared(def: PluginDef | FunctionDef, kind: 'plugin' | 'function', name: string, args: readonly Arg[], at: Place): void {
    // A free-form callee's `accessor=` is data, not an accessor: dict(accessor="registry") in a
    // remapping config (Generic.Utils.DeadDiskRemapping).
    if (!def.freeArgs || def.args.accessor) this.accessorArgs(name, kind, args);
    const required = Object.keys(def.args).filter((k) => def.args[k]!.required);
    // A free-form callee takes any other name; its required ones are still checked.
    const known = def.freeArgs ? null : new Set(Object.keys(def.args));
    this.args(name, known, required, args, at, kind, def.args);
  }

  /** Unknown argument names (each at its name), then missing required ones (at the callee). */
  private args(callee: string, known: ReadonlySet<string> | null, required: readonly string[], args: readonly Arg[], at: Place, kind: ArgOwner, schema?: ArgSchema): void {
    // `**`=dict replaces the whole argument list at run time: nothing to check statically.
    if (args.some((a) => a.name.name === '**')) return;
    if (known) for (const a of args) {
      if (known.has(a.name.name)) continue;
      this.add('unknown-argument', callee, { offset: a.span.start, length: a.name.raw.length }, { arg: a.name.name, candidates: known, kind });
    }
    const given = new Set(args.map((a) => a.name.name));
    for (const r of required) if (!given.has(r)) this.add('missing-argument', callee, at, { arg: r, kind, spec: schema?.[r] });
  }

  /** A literal `accessor='x'` naming an accessor this workbench lacks. */
  private accessorArgs(callee: string, kind: ArgOwner, args: readonly Arg[]): void {
    const known = this.opts.accessors;
    if (!known) return;
    for (const a of args) {
      const v = a.value;
      if (a.name.name !== 'accessor' || v.kind !== 'String' || typeof v.value !== 'string' || v.value === '' || known.has(v.value)) continue;
      this.add('unknown-accessor', callee, { offset: v.span.start, length: v.raw.length }, { arg: v.value, candidates: known, kind });
    }
  }

  /** Calls inside lambda strings, with the lambda's parameters in scope. */
  private lambdaArgs(args: readonly Arg[], scope: Scope): void {
    if (this.opts.lambdas === false) return;
    for (const a of args) {
      const v = a.value;
      if (v.kind !== 'String' || typeof v.value !== 'string' || !LAMBDA.test(v.value)) continue;
      let lambda;
      try {
        lambda = parseLambda(v.value);
      } catch {
        continue; // not a lambda after all (or a broken one, which the host reports when it runs)
      }
      // Offsets inside the string map 1:1 onto the source unless escapes changed its length;
      // then findings point at the whole string.
      const inner = v.raw.indexOf(v.value);
      const saved = { base: this.base, pin: this.pin };
      if (inner > 0) this.base += v.span.start + inner;
      else this.pin ??= { offset: this.base + v.span.start, length: v.raw.length };
      this.lambdaDepth++;
      this.visit(lambda.body, scope.with(lambda.params.map((p: Name) => p.name)));
      this.lambdaDepth--;
      [this.base, this.pin] = [saved.base, saved.pin];
    }
  }

  private add(code: CheckCode, callee: string, at: Place, extra: Omit<MessageContext, 'registry' | 'foreign'> = {}): void {
    const message = callMessage(code, callee, { ...extra, registry: this.opts.registry, foreign: this.opts.foreign });
    const where = this.pin ?? { offset: this.base + at.offset, length: at.length };
    this.out.push({
      code, callee, ...where, message, severity: 'warning',
      ...(extra.arg !== undefined ? { arg: extra.arg } : {}), ...(this.lambdaDepth ? { inLambda: true } : {}),
    });
  }
}

/** Where a finding points: an offset and a length in the checked text. */
interface Place {
  offset: number;
  length: number;
}
