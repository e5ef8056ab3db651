/**
 * The live event view and the monitoring log browser: the app's collector (the same Collector,
 * events file and datastore as `vql monitor`) behind the contract's events:* and store:* requests.
 * SCAFFOLD: to be built (issue 6).
 */
import type { Handlers, SendHandlers, ServiceContext } from './service.ts';
import { fail } from './service.ts';

/** The app's collector, shared by every window or web connection. */
export interface AppCollector {
  readonly datastore: string;
}

type EventChannels = 'events:status' | 'events:start' | 'events:stop' | 'events:subscribe' | 'store:clients' | 'store:artifacts' | 'store:open';

export function eventsHandlers(ctx: ServiceContext): { invoke: Pick<Handlers, EventChannels>; send: Pick<SendHandlers, 'events:unsubscribe'>; close(): void } {
  void ctx;
  const no = () => fail('NotImplemented', 'not built yet');
  return {
    invoke: {
      'events:status': no, 'events:start': no, 'events:stop': no, 'events:subscribe': no,
      'store:clients': no, 'store:artifacts': no, 'store:open': no,
    },
    send: { 'events:unsubscribe': () => {} },
    close: () => {},
  };
}
