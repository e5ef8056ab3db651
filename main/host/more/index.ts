/**
 * More of Velociraptor's library that artifacts call: template() (Go text/template),
 * semver() (version comparisons), generate() (one query shared by several readers), the
 * `file_nocase` and `process` accessors, and proc_yara() (YARA over a process's memory).
 * ip(), cidr_contains(), url() and host() live with the network functions (../net).
 */
import type { Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';
import { template } from './template.ts';
import { installSemverProtocols, semver } from './semver.ts';
import { generate } from './generate.ts';
import { registerFileNocase } from './file-nocase.ts';
import { registerProcessAccessor } from './process-memory.ts';
import { procYara } from './proc-yara.ts';
import { mock } from './mock.ts';
import { pipe, registerPipeAccessor } from './pipe.ts';
import { evalFunction } from './eval.ts';
import { atexit } from './atexit.ts';
import { similarity } from './similarity.ts';
import { pkFunctions } from './pk.ts';
import { alert } from './alert.ts';
import { serverMetadata, serverSetMetadata } from './server-metadata.ts';

export function registerMore(registry: Registry, opts: HostOptions): void {
  void opts;
  registry.registerFunction(template);
  registry.registerFunction(semver);
  installSemverProtocols(registry);
  registry.registerFunction(generate);
  registerFileNocase(registry);
  registerProcessAccessor(registry);
  registry.registerPlugin(procYara);
  registry.registerFunction(mock);
  registry.registerFunction(pipe);
  registerPipeAccessor(registry);
  registry.registerFunction(evalFunction);
  registry.registerFunction(atexit);
  registry.registerFunction(similarity);
  for (const f of pkFunctions) registry.registerFunction(f);
  registry.registerFunction(alert);
  registry.registerFunction(serverMetadata);
  registry.registerFunction(serverSetMetadata);
}
