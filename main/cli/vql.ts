/**
 * The `vql` command line, modelled on `velociraptor query`.
 *
 *   vql query "<VQL>" [--format json|jsonl|csv|text] [--max_wait S] [--env K=V]... [--output FILE]
 *
 * Exit status: 0 on success; 1 on a parse error, a bad flag, or when any ERROR-level log
 * line was printed (as Velociraptor does); 130 on a second Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import {
  Session, createRegistry, formatError, formatStatement, parseScript, VqlError, describeRegistry, didYouMean, docsMarkdown, docsText,
  type LogLevel, type VDict,
} from '../vql/index.ts';
import { Batcher } from './batcher.ts';
import { FORMATS, makeWriter, type OutputFormat } from './output.ts';

const USAGE = `usage: vql <command> [flags]

commands:
  query "<VQL>"...   run VQL statements and print their rows
  docs [NAME]...     describe plugins and functions (--format text|markdown|json)

query flags:
  --format FMT       json (default), jsonl, csv or text
  --max_wait S       print a batch at least every S seconds (default 10)
  --env K=V          set a scope variable (a string); repeatable
  --timeout S        cancel the query after S seconds (0: never)
  --output FILE      write rows to FILE instead of stdout
  -f, --from_files   the arguments are files containing VQL
`;

class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message);
}

interface QueryFlags {
  format: OutputFormat;
  maxWait: number;
  env: Record<string, string>;
  timeout: number;
  output?: string;
  fromFiles: boolean;
}

function parseQueryFlags(args: string[]): { flags: QueryFlags; queries: string[] } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'json' },
      max_wait: { type: 'string', default: '10' },
      env: { type: 'string', multiple: true, default: [] },
      timeout: { type: 'string', default: '0' },
      output: { type: 'string' },
      from_files: { type: 'boolean', short: 'f', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const format = values.format as OutputFormat;
  if (!FORMATS.includes(format)) fail(`--format must be one of ${FORMATS.join(', ')}, not '${values.format}'`);
  const maxWait = Number(values.max_wait);
  if (!(maxWait > 0 && Number.isFinite(maxWait))) fail(`--max_wait must be a positive number of seconds, not '${values.max_wait}'`);
  const timeout = Number(values.timeout);
  if (!(timeout >= 0 && Number.isFinite(timeout))) fail(`--timeout must be a number of seconds, not '${values.timeout}'`);
  const env: Record<string, string> = {};
  for (const kv of values.env as string[]) {
    const eq = kv.indexOf('=');
    if (eq <= 0) fail(`--env takes KEY=VALUE, not '${kv}'`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  if (positionals.length === 0) fail('query: give at least one VQL query, e.g. vql query "SELECT * FROM info()"');
  return { flags: { format, maxWait, env, timeout, output: values.output, fromFiles: values.from_files as boolean }, queries: positionals };
}

/** setTimeout takes at most 2^31-1 ms; longer waits are as good as forever. */
function timerDelay(seconds: number): number {
  return Math.min(seconds * 1000, 2 ** 31 - 1);
}

const LEVEL_PREFIX: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR' };

async function query(args: string[]): Promise<number> {
  const { flags, queries } = parseQueryFlags(args);
  const texts: string[] = [];
  for (const q of queries) {
    if (!flags.fromFiles) texts.push(q);
    else {
      try {
        texts.push(readFileSync(q, 'utf8'));
      } catch (e) {
        fail(`cannot read ${q}: ${(e as Error).message}`);
      }
    }
  }

  // Open the output file before running anything, so a bad path fails at once and cleanly.
  let fd: number | undefined;
  if (flags.output) {
    try {
      fd = openSync(flags.output, 'w', 0o600);
    } catch (e) {
      fail(`cannot write ${flags.output}: ${(e as Error).message}`);
    }
  }
  const controller = new AbortController();
  // A reader that goes away (`vql query ... | head`) ends the query quietly, like SIGPIPE.
  let closed = false;
  const onStdoutError = (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    closed = true;
    controller.abort();
  };
  process.stdout.on('error', onStdoutError);
  const sink = (text: string) => {
    if (fd !== undefined) writeSync(fd, text);
    else if (!closed) process.stdout.write(text);
  };

  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const timer = flags.timeout > 0 ? setTimeout(() => {
    process.stderr.write(`vql: timeout after ${flags.timeout}s\n`);
    controller.abort();
  }, timerDelay(flags.timeout)) : null;

  let errors = 0;
  const session = new Session({
    registry: createRegistry(),
    vars: flags.env,
    signal: controller.signal,
    log: (level, message) => {
      if (level === 'error') errors++;
      if (level === 'debug') return;
      process.stderr.write(`${LEVEL_PREFIX[level]}: ${message}\n`);
    },
  });

  let status = 0;
  try {
    // Each argument is parsed just before it runs: earlier arguments print their rows even
    // when a later one does not parse (as velociraptor query does).
    for (const text of texts) {
      let script;
      try {
        script = parseScript(text);
      } catch (e) {
        if (!(e instanceof VqlError)) throw e;
        process.stderr.write(`vql: error: Unable to parse VQL Query: ${formatError(e)}\n`);
        status = 1;
        break;
      }
      for (const st of script.statements) {
        if (controller.signal.aborted) break;
        const writer = makeWriter(flags.format, sink, formatStatement(st));
        const batcher = new Batcher<VDict>((rows) => writer.batch(rows), timerDelay(flags.maxWait));
        try {
          for await (const rows of session.execute(st)) {
            for (const r of rows) batcher.push(r as VDict);
          }
        } catch (e) {
          if (!(e instanceof VqlError)) throw e;
          errors++;
          process.stderr.write(`ERROR: ${e.message}\n`);
        } finally {
          batcher.close();
          writer.end();
        }
      }
    }
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    if (fd !== undefined) closeSync(fd);
  }
  if (fd === undefined && flags.format === 'json' && process.stdout.isTTY) process.stdout.write('\n');
  return status || (errors > 0 ? 1 : 0);
}

/** `vql docs [NAME]... [--format text|markdown|json]`: reference generated from the declarations. */
function docs(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { format: { type: 'string', default: 'text' } } });
  const format = values.format as string;
  if (!['text', 'markdown', 'json'].includes(format)) fail(`--format must be text, markdown or json, not '${format}'`);
  const registry = createRegistry();
  let entries = describeRegistry(registry);
  if (positionals.length) {
    const wanted = new Set(positionals);
    entries = entries.filter((e) => wanted.has(e.name));
    const all = describeRegistry(registry).map((e) => e.name);
    for (const name of positionals) {
      if (!entries.some((e) => e.name === name)) {
        process.stderr.write(`vql: error: no plugin or function called ${name}${didYouMean(name, all)}\n`);
        return 1;
      }
    }
  }
  if (format === 'json') process.stdout.write(JSON.stringify(entries, null, 1) + '\n');
  else process.stdout.write(format === 'markdown' ? docsMarkdown(entries) : docsText(entries));
  return 0;
}

/** Runs the CLI with `argv` (without node and script); returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'query':
        return await query(rest);
      case 'docs':
        return docs(rest);
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
