/**
 * Text and record parsers (issue 10): split_records, parse_records_with_regex, grok,
 * parse_xml, plist, parse_binary (with its vtypes profile language) and sqlite; and Windows
 * files on any OS: parse_evtx and watch_evtx (evtx/), parse_pe (pe/); and parse_x509 (x509.ts:
 * certificates, DER or PEM, decoded with der.ts, the DER reader parse_pe uses).
 */
import type { FunctionDef, PluginDef, Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';
import { splitRecords } from './split_records.ts';
import { parseRecordsWithRegex } from './parse_records_with_regex.ts';
import { parseBinary } from './parse_binary.ts';
import { grok } from './grok.ts';
import { sqlitePlugin } from './sqlite.ts';
import { parseXml } from './parse_xml.ts';
import { plistFunction, plistPlugin } from './plist.ts';
import { parseEvtx } from './evtx/parse_evtx.ts';
import { watchEvtx } from './evtx/watch_evtx.ts';
import { parsePeFunction } from './pe/parse_pe.ts';
import { authenticodeFunction } from './pe/authenticode-fn.ts';
import { parseX509Function } from './x509.ts';

/** The parser plugins; sqlite() writes outside the run's temp and local folders only when `allowExecve` (sqlite.ts). */
export function parserPlugins(allowExecve = false): PluginDef[] {
  return [splitRecords, parseRecordsWithRegex, sqlitePlugin(allowExecve), plistPlugin, parseEvtx, watchEvtx];
}

export const parserFunctions: readonly FunctionDef[] = [parseBinary, grok, parseXml, plistFunction, parsePeFunction, authenticodeFunction, parseX509Function];

export function registerParsers(registry: Registry, opts: HostOptions): void {
  for (const p of parserPlugins(opts.allowExecve === true)) registry.registerPlugin(p);
  for (const f of parserFunctions) registry.registerFunction(f);
}
