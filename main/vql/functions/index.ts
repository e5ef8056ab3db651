/** The builtin functions (registry only). */
import type { FunctionDef } from '../registry.ts';
import { dict } from './dict.ts';
import { ifFunction } from './if.ts';
import { format } from './format.ts';
import { get } from './get.ts';
import { split } from './split.ts';
import { encode } from './encode.ts';
import { len } from './len.ts';
import { timestamp } from './timestamp.ts';
import { timestampFormat } from './timestamp-format.ts';
import { scopeFunction } from './scope.ts';
import { version } from './version.ts';
import { count, sum, min, max, enumerate } from './aggregates.ts';
import { now } from './now.ts';
import { sleep } from './sleep.ts';

export const builtinFunctions: readonly FunctionDef[] = [
  dict, ifFunction, format, get, split, encode, len, timestamp, timestampFormat, scopeFunction, version,
  count, sum, min, max, enumerate, now, sleep,
];
