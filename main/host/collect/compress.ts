/**
 * `compress(path=, output=)` (Velociraptor's vql/functions/compress.go): gzip-compresses the
 * file `path` of this machine into the file `output` and returns `output` (NULL and a log line
 * on error). Streamed: the file is never held in memory. Writing follows copy()'s rule
 * (copy.ts): outside the run's temp folder it needs `allowExecve`; inside it, the folder the
 * output lands in is checked again after links are resolved, and a link at `output` itself is
 * not followed (with the opt-in, as copy(), it is). A compression cut short (an error, the query cancelled) leaves no output file.
 */
import { createReadStream } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { FunctionDef } from '../../vql/index.ts';
import { pathText } from '../files/ospath.ts';
import { createFlags, writeRefusal } from './write-rule.ts';
import { runState } from './run-files.ts';

export function compressFunction(allowed: boolean): FunctionDef {
  return {
    name: 'compress',
    doc: 'Gzip-compress the file `path` into the file `output`; returns `output`. Outside the query\'s temp folder it needs --allow-execve.',
    args: {
      path: { type: 'any', required: true, doc: 'The file to compress (a path of this machine)' },
      output: { type: 'any', required: true, doc: 'Where to write the gzip file (a path of this machine)' },
    },
    async run(call) {
      const { args, scope } = call;
      const log = call.log.bind(call);
      const src = pathText(args.path);
      const rawOut = pathText(args.output);
      if (!src || !rawOut) {
        log('error', `${!src ? 'path' : 'output'} is empty`);
        return null;
      }
      const dest = resolve(rawOut);
      const run = runState(scope);
      const refused = await writeRefusal(run, allowed, dest, 'output');
      if (refused) {
        log('error', refused);
        return null;
      }
      if (resolve(src) === dest) {
        log('error', `path and output are the same file (${dest})`);
        return null;
      }
      let created = false;
      const input = createReadStream(resolve(src));
      input.on('error', () => {}); // reported by the open below or by pipeline()
      try {
        // Opened first so a missing source does not leave an empty output.
        await new Promise<void>((ok, fail) => input.once('open', () => ok()).once('error', fail));
        const out = await open(dest, createFlags(allowed), 0o600);
        created = true;
        await pipeline(input, createGzip(), out.createWriteStream(), { signal: scope.signal });
        return rawOut;
      } catch (e) {
        input.destroy();
        if (created) await unlink(dest).catch(() => {});
        const msg = scope.signal.aborted ? 'the query was cancelled' : (e as Error).message;
        log('error', `${src} to ${dest}: ${msg}`);
        return null;
      }
    },
  };
}
