/**
 * `generate(name=, query=, delay=, with_file_buffer=)` (Velociraptor's vql/tools/generator.go):
 * runs a query once and shares its rows with every query that reads the result, so several
 * sources can filter the same expensive scan (System.VFS.ListDirectory's two sources read one
 * vfs_ls()).
 *
 * - The result is a query value: `LET G = generate(query={...})` then `SELECT ... FROM G`.
 * - The query starts when the first reader opens it, after `delay` milliseconds that let the
 *   other readers subscribe (Velociraptor's ListDirectory uses 500). Readers that subscribe
 *   before it starts see every row; a reader that comes later sees the rows from then on.
 * - `name` shares one generator across the calls of a session (and the sources of an
 *   artifact) that use the same name; without a name each call makes its own.
 * - Rows are never dropped: the query waits for the slowest reader (so `with_file_buffer`,
 *   Velociraptor's way of not losing rows for slow readers, is accepted and not needed).
 * - When every reader has gone (LIMIT, cancelled), or the calling query is cancelled, the
 *   query stops.
 */
import { StoredQuery } from '../../vql/eval/query-values.ts';
import { Channel, LinkedAbort, asStream, type RowStream } from '../../vql/eval/stream.ts';
import { abortableSleep, openArgQuery, type FunctionDef, type Scope, type Value } from '../../vql/index.ts';

const NAMED = Symbol('generate-named');

class Generator {
  private readonly subs = new Set<Channel<Value[]>>();
  private started = false;
  private done = false;
  private link: LinkedAbort | null = null;

  constructor(
    private readonly query: Value,
    private readonly scope: Scope,
    private readonly delayMs: number,
    private readonly onDone: () => void,
    private readonly log: (m: string) => void,
  ) {}

  open(consumer: Scope): RowStream {
    if (this.done) return asStream([]);
    const ch = new Channel<Value[]>(16);
    this.subs.add(ch);
    if (!this.started) this.start();
    const leave = () => {
      this.subs.delete(ch);
      ch.close();
      if (this.subs.size === 0 && !this.done) this.link?.abort();
    };
    return (async function* () {
      consumer.signal.addEventListener('abort', leave, { once: true });
      try {
        for await (const items of ch.drain()) for (const b of items) yield b;
      } finally {
        consumer.signal.removeEventListener('abort', leave);
        leave();
      }
    })();
  }

  private start(): void {
    this.started = true;
    this.link = new LinkedAbort(this.scope.signal);
    const signal = this.link.signal;
    const produce = async () => {
      if (this.delayMs > 0 && !(await abortableSleep(this.delayMs, signal))) return;
      for await (const batch of asStream(openArgQuery(this.query, this.scope.withSignal(signal)))) {
        if (signal.aborted) return;
        for (const ch of [...this.subs]) await ch.push(batch);
        if (this.subs.size === 0) return;
      }
    };
    void produce().then(
      () => this.finish(),
      (e) => {
        if (!signal.aborted) this.log(`query: ${(e as Error)?.message ?? String(e)}`);
        this.finish();
      },
    );
  }

  private finish(): void {
    this.done = true;
    for (const ch of this.subs) ch.close();
    this.subs.clear();
    this.link?.dispose();
    this.onDone();
  }
}

export const generate: FunctionDef = {
  name: 'generate',
  doc: 'Run a query once and share its rows with every query that reads the result (LET G = generate(query={...}); SELECT ... FROM G).',
  args: {
    name: { type: 'string', doc: 'Share one generator between the calls that use this name' },
    query: { type: 'any', required: true, doc: 'The query whose rows are shared' },
    delay: { type: 'int', doc: 'Milliseconds to wait after the first reader before starting, for the others to subscribe', default: '0' },
    with_file_buffer: { type: 'bool', doc: 'Accepted: rows are never dropped here (the query waits for the slowest reader)' },
  },
  run(call) {
    const { args, scope } = call;
    const name = typeof args.name === 'string' ? args.name : '';
    const delay = Math.max(0, Number(args.delay ?? 0));
    let named = scope.env.context.get(NAMED) as Map<string, Generator> | undefined;
    if (name) {
      if (!named) scope.env.context.set(NAMED, (named = new Map()));
      const existing = named.get(name);
      if (existing) return new StoredQuery(`generate(${name})`, (s) => existing.open(s));
    }
    const gen = new Generator(args.query, scope, delay, () => {
      if (name && named?.get(name) === gen) named.delete(name);
    }, (m) => call.log('error', m));
    if (name) named!.set(name, gen);
    return new StoredQuery(name ? `generate(${name})` : 'generate', (s) => gen.open(s));
  },
};
