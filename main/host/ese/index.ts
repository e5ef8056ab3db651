/**
 * ESE databases (JET Blue: SRUM's SRUDB.dat, Windows Search, UAL, WebCache) on any OS:
 * `parse_ese()`, `parse_ese_catalog()` and `srum_lookup_id()` over the page reader of ese.ts.
 */
import type { Registry } from '../../vql/index.ts';
import { parseEse, parseEseCatalog, srumLookupId } from './plugins.ts';

export { EseDatabase, EseError } from './ese.ts';

export function registerEse(registry: Registry): void {
  registry.registerPlugin(parseEse);
  registry.registerPlugin(parseEseCatalog);
  registry.registerFunction(srumLookupId);
}
