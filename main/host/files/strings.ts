/**
 * String functions: `str`, `join`, `upcase`, `lowcase`, `strip`, `substr`, `rot13`, `commandline_split`.
 */
import { VBytes, type FunctionDef } from '../../vql/index.ts';
import { bytesToValue } from '../../vql/values/kinds.ts';
import { stringValue, textOf } from './text.ts';

export const str: FunctionDef = {
  name: 'str',
  doc: 'Convert a value to a string (bytes as they are, OSPaths as paths, other values in Go %v form).',
  args: { str: { type: 'any', required: true, doc: 'The value' } },
  run: ({ args }) => stringValue(args.str),
};

export const join: FunctionDef = {
  name: 'join',
  doc: 'Join the elements of an array into a string.',
  args: {
    array: { type: 'any', required: true, doc: 'The elements' },
    sep: { type: 'string', doc: 'Separator', default: "''" },
  },
  run({ args }) {
    const a = Array.isArray(args.array) ? args.array : args.array === null || args.array === undefined ? [] : [args.array];
    return a.map(textOf).join((args.sep as string | undefined) ?? '');
  },
};

export const upcase: FunctionDef = {
  name: 'upcase',
  doc: 'Upper-case a string.',
  args: { string: { type: 'any', required: true, doc: 'The string' } },
  run: ({ args }) => textOf(args.string).toUpperCase(),
};

export const lowcase: FunctionDef = {
  name: 'lowcase',
  doc: 'Lower-case a string.',
  args: { string: { type: 'any', required: true, doc: 'The string' } },
  run: ({ args }) => textOf(args.string).toLowerCase(),
};

export const strip: FunctionDef = {
  name: 'strip',
  doc: 'Remove `prefix` from the start of a string, or surrounding whitespace when no prefix is given.',
  args: {
    string: { type: 'any', required: true, doc: 'The string' },
    prefix: { type: 'string', doc: 'The prefix to remove' },
  },
  run({ args }) {
    const s = textOf(args.string);
    const prefix = args.prefix as string | undefined;
    if (prefix) return s.startsWith(prefix) ? s.slice(prefix.length) : s;
    return s.trim();
  },
};

export const substr: FunctionDef = {
  name: 'substr',
  doc: 'The characters of `str` from `start` up to (not including) `end` (default: the end); the bytes, for a byte string (binary data).',
  args: {
    str: { type: 'any', required: true, doc: 'The string' },
    start: { type: 'int', doc: 'First character (0-based)', default: '0' },
    end: { type: 'int', doc: 'End position (0 or absent: the end)' },
  },
  run({ args }) {
    const start = Math.max(0, Number(args.start ?? 0));
    let end = Number(args.end ?? 0);
    // Binary data (a registry value, a file's bytes) is cut by bytes, as Velociraptor's Go
    // slicing does: artifacts step through such data 4 bytes at a time (MRUListEx).
    if (args.str instanceof VBytes) {
      const b = args.str.bytes;
      if (end <= 0 || end > b.length) end = b.length;
      return start >= end ? '' : bytesToValue(b.subarray(start, end));
    }
    const chars = [...textOf(args.str)];
    if (end <= 0 || end > chars.length) end = chars.length;
    return start >= end ? '' : chars.slice(start, end).join('');
  },
};

/** Splits like Windows' CommandLineToArgvW (quotes, `""`, backslashes before quotes). */
export function splitWindowsCommandLine(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inArg = false;
  let quoted = false;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (c === '\\') {
      let n = 0;
      while (cmd[i] === '\\') {
        n++;
        i++;
      }
      if (cmd[i] === '"') {
        cur += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) cur += '"';
        else quoted = !quoted;
      } else {
        cur += '\\'.repeat(n);
        i--;
      }
      inArg = true;
    } else if (c === '"') {
      if (quoted && cmd[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
      inArg = true;
    } else if ((c === ' ' || c === '\t') && !quoted) {
      if (inArg) out.push(cur);
      cur = '';
      inArg = false;
    } else {
      cur += c;
      inArg = true;
    }
  }
  if (inArg) out.push(cur);
  return out;
}

/** Splits like a POSIX shell (quotes and backslash escapes; no expansions). */
export function splitShellWords(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inArg = false;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (c === "'") {
      const end = cmd.indexOf("'", i + 1);
      cur += end < 0 ? cmd.slice(i + 1) : cmd.slice(i + 1, end);
      i = end < 0 ? cmd.length : end;
      inArg = true;
    } else if (c === '"') {
      for (i++; i < cmd.length && cmd[i] !== '"'; i++) {
        if (cmd[i] === '\\' && '"\\$`\n'.includes(cmd[i + 1] ?? '')) i++;
        cur += cmd[i];
      }
      inArg = true;
    } else if (c === '\\') {
      if (i + 1 < cmd.length) cur += cmd[++i];
      inArg = true;
    } else if (/\s/.test(c)) {
      if (inArg) out.push(cur);
      cur = '';
      inArg = false;
    } else {
      cur += c;
      inArg = true;
    }
  }
  if (inArg) out.push(cur);
  return out;
}

export const commandlineSplit: FunctionDef = {
  name: 'commandline_split',
  doc: 'Split a command line into arguments, with Windows rules (default) or shell rules (bash_style).',
  args: {
    command: { type: 'string', required: true, doc: 'The command line' },
    bash_style: { type: 'bool', doc: 'Use POSIX shell quoting rules' },
  },
  run({ args }) {
    const cmd = args.command as string;
    return args.bash_style === true ? splitShellWords(cmd) : splitWindowsCommandLine(cmd);
  },
};

/** ROT13 of the ASCII letters of `s` (UserAssist's key names); other characters are kept. */
export function rot13Text(s: string): string {
  return s.replace(/[A-Za-z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

export const rot13: FunctionDef = {
  name: 'rot13',
  doc: 'Apply ROT13 to a string: each ASCII letter is moved 13 places in the alphabet (Windows UserAssist key names are stored so); other characters are kept.',
  args: { string: { type: 'any', required: true, doc: 'The string' } },
  run: ({ args }) => rot13Text(textOf(args.string)),
};

export const stringFunctions: readonly FunctionDef[] = [str, join, upcase, lowcase, strip, substr, rot13, commandlineSplit];
