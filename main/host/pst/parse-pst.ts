/**
 * `parse_pst(filename, accessor)`: one row per message of an Outlook PST file, every folder
 * walked from the root (Velociraptor's parse_pst, which the Windows.Forensics.Pst artifact
 * reads). Columns: Path (the folder, "/Top of Outlook data file/Inbox"), Sender, Receiver,
 * Subject, Message (the plain-text body), Delivered (PidTagMessageDeliveryTime) and
 * Attachments, a list of {Name, Size, Path} whose Path the `pst` accessor opens (pst-accessor.ts).
 *
 * Errors (not a PST file, a damaged page or block, a truncated file) are one log line
 * `parse_pst: filename=<file>: <what, with the block or page and its offset>`; a damaged
 * message or folder is skipped with its own line, the rows already given stay.
 */
import { VDict, type PluginDef, type Value } from '../../vql/index.ts';
import type { LogLevel } from '../../vql/index.ts';
import { accessorOrLog } from '../files/read.ts';
import { pathText } from '../files/ospath.ts';
import { errorText, fileLabel, openOrLog, RecordRow, RowColumns } from '../parsers/common.ts';
import { PstError, PstFile } from './ndb.ts';
import { PstMessages, type Message } from './messaging.ts';

type Log = (level: LogLevel, m: string) => void;

const COLUMNS = new RowColumns(['Path', 'Sender', 'Receiver', 'Subject', 'Message', 'Delivered', 'Attachments']);

/** "Name <address>", or whichever of the two is known. */
export function person(name: string, email: string): string {
  if (name && email && name !== email) return `${name} <${email}>`;
  return name || email;
}

/** The path of an attachment, as the pst accessor takes it: /<message nid>/<attachment nid>/<name>. */
export function attachmentPath(message: number, attachment: number, name: string): string {
  return `/${message}/${attachment}/${name.replace(/[/\\]/g, '_')}`;
}

function row(folder: string, m: Message): RecordRow {
  const receivers = m.recipients.map((r) => person(r.name, r.email)).filter((s) => s !== '');
  const receiver = receivers.length ? receivers.join(', ') : [m.displayTo, m.displayCc, m.displayBcc].filter((s) => s).join('; ');
  const values: Value[] = [
    folder,
    person(m.senderName, m.senderEmail),
    receiver,
    m.subject,
    m.body,
    m.delivered,
    m.attachments.map((a) => new VDict([['Name', a.name], ['Size', a.size], ['Path', attachmentPath(m.nid, a.nid, a.name)]])),
  ];
  return new RecordRow(COLUMNS, values);
}

export const parsePst: PluginDef = {
  name: 'parse_pst',
  doc:
    'Parse an Outlook PST file (Unicode and ANSI; not encrypted or with compressible encryption): one row per message of every folder, ' +
    '{Path (the folder, e.g. "/Top of Outlook data file/Inbox"), Sender ("Name <address>"), Receiver (the recipients, "Name <address>" joined by ", "), ' +
    'Subject, Message (the plain-text body), Delivered (PidTagMessageDeliveryTime), Attachments (a list of {Name, Size, Path}: open Path with ' +
    'accessor="pst" and a pathspec whose DelegatePath is the PST)}. The file is read block by block. Runs on any OS.',
  args: {
    filename: { type: 'any', required: true, doc: 'The PST file' },
    accessor: { type: 'string', doc: 'How to read it (auto, file, ntfs, zip...)', default: 'auto' },
  },
  async *run(call) {
    const { args, scope, signal } = call;
    const log: Log = (level, m) => call.log(level, m);
    const accessor = accessorOrLog(scope, args.accessor, 'parse_pst', log);
    if (!accessor) return;
    const file = args.filename;
    if (file === null || file === undefined || pathText(file) === '') {
      log('error', 'filename=: no file given');
      return;
    }
    const label = fileLabel(accessor, file);
    const reader = await openOrLog('filename', accessor, file, scope, log);
    if (!reader) return;
    const fail = (m: string) => log('error', `filename=${label}: ${m}`);
    try {
      const pst = await PstFile.open(reader);
      const store = new PstMessages(pst);
      // A damaged page or block can make many messages fail the same way: each cause is told
      // once, with a count of the messages it skipped at the end.
      const skipped = new Map<string, number>();
      try {
        for await (const folder of store.folders(fail, signal)) {
          for (const nid of folder.messages) {
            if (signal.aborted) return;
            let m: Message;
            try {
              m = await store.message(nid);
            } catch (e) {
              if (!(e instanceof PstError)) throw e;
              const n = skipped.get(e.message);
              if (n === undefined) fail(`folder ${folder.path}: message node 0x${nid.toString(16)} skipped: ${e.message}`);
              skipped.set(e.message, (n ?? 0) + 1);
              continue;
            }
            yield row(folder.path, m);
          }
        }
      } finally {
        for (const [cause, n] of skipped) if (n > 1) fail(`${n - 1} more messages skipped for the same reason: ${cause}`);
      }
    } catch (e) {
      fail(e instanceof PstError ? e.message : errorText(e));
    } finally {
      await reader.close().catch(() => {});
    }
  },
};
