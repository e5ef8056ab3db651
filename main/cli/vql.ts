/**
 * The `vql` command line, modelled on `velociraptor query` and `velociraptor artifacts`.
 *
 * Exit status: 0 on success; 1 on a parse error, a bad flag, or when any ERROR-level log
 * line was printed (as Velociraptor does); 124 when `--timeout` ended the run (the output is
 * partial: run-context.ts); 130 on a second Ctrl-C.
 */
import { UsageError } from './run-context.ts';
import { fail } from './flags.ts';
import { ARTIFACTS_USAGE, MONITOR_USAGE, QUERY_USAGE, SERVE_USAGE } from './usage.ts';

const USAGE = `usage: vql <command> [flags]

commands:
  query "<VQL>"...   run VQL statements and print their rows
  artifacts ...      list, show, collect, verify, pack and import artifacts
  monitor            run event artifacts forever into daily CSV files (the collector)
  serve              the app's web host on 127.0.0.1 (token in the printed URL)
  docs [NAME]...     describe plugins and functions (--format text|markdown|json)

${QUERY_USAGE}
${ARTIFACTS_USAGE}
${MONITOR_USAGE}
${SERVE_USAGE}`;

/** Runs the CLI with `argv` (without node and script); returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    switch (command) {
      // Each command loads only its own code (separate chunks of the bundle): start-up stays fast.
      case 'query':
        return await (await import('./query.ts')).query(rest);
      case 'artifacts':
        return await (await import('./artifacts.ts')).artifacts(rest);
      case 'docs':
        return (await import('./docs.ts')).docs(rest);
      case 'monitor':
        return await (await import('./monitor.ts')).monitor(rest);
      case 'serve':
        return await (await import('./serve.ts')).serve(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 1 : 0;
      default:
        fail(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`vql: error: ${(e as Error).message}\n\n${USAGE}`);
      return 1;
    }
    throw e;
  }
}
