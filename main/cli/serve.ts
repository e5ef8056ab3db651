/**
 * `vql serve [--port N] [--datastore DIR]`: the web host (main/web/host.ts) for the browser
 * and headless machines. Prints the URL, which carries the per-start token.
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWebHost } from '../web/host.ts';
import { AppCollector } from '../app/collector-host.ts';
import { defaultDatastore } from '../collector/paths.ts';
import { fail } from './flags.ts';

/**
 * The built renderer: dist-renderer/ at the package root. Searched upwards from this module,
 * because the bundled CLI runs it from dist/chunks/ and the sources from main/cli/.
 */
export function rendererDir(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start, i = 0; i < 4; i++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'dist-renderer', 'index.html'))) return join(dir, 'dist-renderer');
  }
  return join(start, '..', '..', 'dist-renderer');
}

export async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '0' },
      datastore: { type: 'string' },
      definitions: { type: 'string', multiple: true, default: [] },
      'allow-execve': { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port);
  if (!(Number.isInteger(port) && port >= 0 && port < 65536)) fail(`--port must be a port number, not '${values.port}'`);
  const datastore = values.datastore ?? defaultDatastore();
  const userArtifacts = join(datastore, 'artifacts');
  // ONE collector for the process: every browser tab shares its events file, queries and datastore.
  const collector = await AppCollector.open({
    datastore,
    definitions: values.definitions as string[],
    userArtifacts,
    allowExecve: values['allow-execve'] as boolean,
    owner: 'vql serve',
    echo: (e) => {
      if (e.level !== 'info') process.stderr.write(`${e.level.toUpperCase()}: [collector] ${e.message}\n`);
    },
  });
  const host = await startWebHost({
    port,
    userArtifacts,
    definitions: values.definitions as string[],
    allowExecve: values['allow-execve'] as boolean,
    staticDir: rendererDir(),
    collector,
  });
  process.stdout.write(`vql-workbench is at ${host.url}\n(only this machine can reach it, and only with the token in the URL; Ctrl-C stops it)\n`);
  if (collector.busy) process.stdout.write(`note: the live event view cannot start or stop artifacts here: ${collector.busy}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await host.close();
  await collector.close();
  return 0;
}
