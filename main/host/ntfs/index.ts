/**
 * NTFS volumes and $MFT files read with no OS support, on any OS (Velociraptor's go-ntfs):
 * the `raw_ntfs`, `ntfs` and `mft` accessors, `parse_ntfs()` and `parse_mft()`, and the $I30
 * and USN journal parsers (`parse_ntfs_i30`, `parse_usn`) over this volume reader.
 */
import type { Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';
import { registerNtfsAccessors } from './raw-ntfs-accessor.ts';
import { registerMftAccessor } from './mft-accessor.ts';
import { parseNtfs } from './parse-ntfs.ts';
import { parseMft } from './parse-mft.ts';
import { makeParseNtfsI30 } from './i30-plugin.ts';
import { makeParseUsn } from './usn-plugin.ts';
import { i30Source, usnSources } from './volume-sources.ts';

export { resolveEntryPath, PathResolver } from './paths.ts';
export { Volume } from './volume.ts';

export function registerNtfs(registry: Registry, _opts: HostOptions = {}): void {
  registerNtfsAccessors(registry);
  registerMftAccessor(registry);
  registry.registerFunction(parseNtfs);
  registry.registerPlugin(parseMft);
  registry.registerPlugin(makeParseNtfsI30(i30Source));
  registry.registerPlugin(makeParseUsn(usnSources));
}
