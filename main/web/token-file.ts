/**
 * `vql serve --token-file FILE`: a token that survives restarts, so tabs opened before a restart
 * reconnect by themselves instead of going dead. The token is read from FILE when it exists,
 * else made (32 random bytes, hex) and written there, readable by the user alone.
 *
 * The file is a key to everything the workbench can do, so it is taken only when only its owner
 * can use it: a regular file (not a symbolic link, which could point anywhere), owned by the
 * user who runs `vql serve`, with no permission for group or others (mode 0600 or 0400), and
 * holding exactly one token (64 lowercase hex digits, an optional newline). Anything else is
 * refused with what to do; it is never "fixed" silently, as a loose mode may mean someone else
 * has read it already. (Windows has no such modes: there only the content is checked.)
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, writeSync, fchmodSync } from 'node:fs';
import { dirname } from 'node:path';

/** A token as the web host makes it: 32 bytes in lowercase hex. */
export const TOKEN_SYNTAX = /^[0-9a-f]{64}$/;

/** A token file that cannot be used, and why; `path` names it. */
export class TokenFileError extends Error {
  constructor(readonly path: string, message: string) {
    super(`--token-file ${path}: ${message}`);
    this.name = 'TokenFileError';
  }
}

/** What `tokenFromFile` did: read an existing token, or made a new one and wrote it. */
export interface TokenFile {
  token: string;
  created: boolean;
}

const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
const POSIX = process.platform !== 'win32';

/** Reads the token from `path`, or creates the file with a new one (see the module comment). */
export function tokenFromFile(path: string): TokenFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | NO_FOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return create(path);
    if (code === 'ELOOP') throw new TokenFileError(path, 'is a symbolic link: give the path of the file itself (a link could point anywhere)');
    throw new TokenFileError(path, `cannot be read: ${(e as Error).message}`);
  }
  try {
    return { token: readToken(path, fd), created: false };
  } finally {
    closeSync(fd);
  }
}

function readToken(path: string, fd: number): string {
  const st = fstatSync(fd);
  if (!st.isFile()) throw new TokenFileError(path, 'is not a regular file: give the path of a file (it is created when missing)');
  if (POSIX) {
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) {
      throw new TokenFileError(path, `is owned by user id ${st.uid}, not by you (${uid}): use a file of your own (one that does not exist yet is created)`);
    }
    const mode = st.mode & 0o777;
    if (mode & 0o077) {
      throw new TokenFileError(path, `has mode ${mode.toString(8).padStart(4, '0')}: others than you may read it. A token others could read is not secret: ` +
        `delete the file so that a new token is made (or, if only you could ever read it, chmod 600 it)`);
    }
  }
  const buf = Buffer.alloc(200);
  const n = readSync(fd, buf, 0, buf.length, 0);
  const text = buf.toString('utf8', 0, n).replace(/\r?\n$/, '');
  if (!TOKEN_SYNTAX.test(text)) {
    throw new TokenFileError(path, `does not hold a token (64 lowercase hex digits, as vql serve writes): delete it to have one made, or give another path`);
  }
  return text;
}

function create(path: string): TokenFile {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('hex');
  let fd: number;
  try {
    // O_EXCL: never write through a file (or link) that appeared meanwhile.
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW, 0o600);
  } catch (e) {
    // Another `vql serve` made it a moment ago: take that one, with the same checks.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return tokenFromFile(path);
    throw new TokenFileError(path, `cannot be created: ${(e as Error).message}`);
  }
  try {
    if (POSIX) fchmodSync(fd, 0o600);
    writeSync(fd, `${token}\n`);
  } finally {
    closeSync(fd);
  }
  return { token, created: true };
}
