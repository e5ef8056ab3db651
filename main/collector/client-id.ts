/**
 * The client id of a datastore: `C.` + 16 lowercase hex digits (Velociraptor's form), kept in
 * `<datastore>/client_id` so that every store format and restart names the same client.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENT_ID_FILE } from './paths.ts';

const CLIENT_ID_FORMAT = /^C\.[0-9a-f]{16}$/;

/**
 * The client id of a datastore: `C.` + 16 lowercase hex digits, read from `<datastore>/client_id`
 * (one line of text), or generated from crypto randomness and saved there on first use.
 */
export function clientId(datastore: string): string {
  const file = join(datastore, CLIENT_ID_FILE);
  const existing = readClientIdFile(file);
  if (existing !== undefined) return existing;
  mkdirSync(datastore, { recursive: true });
  const id = 'C.' + randomBytes(8).toString('hex');
  // Write a temporary file and hard-link it into place: the link fails when another process
  // created the file first, and then its id wins. The id is never seen half written.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, id + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(tmp);
  }
  syncDir(datastore);
  const saved = readClientIdFile(file);
  if (saved === undefined) throw new Error(`${file}: the client id was not saved`);
  return saved;
}

function readClientIdFile(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const id = text.trim();
  if (!CLIENT_ID_FORMAT.test(id)) {
    throw new Error(`${file}: not a client id (expected C. followed by 16 lowercase hex digits, got ${JSON.stringify(id.slice(0, 40))}); fix or delete the file`);
  }
  return id;
}

function syncDir(dir: string): void {
  // Makes a new directory entry durable. Windows cannot open directories: nothing to do there.
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
