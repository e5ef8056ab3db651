/**
 * YARA scanning: the yara() plugin over libyara compiled to WebAssembly (engine.ts), and the
 * yarax() plugin over YARA-X compiled to WebAssembly (yarax.ts), both loaded on first use and
 * sharing their file walk and rows (scan-rows.ts); each runs unchanged on Linux, macOS, Windows
 * and in Electron. yara_lint() (lint.ts) trims a rule set to what libyara can load.
 */
import type { Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';
import { yara } from './yara.ts';
import { yarax } from './yarax.ts';
import { yaraLint } from './lint.ts';

export function registerYara(registry: Registry, opts: HostOptions): void {
  void opts;
  registry.registerPlugin(yara);
  registry.registerPlugin(yarax);
  registry.registerFunction(yaraLint);
}
