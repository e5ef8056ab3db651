// The mailbox the PST tests write (pst-writer.ts): Inbox with enough messages that the node and
// block B-trees get three levels, the contents table's row index a BTH index level and its heap
// more than eight blocks; Inbox/Projects/2024, Sent Items, an empty Deleted Items and ten
// Archive folders; one message with a text and a binary attachment (the binary every byte
// value, several blocks: an XBLOCK), one with a body long enough for an XBLOCK of its own, one
// with non-ASCII text (only Latin-1 in ANSI files).
import type { WFolder, WMessage } from './pst-writer.ts';

export const BASE = Date.UTC(2024, 2, 1, 8, 0, 0);
export const PEOPLE = [
  { name: 'Alice Example', email: 'alice@example.com' },
  { name: 'Bob Builder', email: 'bob@corp.example' },
  { name: 'Carol Jones', email: 'carol.jones@example.org' },
  { name: 'Dave Null', email: 'dave@dev.example' },
];
export const NOTES = Buffer.from('Quarterly notes\nrevenue: up\ncosts: down\nMARKER-NOTES-1234\n');
/** 30000 bytes of every value: four data blocks under an XBLOCK. */
export const IMAGE = Buffer.from(Array.from({ length: 30000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));
export const LONG_BODY = Array.from({ length: 700 }, (_, i) => `line ${i} of the long report body`).join('\r\n');

export function unicodeSubject(ansi: boolean): string {
  return ansi ? 'Grüße aus Köln, café' : 'Grüße — 日本 ✓ café';
}

export function message(i: number, folder: string, ansi = false): WMessage {
  const from = PEOPLE[i % PEOPLE.length]!;
  const to = PEOPLE[(i + 1) % PEOPLE.length]!;
  const cc = PEOPLE[(i + 2) % PEOPLE.length]!;
  const m: WMessage = {
    subject: `${folder} report ${i}`,
    senderName: from.name,
    senderEmail: from.email,
    recipients: i % 3 === 0 ? [{ type: 1, ...to }, { type: 2, ...cc }] : [{ type: 1, ...to }],
    body: `Hello ${to.name.split(' ')[0]},\r\nthis is message ${i} in ${folder}.\r\nRegards`,
    delivered: new Date(BASE + i * 3_600_000),
  };
  if (i === 3) m.attachments = [{ name: 'notes.txt', data: NOTES, mime: 'text/plain' }, { name: 'image.bin', data: IMAGE }];
  if (i === 5) m.body = LONG_BODY;
  if (i === 1) {
    m.subject = unicodeSubject(ansi);
    m.senderName = ansi ? 'Zoë Ågren' : 'Zoë Ågren 佐藤';
    m.body = ansi ? 'Ünïcödé body, ça va?' : 'Ünïcödé body — 日本語 ✓';
  }
  return m;
}

/** The folders below "Top of Outlook data file". */
export function mailbox(opts: { inbox?: number; ansi?: boolean } = {}): WFolder[] {
  const ansi = opts.ansi ?? false;
  const n = opts.inbox ?? 520;
  const msgs = (folder: string, count: number, from = 0) => Array.from({ length: count }, (_, i) => message(from + i, folder, ansi));
  return [
    { name: 'Inbox', messages: msgs('Inbox', n), folders: [{ name: 'Projects', messages: msgs('Projects', 25), folders: [{ name: '2024', messages: msgs('2024', 3), folders: [] }] }] },
    { name: 'Sent Items', messages: msgs('Sent', 30), folders: [] },
    { name: 'Deleted Items', messages: [], folders: [] },
    { name: 'Archive', messages: [], folders: Array.from({ length: 10 }, (_, k) => ({ name: `Year ${2010 + k}`, messages: msgs(`Archive ${2010 + k}`, 1, 10), folders: [] })) },
  ];
}

/** Every message of `folders` with its folder path, depth first (messages before subfolders). */
export function flatten(folders: WFolder[], top = '/Top of Outlook data file'): Array<{ path: string; m: WMessage }> {
  const out: Array<{ path: string; m: WMessage }> = [];
  const walk = (f: WFolder, path: string) => {
    const here = `${path}/${f.name}`;
    for (const m of f.messages) out.push({ path: here, m });
    for (const c of f.folders) walk(c, here);
  };
  for (const f of folders) walk(f, top);
  return out;
}
