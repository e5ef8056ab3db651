/**
 * `magic(path=, accessor=, type=, magic=)`: what a file is, as libmagic (`file`) says it:
 * `ELF 64-bit LSB shared object, x86-64...`, or with `type="mime"` `application/x-sharedlib`,
 * with `type="extension"` a `/`-separated list of extensions (`???` when libmagic has none).
 * `magic=` adds rules in libmagic's syntax after the stock database.
 *
 * libmagic runs as WebAssembly (the `wasmagic` package: libmagic and its database compiled to
 * WASM; no native build, the same on Linux, macOS and Windows). It is given the file's first
 * 64 KiB, read through the accessor; a folder is `directory` and a link `symbolic link to X`,
 * as libmagic says of them when it opens a path itself. Velociraptor pads files read through
 * an accessor to 64 KiB with zeros; we do not (a short text file stays `ASCII text`). One
 * detector per type and rule text is kept for the process (making one takes ~0.25 s).
 * Errors (a file that cannot be read, a bad type) are logged and give NULL.
 */
import type { FunctionDef } from '../../vql/index.ts';
import { accessorFor, type FileReader } from '../files/accessors.ts';
import { pathText } from '../files/ospath.ts';

const HEAD = 64 * 1024;

interface Detector {
  detect(buf: Uint8Array): string;
}

/** Detectors by `type` and extra rules, with the warnings making them gave. */
const detectors = new Map<string, Promise<{ detector: Detector; warnings: string[] }>>();
const MAX_DETECTORS = 8;

/** wasmagic's flags for a `type=`, or undefined for a type libmagic has no answer for. */
function flagsOf(type: string, flags: { NONE: number; MIME_TYPE: number; EXTENSION: number }): number | undefined {
  switch (type) {
    case '': return flags.NONE;
    case 'mime': return flags.MIME_TYPE;
    case 'extension': return flags.EXTENSION;
    default: return undefined;
  }
}

async function detectorFor(type: string, rules: string): Promise<{ detector: Detector; warnings: string[] }> {
  const key = JSON.stringify([type, rules]);
  let d = detectors.get(key);
  if (!d) {
    d = (async () => {
      const { WASMagic, WASMagicFlags } = await import('wasmagic');
      const warnings: string[] = [];
      const detector = await WASMagic.create({
        flags: flagsOf(type, WASMagicFlags as unknown as { NONE: number; MIME_TYPE: number; EXTENSION: number })!,
        magicFiles: rules ? [new TextEncoder().encode(rules.endsWith('\n') ? rules : rules + '\n')] : [],
        stdio: (_name, text) => warnings.push(text.trim()),
      });
      return { detector, warnings };
    })();
    detectors.set(key, d);
    d.catch(() => detectors.delete(key));
    while (detectors.size > MAX_DETECTORS) detectors.delete(detectors.keys().next().value!);
  }
  return d;
}

async function head(r: FileReader): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let got = 0;
  while (got < HEAD) {
    const b = await r.read(got, HEAD - got);
    if (b.length === 0) break;
    parts.push(b);
    got += b.length;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

export const magic: FunctionDef = {
  name: 'magic',
  doc: 'What a file is, as libmagic (`file`) says: a description, or with type="mime" the MIME type, with type="extension" the usual extensions. `magic=` adds libmagic rules.',
  version: 1,
  args: {
    path: { type: 'any', required: true, doc: 'The file to identify' },
    accessor: { type: 'string', doc: 'How to read it (auto, file, data, zip...)', default: 'auto' },
    type: { type: 'string', doc: '"" (a description), mime or extension', default: '""' },
    magic: { type: 'string', doc: 'Extra rules in libmagic\'s syntax, loaded after the stock database' },
  },
  async run(call) {
    const { args, scope } = call;
    const log = call.log.bind(call);
    const type = String(args.type ?? '');
    if (!['', 'mime', 'extension'].includes(type)) {
      log('error', `type must be "", "mime" or "extension", not ${JSON.stringify(type)}`);
      return null;
    }
    let accessor;
    try {
      accessor = accessorFor(scope, args.accessor);
    } catch (e) {
      log('error', (e as Error).message);
      return null;
    }
    const rules = String(args.magic ?? '');
    try {
      if (accessor.lstat) {
        // A folder or a link, as libmagic says of them (it is not given their bytes).
        const st = await accessor.lstat(accessor.path(args.path), scope);
        if (st.isDir) return type === 'mime' ? 'inode/directory' : type === 'extension' ? '???' : 'directory';
        if (st.isLink) {
          const target = st.data.get('Link');
          return type === 'mime' ? 'inode/symlink' : type === 'extension' ? '???' : `symbolic link to ${typeof target === 'string' ? target : ''}`;
        }
      }
      const r = await accessor.open(args.path, scope);
      let bytes: Uint8Array;
      try {
        bytes = await head(r);
      } finally {
        await r.close();
      }
      const { detector, warnings } = await detectorFor(type, rules);
      if (rules && warnings.length) {
        log('warn', `magic rules: ${warnings.slice(0, 5).join('; ')}`);
        warnings.length = 0;
      }
      return detector.detect(bytes);
    } catch (e) {
      log('warn', `${pathText(args.path)}: ${(e as Error).message}`);
      return null;
    }
  },
};
