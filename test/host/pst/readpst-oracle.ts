// libpst's readpst (Debian's pst-utils) as the oracle for the PST tests: it extracts a PST in its
// "separate" format (one file per message, named by number, each attachment beside it as
// <number>-<name>), which is read back here into messages.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/** Why readpst cannot be the oracle here (a notice), or null when it can. */
export function readpstMissing(): string | null {
  const r = spawnSync('readpst', ['-V'], { encoding: 'utf8' });
  return r.error ? 'readpst (Debian package pst-utils) is not installed: the libpst cross-checks are skipped (apt-get install pst-utils)' : null;
}

export interface OracleMessage {
  /** The folder below the top of the store ("Inbox/Projects"). */
  folder: string;
  fromName: string;
  fromEmail: string;
  subject: string;
  to: string;
  cc: string;
  /** The text/plain body, line ends as LF, without the trailing newline readpst adds. */
  body: string;
  attachments: Map<string, Buffer>;
}

/** RFC 2047 encoded words (readpst writes non-ASCII headers as =?utf-8?B?...?=). */
function decodeWords(s: string): string {
  return s.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, cs: string, enc: string, text: string) => {
    const bytes = enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return new TextDecoder(cs.toLowerCase() === 'utf-8' ? 'utf-8' : 'windows-1252').decode(bytes);
  });
}

function parseMessage(folder: string, text: Buffer, attachments: Map<string, Buffer>): OracleMessage {
  const raw = text.toString('latin1');
  const headEnd = raw.indexOf('\n\n');
  const headers = new Map<string, string>();
  for (const line of raw.slice(0, headEnd).replace(/\n[ \t]+/g, ' ').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).toLowerCase(), decodeWords(Buffer.from(line.slice(i + 1).trim(), 'latin1').toString('utf8')));
  }
  const from = headers.get('from') ?? '';
  const m = /^"?(.*?)"?\s*<([^>]*)>$/.exec(from);
  // The text/plain part: after its headers, up to the next boundary line.
  let body = '';
  const part = /Content-Type: text\/plain; charset="([^"]+)"\n\n/.exec(raw);
  if (part) {
    const start = part.index + part[0].length;
    const end = raw.indexOf('\n----boundary-', start);
    const bytes = Buffer.from(raw.slice(start, end < 0 ? undefined : end), 'latin1');
    body = new TextDecoder(part[1]!.toLowerCase() === 'utf-8' ? 'utf-8' : 'windows-1252').decode(bytes);
  }
  return {
    folder, fromName: m ? m[1]! : from, fromEmail: m ? m[2]! : '', subject: headers.get('subject') ?? '',
    to: headers.get('to') ?? '', cc: headers.get('cc') ?? '', body: body.replace(/\r\n/g, '\n').replace(/\n$/, ''), attachments,
  };
}

/** The messages readpst extracts from `pst` (with deleted items, UTF-8 bodies). */
export function readpstMessages(pst: string): OracleMessage[] {
  const out = mkdtempSync(join(tmpdir(), 'vql-readpst-'));
  try {
    execFileSync('readpst', ['-8', '-q', '-D', '-j0', '-S', '-o', out, pst], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
    const messages: OracleMessage[] = [];
    const [store] = readdirSync(out);
    if (!store) return [];
    const walk = (dir: string) => {
      const names = readdirSync(dir);
      for (const n of names) if (statSync(join(dir, n)).isDirectory()) walk(join(dir, n));
      for (const n of names.filter((x) => /^\d+$/.test(x) && statSync(join(dir, x)).isFile())) {
        const atts = new Map<string, Buffer>();
        for (const a of names) if (a.startsWith(`${n}-`) && statSync(join(dir, a)).isFile()) atts.set(a.slice(n.length + 1), readFileSync(join(dir, a)));
        messages.push(parseMessage(relative(join(out, store), dir), readFileSync(join(dir, n)), atts));
      }
    };
    walk(join(out, store));
    return messages;
  } finally {
    if (existsSync(out)) rmSync(out, { recursive: true, force: true });
  }
}

/** lspst's listing: the folder lines and message lines in its order. */
export function lspst(pst: string): string[] {
  return execFileSync('lspst', [pst], { encoding: 'utf8', maxBuffer: 1 << 26 }).split('\n').filter((l) => l.trim());
}
