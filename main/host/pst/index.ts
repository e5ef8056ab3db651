/**
 * Outlook PST files on any OS: the `parse_pst()` plugin (one row per message) and the `pst`
 * accessor (an attachment's bytes), over the NDB (ndb.ts), LTP (ltp.ts) and messaging
 * (messaging.ts) layers of [MS-PST].
 */
import type { Registry } from '../../vql/index.ts';
import { parsePst } from './parse-pst.ts';
import { registerPstAccessor } from './pst-accessor.ts';

export { PstError, PstFile } from './ndb.ts';
export { PstMessages } from './messaging.ts';

export function registerPst(registry: Registry): void {
  registry.registerPlugin(parsePst);
  registerPstAccessor(registry);
}
