/**
 * The `vql` command line, modelled on `velociraptor query` and `velociraptor artifacts`.
 *
 * Exit status: 0 on success; 1 on a parse error, a bad flag, or when any ERROR-level log
 * line was printed (as Velociraptor does); 130 on a second Ctrl-C.
 */
import { UsageError } from './run-context.ts';
import { fail } from './flags.ts';
import { query, QUERY_USAGE } from './query.ts';
import { artifacts, ARTIFACTS_USAGE } from './artifacts.ts';
import { docs } from './docs.ts';
import { monitor, MONITOR_USAGE } from './monitor.ts';

const USAGE = `usage: vql <command> [flags]

commands:
  query "<VQL>"...   run VQL statements and print their rows
  artifacts ...      list, show, collect and verify artifacts
  monitor            run event artifacts forever into daily CSV files (the collector)
  docs [NAME]...     describe plugins and functions (--format text|markdown|json)

${QUERY_USAGE}
${ARTIFACTS_USAGE}
${MONITOR_USAGE}`;

/** Runs the CLI with `argv` (without node and script); returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    switch (command) {
      case 'query':
        return await query(rest);
      case 'artifacts':
        return await artifacts(rest);
      case 'docs':
        return docs(rest);
      case 'monitor':
        return await monitor(rest);
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
