/**
 * The VQL abstract syntax tree: plain readonly data, no methods.
 *
 * Every node carries a `span` (byte offsets into the source text, as UTF-16 code unit
 * offsets of the JS string). Evaluation lives in `eval/`, printing in `ast/format.ts`.
 * Names keep both their decoded form (`name`, used for evaluation) and their source form
 * (`raw`, backticks included, used for canonical text and column names: SPEC section 15).
 */

/** Half-open range [start, end) of UTF-16 offsets into the query text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A name as written (`raw`, may include backticks) and as evaluated (`name`). */
export interface Name {
  readonly name: string;
  readonly raw: string;
}

export interface IntLiteral {
  readonly kind: 'Int';
  /** Safe integers are numbers; values outside +-2^53 are bigints (still int64). */
  readonly value: number | bigint;
  readonly span: Span;
}

export interface FloatLiteral {
  readonly kind: 'Float';
  readonly value: number;
  readonly span: Span;
}

export interface StringLiteral {
  readonly kind: 'String';
  /** The decoded value: a JS string when the bytes are valid UTF-8, else raw bytes. */
  readonly value: string | Uint8Array;
  /** Exactly as written, quotes and escapes included (canonical text keeps it). */
  readonly raw: string;
  readonly span: Span;
}

export interface BoolLiteral {
  readonly kind: 'Bool';
  readonly value: boolean;
  /** As written: `TRUE`, `false`, `True`... (canonical text preserves case). */
  readonly raw: string;
  readonly span: Span;
}

export interface NullLiteral {
  readonly kind: 'Null';
  readonly span: Span;
}

/**
 * A (possibly dotted, possibly negated) name, optionally called:
 * `foo`, `a.b.c`, `-x`, `f(a=1)`, `Artifact.Linux.Sys(x=1)`.
 * `args` is undefined when there are no parentheses, `[]` for `f()`.
 */
export interface SymbolRef {
  readonly kind: 'Symbol';
  readonly parts: readonly Name[];
  readonly negated: boolean;
  readonly args?: readonly Arg[];
  readonly span: Span;
}

/** `( list )`: a single item without trailing comma is that item; otherwise a tuple. */
export interface Paren {
  readonly kind: 'Paren';
  readonly items: readonly Expr[];
  readonly trailingComma: boolean;
  readonly span: Span;
}

/** A bare comma list, only at the top of WHERE / GROUP BY (`WHERE a, b`). */
export interface List {
  readonly kind: 'List';
  readonly items: readonly Expr[];
  readonly trailingComma: boolean;
  readonly span: Span;
}

export type ArithOp = '+' | '-' | '*' | '/';
export type CompareOp = '=' | '!=' | '<>' | '<' | '<=' | '>' | '>=' | '=~' | 'IN';

export interface Binary {
  readonly kind: 'Binary';
  readonly op: ArithOp | CompareOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly span: Span;
}

export interface Not {
  readonly kind: 'Not';
  readonly operand: Expr;
  readonly span: Span;
}

/**
 * An OR chain `a OR b || c | d`. `ops[i]` joins operands[i] and operands[i+1], and is kept
 * as written (`or`, `OR`, `||`, `|`, `|||`) because its exact text changes the result.
 */
export interface Or {
  readonly kind: 'Or';
  readonly operands: readonly Expr[];
  readonly ops: readonly string[];
  readonly span: Span;
}

/** An AND chain `a AND b && c`; ops as written (`and`, `AND`, `&&`). */
export interface And {
  readonly kind: 'And';
  readonly operands: readonly Expr[];
  readonly ops: readonly string[];
  readonly span: Span;
}

/** `x.name` after a call or a parenthesised primary (dotted names are one Symbol). */
export interface Member {
  readonly kind: 'Member';
  readonly object: Expr;
  readonly member: Name;
  readonly span: Span;
}

/** `x[i]`; `index` is undefined for `x[]` (which evaluates to null). */
export interface Index {
  readonly kind: 'Index';
  readonly object: Expr;
  readonly index?: Expr;
  readonly span: Span;
}

/** `x[a:b]`, either bound optional. */
export interface Slice {
  readonly kind: 'Slice';
  readonly object: Expr;
  readonly start?: Expr;
  readonly end?: Expr;
  readonly span: Span;
}

export type Expr =
  | IntLiteral
  | FloatLiteral
  | StringLiteral
  | BoolLiteral
  | NullLiteral
  | SymbolRef
  | Paren
  | List
  | Binary
  | Not
  | Or
  | And
  | Member
  | Index
  | Slice;

/** `{ SELECT ... }` used as a whole argument value or a whole column. */
export interface Subquery {
  readonly kind: 'Subquery';
  readonly select: Select;
  readonly span: Span;
}

/**
 * `[ list ]` as a whole argument value. `[x]` (one item, no trailing comma) is x itself when
 * evaluated; the parser still returns an ArrayArg for it so canonical text keeps the brackets.
 */
export interface ArrayArg {
  readonly kind: 'ArrayArg';
  readonly items: readonly Expr[];
  readonly trailingComma: boolean;
  readonly span: Span;
}

export type ArgValue = Expr | Subquery | ArrayArg;

/** `name=value` in a call. */
export interface Arg {
  readonly name: Name;
  readonly value: ArgValue;
  readonly span: Span;
}

/** A `*` in the column list. */
export interface StarColumn {
  readonly kind: 'Star';
  readonly span: Span;
}

/** An expression or `{SELECT}` column with an optional `AS` alias. */
export interface ExprColumn {
  readonly kind: 'Column';
  readonly expr: Expr | Subquery;
  readonly alias?: Name;
  readonly span: Span;
}

export type Column = StarColumn | ExprColumn;

/** The FROM clause: a dotted name, called when `args` is defined. */
export interface Source {
  readonly parts: readonly Name[];
  readonly args?: readonly Arg[];
  readonly span: Span;
}

export interface OrderBy {
  readonly column: Name;
  readonly desc: boolean;
}

export interface Select {
  readonly kind: 'Select';
  /** How many times EXPLAIN was written (it only enables tracing). */
  readonly explain: number;
  readonly columns: readonly Column[];
  readonly from: Source;
  readonly where?: Expr;
  readonly groupBy?: Expr;
  readonly orderBy?: OrderBy;
  /** LIMIT n: an integer literal (any base). */
  readonly limit?: number;
  readonly span: Span;
}

/** A parameter of `LET f(a, b=2) = ...`. */
export interface Param {
  readonly name: Name;
  readonly default?: ArgValue;
}

export interface Let {
  readonly kind: 'Let';
  readonly name: Name;
  /** undefined: `LET x = ...`; an array (maybe empty) when parentheses were written. */
  readonly params?: readonly Param[];
  /** `<=` materializes now; `=` stores. */
  readonly materialize: boolean;
  readonly body: Select | Expr;
  readonly span: Span;
}

export type Statement = Select | Let;

/** A parsed script: statements in order, plus the source they were parsed from. */
export interface Script {
  readonly kind: 'Script';
  readonly statements: readonly Statement[];
  readonly source: string;
}

/** A lambda `x, y => expr` (host API only, SPEC 3.4). */
export interface Lambda {
  readonly kind: 'Lambda';
  readonly params: readonly Name[];
  readonly body: Expr;
  readonly span: Span;
}
