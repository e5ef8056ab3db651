/**
 * A Bridge (main/ipc/contract.ts) over a real AppService in this process: the transport is the
 * only thing replaced. Pushes are delivered on a later macrotask, as a socket would, and the
 * reply to a start can be held back to reproduce pushes that overtake it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bridge, Push, PushChannel } from '../../main/ipc/contract.ts';
import { AppService } from '../../main/app/service.ts';

export interface ServiceBridge {
  bridge: Bridge;
  service: AppService;
  /** Milliseconds every reply waits before it is delivered (default 0). */
  replyDelay: number;
  /** Hold a start's reply until its `vql:done` was delivered (pushes overtake the reply). */
  replyAfterDone: boolean;
  close(): void;
}

/** A real AppService over a fresh user-artifact folder, reachable through a Bridge. */
export function serviceBridge(): ServiceBridge {
  const dir = mkdtempSync(join(tmpdir(), 'vql-bridge-'));
  const listeners = new Map<PushChannel, Set<(...a: unknown[]) => void>>();
  const doneIds = new Set<string>();
  const doneWaiters = new Set<() => void>();
  const service = new AppService({
    userArtifacts: join(dir, 'artifacts'),
    push: (channel, ...args) => {
      setImmediate(() => {
        for (const fn of listeners.get(channel) ?? []) fn(...args);
        if (channel === 'vql:done') {
          doneIds.add(args[0] as string);
          for (const w of doneWaiters) w();
        }
      });
    },
  });
  const sb: ServiceBridge = {
    service,
    replyDelay: 0,
    replyAfterDone: false,
    bridge: {
      async invoke(channel, ...args) {
        const r = await service.invoke(channel, ...args);
        await new Promise((res) => setTimeout(res, sb.replyDelay));
        const id = r.ok && typeof r.value === 'string' ? r.value : null;
        if (sb.replyAfterDone && id) {
          await new Promise<void>((res) => {
            const w = () => doneIds.has(id) && (doneWaiters.delete(w), res());
            doneWaiters.add(w);
            w();
          });
        }
        return r;
      },
      send: (channel, ...args) => service.send(channel, ...args),
      subscribe<K extends PushChannel>(channel: K, fn: (...args: Parameters<Push[K]>) => void) {
        let set = listeners.get(channel);
        if (!set) listeners.set(channel, (set = new Set()));
        const f = fn as (...a: unknown[]) => void;
        set.add(f);
        return () => void set.delete(f);
      },
    },
    close() {
      service.cancelAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return sb;
}
