/**
 * YARA scanning: the yara() plugin over libyara compiled to WebAssembly (engine.ts), which
 * runs unchanged on Linux, macOS, Windows and in Electron; yara_lint() (lint.ts) trims a rule
 * set to what that engine can load.
 */
import type { Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';
import { yara } from './yara.ts';
import { yaraLint } from './lint.ts';

export function registerYara(registry: Registry, opts: HostOptions): void {
  void opts;
  registry.registerPlugin(yara);
  registry.registerFunction(yaraLint);
}
