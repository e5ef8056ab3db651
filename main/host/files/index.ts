/** File, parsing and string plugins and functions (registry only). */
import type { FunctionDef, PluginDef, Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';
import { accessorNames, registerAccessor, type Accessor } from './accessors.ts';
import { glob } from './glob.ts';
import { hash, readFileFunction, readFilePlugin, statFunction, statPlugin } from './read.ts';
import { parseCsv, parseJson, parseJsonArrayFunction, parseJsonArrayPlugin, parseJsonl, parseLines, parseYaml } from './parsers.ts';
import { installPathProtocols, pathFunctions } from './paths.ts';
import { regexReplace, regexTransform, parseStringWithRegex } from './regexes.ts';
import { stringFunctions } from './strings.ts';
import { numberFunctions } from './numbers.ts';
import { encodingFunctions } from './encodings.ts';
import { serialize } from './serialize.ts';
import { dataFunctions, itemsPlugin } from './data.ts';
import { cache, lru, memoize } from './caches.ts';
import { log } from './log.ts';
import { queryPlugins } from './queries.ts';

export { accessorNames, registerAccessor, type Accessor };
export { OSPath } from './ospath.ts';

export const filePlugins: readonly PluginDef[] = [
  glob, statPlugin, readFilePlugin, parseCsv, parseJsonl, parseLines, parseJsonArrayPlugin, itemsPlugin, ...queryPlugins,
];

export const fileFunctions: readonly FunctionDef[] = [
  statFunction, readFileFunction, hash, parseJson, parseJsonArrayFunction, parseYaml, serialize,
  ...pathFunctions, regexReplace, regexTransform, parseStringWithRegex,
  ...stringFunctions, ...numberFunctions, ...encodingFunctions, ...dataFunctions,
  memoize, cache, lru, log,
];

export function registerFiles(registry: Registry, opts: HostOptions): void {
  void opts;
  for (const p of filePlugins) registry.registerPlugin(p);
  for (const f of fileFunctions) registry.registerFunction(f);
  installPathProtocols(registry);
  accessorNames(registry); // creates the registry's accessor table with the defaults
}
