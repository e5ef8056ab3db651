/**
 * An accessor over this machine's files that counts reads (`counter.reads`), for tests that
 * check a parser reads on demand and stops at LIMIT (ESE pages, PST blocks).
 */
import { localFileReader, registerAccessor, registryAccessors } from '../../main/host/files/accessors.ts';
import type { Registry } from '../../main/vql/index.ts';

export interface ReadCounter {
  reads: number;
}

/** Registers `counting` on `registry`; its reads add to the returned counter. */
export function registerCountingAccessor(registry: Registry): ReadCounter {
  const counter: ReadCounter = { reads: 0 };
  registerAccessor(registry, {
    name: 'counting',
    doc: 'local files, counting reads',
    path: (f) => registryAccessors(registry).get('file')!.path(f),
    async open(filename) {
      const r = await localFileReader(String(filename));
      return { size: r.size, read: (o, l) => (counter.reads++, r.read(o, l)), close: () => r.close() };
    },
  });
  return counter;
}
