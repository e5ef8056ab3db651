// Test-only plugins that misbehave for real, loaded into a query worker's engine through the
// collector's `pluginModules` (main/app/stream-job.ts): `stall()` holds its thread in one
// synchronous busy loop (no await, no timer can run: what a catastrophic step does), `hog()`
// allocates until its worker's heap limit ends it, and `spin()` burns a core in short steps
// (a CPU-hungry query that still lets its event loop turn). Nothing is mocked: the thread is
// really stuck, the heap really full, the core really busy.
import type { Registry } from '../../main/vql/index.ts';

export function registerPlugins(registry: Registry): void {
  registry.registerPlugin({
    name: 'stall',
    doc: 'Yields one row, then busy-loops synchronously for ms milliseconds (default an hour), then yields another.',
    args: { ms: { type: 'int', doc: 'How long the synchronous loop lasts' } },
    async *run({ args }) {
      yield { Phase: 'before' };
      const end = Date.now() + Number(args.ms ?? 3_600_000);
      let spins = 0;
      while (Date.now() < end) spins++;
      yield { Phase: 'after', Spins: spins };
    },
  });
  registry.registerPlugin({
    name: 'hog',
    doc: 'Yields one row, then keeps allocating memory (1 MB strings in an array) until its thread dies.',
    args: {},
    async *run() {
      yield { Phase: 'before' };
      const keep: string[] = [];
      for (let i = 0; ; i++) keep.push(String(i).padEnd(1 << 20, 'x') + i);
    },
  });
  registry.registerPlugin({
    name: 'spin',
    doc: 'Forever: 20 ms of busy loop, then a row (the event loop turns in between).',
    args: {},
    async *run({ signal }) {
      for (let n = 0; !signal.aborted; n++) {
        const end = Date.now() + 20;
        while (Date.now() < end);
        await new Promise((r) => setImmediate(r));
        yield { N: n };
      }
    },
  });
}
