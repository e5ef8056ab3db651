/**
 * `vql docs [NAME]... [--format text|markdown|json]`: reference generated from the declarations.
 */
import { parseArgs } from 'node:util';
import { describeRegistry, didYouMean, docsMarkdown, docsText } from '../vql/index.ts';
import { createHostRegistry } from '../host/index.ts';
import { fail } from './flags.ts';

export function docs(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { format: { type: 'string', default: 'text' } } });
  const format = values.format as string;
  if (!['text', 'markdown', 'json'].includes(format)) fail(`--format must be text, markdown or json, not '${format}'`);
  const all = describeRegistry(createHostRegistry());
  let entries = all;
  if (positionals.length) {
    const wanted = new Set(positionals);
    entries = all.filter((e) => wanted.has(e.name));
    for (const name of positionals) {
      if (!entries.some((e) => e.name === name)) {
        process.stderr.write(`vql: error: no plugin or function called ${name}${didYouMean(name, all.map((e) => e.name))}\n`);
        return 1;
      }
    }
  }
  if (format === 'json') process.stdout.write(JSON.stringify(entries, null, 1) + '\n');
  else process.stdout.write(format === 'markdown' ? docsMarkdown(entries) : docsText(entries));
  return 0;
}
