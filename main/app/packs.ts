/**
 * Artifact packs for a Velociraptor server: packs:export and packs:import.
 * SCAFFOLD: to be built (issue 6).
 */
import type { Handlers, ServiceContext } from './service.ts';
import { fail } from './service.ts';

export function packHandlers(ctx: ServiceContext): Pick<Handlers, 'packs:export' | 'packs:import'> {
  void ctx;
  const no = () => fail('NotImplemented', 'not built yet');
  return { 'packs:export': no, 'packs:import': no };
}
