/**
 * The `vql` command line, modelled on `velociraptor query` and `velociraptor artifacts`.
 *
 * Exit status: 0 on success; 1 on a parse error, a bad flag, or when any ERROR-level log
 * line was printed (as Velociraptor does); 124 when `--timeout` ended the run (the output is
 * partial: run-context.ts); 130 on a second Ctrl-C.
 */
import { UsageError } from './run-context.ts';
import { fail } from './flags.ts';
import { ARTIFACTS_USAGE, DEADDISK_USAGE, LOGS_USAGE, MONITOR_USAGE, QUERY_USAGE, SERVE_USAGE } from './usage.ts';
import { suggest } from '../vql/args.ts';

const USAGE = `usage: vql <command> [flags]

commands:
  query "<VQL>"...   run VQL statements and print their rows
  artifacts ...      list, show, collect, verify, pack and import artifacts
  monitor            run event artifacts forever into daily CSV files (the collector)
  logs list|show     a monitoring datastore's logs (ours or a Velociraptor server's)
  serve              the app's web host on 127.0.0.1 (token in the printed URL)
  deaddisk EVIDENCE  write the remapping config that runs artifacts against a Windows disk image or folder
  docs [NAME]...     describe plugins and functions (--format text|markdown|json)

${QUERY_USAGE}
${ARTIFACTS_USAGE}
${MONITOR_USAGE}
${LOGS_USAGE}
${SERVE_USAGE}
${DEADDISK_USAGE}`;

const COMMANDS = ['query', 'artifacts', 'monitor', 'logs', 'serve', 'docs', 'deaddisk'];
const ARTIFACTS_COMMANDS = ['list', 'show', 'collect', 'verify', 'reach', 'pack', 'import'];

/** Each command's own usage (`vql query --help`). */
const COMMAND_USAGE: Record<string, string> = {
  query: QUERY_USAGE,
  artifacts: ARTIFACTS_USAGE,
  monitor: MONITOR_USAGE,
  logs: LOGS_USAGE,
  serve: SERVE_USAGE,
  deaddisk: DEADDISK_USAGE,
  docs: 'docs [NAME]... [--format text|markdown|json]: describe plugins and functions\n',
};

/** The flags a command's usage mentions, for "did you mean". */
function flagsOf(command: string | undefined): string[] {
  const text = command && COMMAND_USAGE[command] ? COMMAND_USAGE[command]! : USAGE;
  return [...new Set(text.match(/--[a-z][a-z_-]*/g) ?? [])];
}

/**
 * A usage error in one line, a "did you mean" for an unknown flag or command, and where the
 * usage is: `vql: error: unknown flag --formt: did you mean --format?` then `see vql query --help`.
 */
function usageError(command: string | undefined, message: string): string {
  let text = message;
  const flag = /Unknown option '(-{1,2}[^']+)'/.exec(message)?.[1];
  if (flag) {
    const near = suggest(flag, flagsOf(command));
    text = `unknown flag ${flag}${near.length ? `: did you mean ${near.join(' or ')}?` : ''}`;
  }
  const cmd = /^unknown (artifacts )?command '([^']*)'/.exec(message);
  if (cmd) {
    const near = suggest(cmd[2]!, cmd[1] ? ARTIFACTS_COMMANDS : COMMANDS);
    text = `${message}${near.length ? `: did you mean ${near.join(' or ')}?` : ''}`;
  }
  const help = command && COMMAND_USAGE[command] ? `vql ${command} --help` : 'vql --help';
  return `vql: error: ${text}\nsee ${help}\n`;
}

/** Runs the CLI with `argv` (without node and script); returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  // Velociraptor's placement of --remap (a global flag there): `vql --remap FILE query ...`.
  if (argv[0] === '--remap' && argv.length > 2) {
    const [, file, cmd, ...more] = argv;
    argv = cmd === 'artifacts' && more.length ? [cmd, more[0]!, '--remap', file!, ...more.slice(1)] : [cmd!, '--remap', file!, ...more];
  }
  const [command, ...rest] = argv;
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command && COMMAND_USAGE[command] ? `usage: vql ${command} ...\n\n${COMMAND_USAGE[command]}` : USAGE);
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
      case 'logs':
        return await (await import('./logs.ts')).logs(rest);
      case 'serve':
        return await (await import('./serve.ts')).serve(rest);
      case 'deaddisk':
        return await (await import('./deaddisk.ts')).deaddisk(rest);
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
      process.stderr.write(usageError(COMMANDS.includes(command ?? '') ? command : undefined, (e as Error).message));
      return 1;
    }
    throw e;
  }
}
