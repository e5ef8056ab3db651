/**
 * The SELECT pipeline (SPEC section 6): FROM → lazy columns → WHERE → GROUP BY → ORDER BY →
 * LIMIT. Everything streams batch by batch except GROUP BY and ORDER BY, which buffer.
 */
import type { ExprColumn, Select } from '../ast/nodes.ts';
import { columnName, formatSelect } from '../ast/format.ts';
import { ABSENT, GET_MEMBER, MEMBERS, VDict, isHostObject, type Absent, type Value } from '../values/types.ts';
import { goText } from '../values/gofmt.ts';
import { AggContext, Scope, type Layer } from './scope.ts';
import { then, type MaybePromise } from './maybe.ts';
import { StoredQuery, collectRows } from './query-values.ts';
import { columnValue, compileExpr, installSubqueryCompiler, isAbort, type Compiled } from './expression.ts';
import { compileSource } from './source.ts';
import { LinkedAbort, maybeYield, type RowSource, type RowStream } from './stream.ts';
import { truthy } from '../protocols/truthy.ts';
import { force } from './coerce.ts';
import { lt } from '../protocols/compare.ts';


/** One output column definition. */
interface ColumnDef {
  readonly name: string;
  readonly fn: Compiled;
}

/** A compiled SELECT. `open(scope)` runs it in that scope. */
export interface CompiledSelect {
  readonly ast: Select;
  open(scope: Scope): RowSource;
}

/**
 * The layout of output columns: `*` positions and named columns. Without `*` the layout is
 * the same for every row and is computed once.
 */
type LayoutItem = { star: true } | { star: false; def: ColumnDef };

/** Column names, their compute functions (null: copied from the row by `*`), name → position. */
interface RowLayout {
  readonly names: readonly string[];
  readonly fns: ReadonlyArray<Compiled | null>;
  readonly index: ReadonlyMap<string, number>;
  /** A template of `undefined` values (not yet computed), one per column. */
  readonly empty: readonly Value[];
}

class StaticLayout implements RowLayout {
  readonly names: string[];
  readonly fns: Compiled[];
  readonly index: Map<string, number>;
  readonly empty: Value[];
  constructor(defs: ColumnDef[]) {
    // Duplicate names: the last definition wins and takes the last position (SPEC 6.2.4).
    const order: ColumnDef[] = [];
    for (const d of defs) {
      const at = order.findIndex((o) => o.name === d.name);
      if (at >= 0) order.splice(at, 1);
      order.push(d);
    }
    this.names = order.map((d) => d.name);
    this.fns = order.map((d) => d.fn);
    this.index = new Map(this.names.map((n, i) => [n, i]));
    this.empty = new Array<Value>(this.names.length).fill(undefined);
  }
}

/** Row text for EXPLAIN traces (never throws: a trace must not break the query). */
function describeRow(v: Value): string {
  try {
    if (v instanceof Scope && !(v instanceof LazyRow)) return '<scope>';
    return goText(v);
  } catch {
    return String(v);
  }
}

/** Member names of an input row, for `*`. */
function rowMembers(row: Value): readonly string[] {
  if (row instanceof VDict) return row.keys();
  if (row instanceof Scope) return [];
  if (isHostObject(row)) return row[MEMBERS]();
  return [];
}

function rowGet(row: Value, name: string): Value | Absent {
  if (row instanceof VDict) return row.get(name);
  if (isHostObject(row)) return row[GET_MEMBER](name);
  return ABSENT;
}

/**
 * A row whose columns are computed on demand, at most once (SPEC 6.2). It is also the
 * WHERE layer, so aliases resolve through `lookupName`.
 */
export class LazyRow extends Scope implements Layer {
  /** Column values; `undefined` means not computed yet (computed values are never undefined). */
  values: Value[];
  constructor(
    readonly layout: RowLayout,
    /** The column scope: columns are computed here (they never see aliases). */
    public scope: Scope,
    initial?: Value[],
  ) {
    // As a Scope, the row is the WHERE / GROUP BY scope: its own layer on top of the column scope.
    super(scope, null, scope.env, scope.agg, scope.depth + 1, scope.signal);
    this.layer = this;
    this.demand = scope.demand;
    this.explain = scope.explain;
    this.values = initial ?? layout.empty.slice();
  }

  lookupName(name: string): MaybePromise<Value | Absent> {
    const i = this.layout.index.get(name);
    if (i === undefined) return ABSENT;
    return this.column(i);
  }

  column(i: number): MaybePromise<Value> {
    const v = this.values[i];
    if (v !== undefined) return v;
    const s = this.scope;
    let r = this.layout.fns[i]!(s);
    if (r instanceof Promise) return r.then((x) => this.store(i, x));
    if (typeof r === 'object' && r !== null) {
      r = columnValue(r, s);
      if (r instanceof Promise) return r.then((x) => this.store(i, x));
    }
    return (this.values[i] = r === undefined ? null : r);
  }

  private store(i: number, x: Value): MaybePromise<Value> {
    const c = columnValue(x, this.scope);
    if (c instanceof Promise) return c.then((y) => (this.values[i] = y === undefined ? null : y));
    return (this.values[i] = c === undefined ? null : c);
  }

  /** Computes every remaining column in order and returns the output dict. */
  materialize(): MaybePromise<VDict> {
    const values = this.values;
    for (let i = 0; i < values.length; i++) {
      if (values[i] === undefined) {
        const r = this.column(i);
        if (r instanceof Promise) return r.then(() => this.materialize());
      }
    }
    const d = new VDict();
    const m = d.map;
    const names = this.layout.names;
    for (let i = 0; i < names.length; i++) m.set(names[i]!, values[i]);
    return d;
  }
}

/** SPEC 8.1: a `{SELECT}` column collapses single-column rows and single-row results. */
function compileSubqueryColumn(q: StoredQuery): Compiled {
  return (s) =>
    collectRows(q, s).then((rows) => {
      const vals = rows.map((r) => (r instanceof VDict && r.size === 1 ? r.values()[0] : r));
      if (vals.length === 0) return null;
      if (vals.length === 1) return vals[0];
      return vals;
    });
}

function columnDef(c: ExprColumn): ColumnDef {
  const name = c.alias ? c.alias.name : columnName(c);
  if (c.expr.kind === 'Subquery') {
    const q = compileSelectToQuery(c.expr.select);
    const fn = compileSubqueryColumn(q);
    // The value is already collapsed; columnValue must not re-run it.
    return { name, fn };
  }
  return { name, fn: compileExpr(c.expr) };
}

/** Compiles a SELECT. */
export function compileSelect(sel: Select): CompiledSelect {
  const items: LayoutItem[] = sel.columns.map((c) => (c.kind === 'Star' ? { star: true } : { star: false, def: columnDef(c) }));
  const hasStar = items.some((i) => i.star);
  const staticLayout = hasStar ? null : new StaticLayout(items.map((i) => (i as { def: ColumnDef }).def));
  const source = compileSource(sel.from);
  // With a fixed layout, WHERE and GROUP BY read aliases straight from the row.
  const aliases = staticLayout?.index;
  const where = sel.where ? compileExpr(sel.where, aliases) : null;
  const groupBy = sel.groupBy ? compileExpr(sel.groupBy, aliases) : null;
  const orderBy = sel.orderBy;
  const limit = sel.limit;

  const makeRow = (input: Value, qs: Scope): LazyRow => {
    const colScope = qs.child(input);
    if (staticLayout) return new LazyRow(staticLayout, colScope);
    return dynamicRow(items, input, colScope);
  };

  /** makeRow + WHERE + all columns: the output dict, or null when WHERE rejects the row. */
  const filterRow = (input: Value, qs: Scope): MaybePromise<VDict | null> => {
    const row = makeRow(input, qs);
    if (!where) return row.materialize();
    const keep = where(row);
    if (keep instanceof Promise) return keep.then((k) => afterWhere(row, k));
    return afterWhere(row, keep);
  };
  const afterWhere = (row: LazyRow, keep: Value): MaybePromise<VDict | null> => {
    const t = typeof keep === 'boolean' ? keep : truthy(keep, row);
    if (t instanceof Promise) return t.then((x) => (x ? row.materialize() : null));
    return t ? row.materialize() : null;
  };
  const streaming = !groupBy && !orderBy && limit === undefined && sel.explain === 0;
  let text = '';
  const queryText = () => (text ||= formatSelect({ ...sel, explain: 0 }));

  /** EXPLAIN (SPEC 6.7): trace rows in, rows rejected by WHERE and rows out. Same results. */
  const traced = (inner: typeof filterRow): typeof filterRow => (input, qs) => {
    if (!qs.explain) return inner(input, qs);
    qs.log('info', `EXPLAIN: ${sourceName} gave ${describeRow(input)}`);
    return then(inner(input, qs), (d) => {
      qs.log('info', d ? `EXPLAIN: emit ${describeRow(d)}` : `EXPLAIN: rejected by WHERE`);
      return d;
    });
  };
  const sourceName = sel.from.parts.map((p) => p.raw).join('.');

  /**
   * Opens the query in `scope`. A plain streaming SELECT over rows that are available now
   * (scope(), an array) is evaluated synchronously and returns its rows; everything else
   * returns a stream.
   */
  function open(scope: Scope): RowSource {
    if (!streaming || scope.explain) return openStream(scope, null);
    const qs = scope.child(null);
    if (qs.tooDeep) {
      scope.log('error', 'Stack overflow: recursion depth limit reached in a query');
      return [];
    }
    const src = source(qs);
    if (!Array.isArray(src) || (qs.demand && src.length > qs.demand.remaining)) return openStream(scope, src, qs);
    const out: VDict[] = [];
    for (let i = 0; i < src.length; i++) {
      const d = filterRow(src[i], qs);
      if (d instanceof Promise) return finishRows(src, i, d, out, qs);
      if (d) out.push(d);
    }
    return out;
  }

  async function* finishRows(src: Value[], i: number, first: Promise<VDict | null>, out: VDict[], qs: Scope): RowStream {
    const d = await first;
    if (d) out.push(d);
    for (let j = i + 1; j < src.length; j++) {
      const r = await filterRow(src[j], qs);
      if (r) out.push(r);
    }
    if (out.length) yield out;
  }

  async function* openStream(scope: Scope, opened: RowSource | null, openedIn?: Scope): RowStream {
    const qs = openedIn ?? scope.child(null);
    if (sel.explain) qs.explain = true;
    if (qs.explain) qs.log('info', `EXPLAIN: running ${queryText()}`);
    if (qs.tooDeep) {
      scope.log('error', 'Stack overflow: recursion depth limit reached in a query');
      return;
    }
    // LIMIT cancels everything upstream once reached (SPEC 13).
    const link = limit !== undefined ? new LinkedAbort(qs.signal) : null;
    let emitted = 0;
    const buffered: VDict[] | null = groupBy || orderBy ? [] : null;
    // Producers below compute no more rows than this query (and its consumers) can use.
    const parent = qs.demand;
    let demand = parent;
    if (buffered) demand = undefined;
    else if (limit !== undefined) {
      const own = Math.max(1, limit);
      demand = { get remaining() { return Math.min(own - emitted, parent ? parent.remaining : Infinity); } };
    }
    const runScope = opened ? qs : (link ? qs.withSignal(link.signal) : qs).withDemand(demand);
    const bins = groupBy ? new Map<string, { agg: AggContext; row: VDict | null }>() : null;
    try {
      const src = opened ?? source(runScope);
      for await (const batch of Array.isArray(src) ? [src] : src) {
        const out: VDict[] = [];
        for (const input of batch) {
          if (bins) {
            await addToBin(input, runScope, bins);
            continue;
          }
          let d = (runScope.explain ? traced(filterRow) : filterRow)(input, runScope);
          if (d instanceof Promise) d = await d;
          if (!d) continue;
          if (buffered) {
            buffered.push(d);
            continue;
          }
          out.push(d);
          emitted++;
          if (limit !== undefined && emitted >= limit) break;
        }
        if (out.length) yield out;
        if (limit !== undefined && emitted >= limit && !buffered) {
          link!.abort();
          return;
        }
        const y = maybeYield();
        if (y) await y;
      }
      if (!buffered) return;
      let rows: VDict[] = bins ? [...bins.values()].map((b) => b.row!) : buffered;
      if (orderBy) rows = sortRows(rows, orderBy.column.name, orderBy.desc, qs);
      if (limit !== undefined) rows = rows.slice(0, Math.max(1, limit));
      for (let i = 0; i < rows.length; i += 512) yield rows.slice(i, i + 512);
    } catch (e) {
      if (isAbort(e)) return;
      throw e;
    } finally {
      link?.dispose();
    }
  }

  /** GROUP BY (SPEC 11.2): WHERE, key as %v text, then all columns in the bin's aggregate context. */
  async function addToBin(input: Value, qs: Scope, bins: Map<string, { agg: AggContext; row: VDict | null }>): Promise<void> {
    const row = makeRow(input, qs);
    if (where) {
      let keep = where(row);
      if (keep instanceof Promise) keep = await keep;
      let t = truthy(keep, row);
      if (t instanceof Promise) t = await t;
      if (!t) return;
    }
    let key = groupBy!(row);
    if (key instanceof Promise) key = await key;
    let kv = force(key, row);
    if (kv instanceof Promise) kv = await kv;
    const k = goText(kv);
    let bin = bins.get(k);
    if (!bin) {
      bin = { agg: new AggContext(), row: null };
      bins.set(k, bin);
    }
    row.scope = row.scope.withAgg(bin.agg);
    let d = row.materialize();
    if (d instanceof Promise) d = await d;
    bin.row = d;
  }

  return { ast: sel, open };
}


/** Builds a lazy row for a column list with `*` (layout depends on the row's members). */
function dynamicRow(items: LayoutItem[], input: Value, colScope: Scope): LazyRow {
  const names: string[] = [];
  const fns: Array<Compiled | null> = [];
  const values: Value[] = [];
  const index = new Map<string, number>();
  const remove = (name: string) => {
    const at = index.get(name);
    if (at === undefined) return;
    names.splice(at, 1);
    fns.splice(at, 1);
    values.splice(at, 1);
    index.clear();
    names.forEach((n, i) => index.set(n, i));
  };
  for (const it of items) {
    if (it.star) {
      for (const m of rowMembers(input)) {
        if (index.has(m)) continue;
        const v = rowGet(input, m);
        if (v === ABSENT) continue;
        index.set(m, names.length);
        names.push(m);
        fns.push(null);
        values.push(v === undefined ? null : v);
      }
    } else {
      remove(it.def.name);
      index.set(it.def.name, names.length);
      names.push(it.def.name);
      fns.push(it.def.fn);
      values.push(undefined);
    }
  }
  return new LazyRow({ names, fns, index, empty: [] }, colScope, values);
}

/**
 * ORDER BY (SPEC 12): ascending by `<` (protocols included: OSPath), null as "". DESC reverses, so ties come out in
 * reverse input order, as the reference's insertion sort does for small inputs.
 */
function sortRows(rows: VDict[], column: string, desc: boolean, scope: Scope): VDict[] {
  const key = (r: VDict): Value | Absent => {
    const v = r.get(column);
    return v === null ? '' : v;
  };
  const sorted = rows.slice().sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x === ABSENT || y === ABSENT) return 0;
    // With the scope, registered protocols order objects (OSPath, semver()) as `<` does.
    if (lt(x, y, scope)) return -1;
    if (lt(y, x, scope)) return 1;
    return 0;
  });
  return desc ? sorted.reverse() : sorted;
}

/** Compiles a SELECT into a StoredQuery (a `{SELECT}` argument or column). */
export function compileSelectToQuery(sel: Select, name = ''): StoredQuery {
  const c = compileSelect(sel);
  return new StoredQuery(name, (s) => c.open(s));
}

installSubqueryCompiler((sel) => compileSelectToQuery(sel));
