/**
 * OLE2 compound files on any OS: the `mscfb` accessor (jump lists, .msg, .msi, legacy Office
 * documents) and `olevba()`, the VBA macros of Office documents (Velociraptor's oleparse).
 */
import type { Registry } from '../../vql/index.ts';
import { registerMscfb } from './mscfb-accessor.ts';
import { olevba } from './olevba.ts';

export function registerOle(registry: Registry): void {
  registerMscfb(registry);
  registry.registerPlugin(olevba);
}
