/**
 * `vql serve [--port N] [--datastore DIR] [--token-file FILE]`: the web host (main/web/host.ts)
 * for the browser and headless machines. Prints the URL, which carries the token, last: a new
 * token per start, or the one kept in FILE (main/web/token-file.ts), so that with a fixed
 * --port a restart keeps open tabs working (they reconnect by themselves).
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWebHost } from '../web/host.ts';
import { TokenFileError, tokenFromFile, type TokenFile } from '../web/token-file.ts';
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
      'token-file': { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!(Number.isInteger(port) && port >= 0 && port < 65536)) fail(`--port must be a port number, not '${values.port}'`);
  // Before anything starts: a token file that cannot be used ends here, with what to do.
  let kept: TokenFile | undefined;
  const tokenFile = values['token-file'] as string | undefined;
  if (tokenFile !== undefined) {
    if (!tokenFile) fail('--token-file needs a file name');
    try {
      kept = tokenFromFile(tokenFile);
    } catch (e) {
      if (!(e instanceof TokenFileError)) throw e;
      process.stderr.write(`vql serve: ${e.message}\n`);
      return 1;
    }
  }
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
    ...(kept ? { token: kept.token } : {}),
  });
  process.stdout.write(startText(host.url, { tokenFile, created: kept?.created, fixedPort: port !== 0, busy: collector.busy }));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await host.close();
  await collector.close();
  return 0;
}

/** What `vql serve` prints once it listens: notes first, the address last, on a line of its own. */
export function startText(url: string, o: { tokenFile?: string; created?: boolean; fixedPort: boolean; busy?: string | null }): string {
  const lines: string[] = [];
  if (o.busy) lines.push(`note: the live event view cannot start or stop artifacts here: ${o.busy}`);
  if (o.tokenFile !== undefined) {
    lines.push(o.created ? `token: a new one, saved in ${o.tokenFile} (mode 0600) for the next starts` : `token: the one kept in ${o.tokenFile}`);
    if (!o.fixedPort) lines.push('note: without --port a restart picks another port, and open tabs cannot reconnect: add --port N to keep them');
  }
  lines.push('', 'Only this machine can reach it, and only with the token in the address. Ctrl-C stops it.', 'vql-workbench is ready: open', '', `    ${url}`, '');
  return lines.join('\n');
}
