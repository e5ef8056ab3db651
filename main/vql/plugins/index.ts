/** The builtin plugins (registry only). */
import type { PluginDef } from '../registry.ts';
import { range } from './range.ts';
import { scope } from './scope.ts';
import { foreach } from './foreach.ts';
import { chain } from './chain.ts';
import { flatten } from './flatten.ts';
import { ifPlugin } from './if.ts';
import { clock } from './clock.ts';

export const builtinPlugins: readonly PluginDef[] = [range, scope, foreach, chain, flatten, ifPlugin, clock];
