/**
 * `vql query "<VQL>"... [flags]`, modelled on `velociraptor query` (VELOCIRAPTOR.md 2.2).
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { Session, formatError, formatStatement, parseScript, VqlError } from '../vql/index.ts';
import { RunContext } from './run-context.ts';
import { ENGINE_OPTIONS, OUTPUT_OPTIONS, engineFlags, fail, outputFlags } from './flags.ts';
import { createEngine } from './engine.ts';

export const QUERY_USAGE = `query flags:
  --format FMT         json (default), jsonl, csv or text
  --max_wait S         print a batch at least every S seconds (default 10)
  --env K=V            set a scope variable (a string); repeatable
  --timeout S          cancel the query after S seconds (0: never)
  --output FILE        write rows to FILE instead of stdout
  -f, --from_files     the arguments are files containing VQL
  --definitions DIR    also load artifacts from DIR (repeatable)
  --allow-execve       let queries run programs (execve)
`;

export async function query(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...OUTPUT_OPTIONS, ...ENGINE_OPTIONS, from_files: { type: 'boolean', short: 'f', default: false } },
  });
  const out = outputFlags(values);
  const eng = engineFlags(values);
  if (positionals.length === 0) fail('query: give at least one VQL query, e.g. vql query "SELECT * FROM info()"');
  const texts: string[] = [];
  for (const q of positionals) {
    if (!values.from_files) texts.push(q);
    else {
      try {
        texts.push(readFileSync(q, 'utf8'));
      } catch (e) {
        fail(`cannot read ${q}: ${(e as Error).message}`);
      }
    }
  }
  const run = new RunContext(out);
  const engine = createEngine(eng);
  const session = new Session({ registry: engine.registry, vars: eng.env, signal: run.signal, log: run.log });
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
        if (run.signal.aborted) break;
        await run.emit(session.execute(st), formatStatement(st));
      }
    }
  } finally {
    status = run.close(status);
  }
  return status;
}
