/**
 * The messaging layer of PST files ([MS-PST] 2.4) over the LTP layer (ltp.ts): the folder
 * hierarchy from the root folder (NID 0x122) down through each folder's hierarchy table (NID
 * type 0x0D), the messages of each folder from its contents table (type 0x0E), and for a
 * message (a property context) its recipient table (subnode 0x692) and attachment table
 * (subnode 0x671), each attachment a property context in the message's subnodes whose data
 * (PidTagAttachDataBinary) is a heap item or a subnode of its own, read block by block.
 */
import type { Value } from '../../vql/index.ts';
import { PstError, type PstFile } from './ndb.ts';
import { cellValue, openNode, PropertyContext, PT, readTable, type NodeData } from './ltp.ts';

export const NID_MESSAGE_STORE = 0x21;
export const NID_ROOT_FOLDER = 0x122;
export const NID_ATTACHMENT_TABLE = 0x671;
export const NID_RECIPIENT_TABLE = 0x692;

export const NID_TYPE = { NormalFolder: 0x02, SearchFolder: 0x03, Message: 0x04, Attachment: 0x05, Hierarchy: 0x0d, Contents: 0x0e } as const;

/** Property ids ([MS-OXPROPS]). */
export const PID = {
  Subject: 0x0037, ClientSubmitTime: 0x0039, SentRepresentingName: 0x0042, SentRepresentingEmail: 0x0065,
  SenderName: 0x0c1a, SenderEmail: 0x0c1f, SenderSmtp: 0x5d01, RecipientType: 0x0c15,
  DisplayBcc: 0x0e02, DisplayCc: 0x0e03, DisplayTo: 0x0e04, DeliveryTime: 0x0e06, MessageClass: 0x001a,
  Body: 0x1000, BodyHtml: 0x1013, DisplayName: 0x3001, AddressType: 0x3002, EmailAddress: 0x3003, SmtpAddress: 0x39fe,
  AttachSize: 0x0e20, AttachData: 0x3701, AttachFilename: 0x3704, AttachMethod: 0x3705, AttachLongFilename: 0x3707,
  AttachMimeTag: 0x370e,
} as const;

const hex = (n: number) => '0x' + (n >>> 0).toString(16);

export interface Recipient {
  readonly type: number;
  readonly name: string;
  readonly email: string;
}

export interface AttachmentInfo {
  readonly nid: number;
  readonly name: string;
  /** The size of the attachment's data (PidTagAttachDataBinary), or PidTagAttachSize when it has none. */
  readonly size: number;
  readonly method: number | null;
  readonly mimeTag: string | null;
}

export interface Message {
  readonly nid: number;
  readonly messageClass: string | null;
  readonly subject: string;
  readonly senderName: string;
  readonly senderEmail: string;
  readonly recipients: Recipient[];
  readonly displayTo: string;
  readonly displayCc: string;
  readonly displayBcc: string;
  readonly body: string;
  readonly delivered: Value;
  readonly submitted: Value;
  readonly attachments: AttachmentInfo[];
}

export interface FolderVisit {
  readonly nid: number;
  /** "/Top of Outlook data file/Inbox": the names below the root folder. */
  readonly path: string;
  readonly messages: number[];
}

/** The node of `nid` in the node B-tree, opened as a heap. */
async function topNode(pst: PstFile, nid: number, what: string): Promise<NodeData> {
  const e = await pst.node(nid);
  if (!e) throw new PstError(`${what} node ${hex(nid)} is not in the node B-tree (NBT)`);
  return openNode(pst, e.bidData, e.bidSub, `${what} node ${hex(nid)}`);
}

/** A subnode of `parent` opened as a heap. */
async function subNode(parent: NodeData, nid: number, what: string): Promise<NodeData> {
  const s = parent.subnodes.get(nid);
  if (!s) throw new PstError(`${parent.heap.where}: no ${what} subnode ${hex(nid)}`);
  return openNode(parent.pst, s.bidData, s.bidSub, `${parent.heap.where}: ${what} subnode ${hex(nid)}`);
}

/** The subject without its prefix marker (a leading U+0001 and the prefix length). */
export function cleanSubject(s: string): string {
  return s.charCodeAt(0) === 1 && s.length >= 2 ? s.slice(2) : s;
}

export class PstMessages {
  constructor(readonly pst: PstFile) {}

  /** Row ids of the table node `nid` (child folders, messages). */
  private async tableIds(nid: number, what: string): Promise<number[]> {
    const e = await this.pst.node(nid);
    if (!e) return []; // a folder without that table (search folders) has nothing there
    const node = await openNode(this.pst, e.bidData, e.bidSub, `${what} node ${hex(nid)}`);
    return (await readTable(node)).rows.map((r) => r.rowId);
  }

  /**
   * The folders, depth first from the root (each folder's messages before its subfolders).
   * A folder that cannot be read is told to `onError` and skipped with its subfolders.
   */
  async *folders(onError: (m: string) => void, signal?: AbortSignal): AsyncGenerator<FolderVisit> {
    const seen = new Set<number>();
    const visit = async function* (this: PstMessages, nid: number, path: string, isRoot: boolean): AsyncGenerator<FolderVisit> {
      if (seen.has(nid) || signal?.aborted) return;
      seen.add(nid);
      let name = '';
      let children: number[];
      let messages: number[];
      try {
        const pc = await PropertyContext.open(await topNode(this.pst, nid, 'folder'));
        name = (await pc.text(PID.DisplayName)) ?? '';
        const base = nid - (nid & 0x1f);
        children = await this.tableIds(base | NID_TYPE.Hierarchy, `folder ${hex(nid)} hierarchy table`);
        messages = await this.tableIds(base | NID_TYPE.Contents, `folder ${hex(nid)} contents table`);
      } catch (e) {
        if (!(e instanceof PstError)) throw e;
        onError(`${isRoot ? 'the root folder' : `a folder in ${path || '/'}`} (node ${hex(nid)}) and its subfolders skipped: ${e.message}`);
        return;
      }
      const here = isRoot ? '' : `${path}/${name}`;
      yield { nid, path: here || '/', messages: messages.filter((m) => (m & 0x1f) === NID_TYPE.Message) };
      for (const c of children) {
        if ((c & 0x1f) !== NID_TYPE.NormalFolder) continue; // search folders hold links to messages found elsewhere
        yield* visit.call(this, c, here, false);
      }
    };
    yield* visit.call(this, NID_ROOT_FOLDER, '', true);
  }

  /** The message `nid`: its properties, recipients and attachment list. */
  async message(nid: number): Promise<Message> {
    const node = await topNode(this.pst, nid, 'message');
    const pc = await PropertyContext.open(node);
    const text = async (...ids: number[]) => {
      for (const id of ids) {
        const v = await pc.get(id);
        if (typeof v === 'string' && v !== '') return v;
      }
      return '';
    };
    const recipients: Recipient[] = [];
    if (node.subnodes.has(NID_RECIPIENT_TABLE)) {
      const table = await subNode(node, NID_RECIPIENT_TABLE, 'recipient table');
      const t = await readTable(table);
      for (const r of t.rows) {
        const str = async (...ids: number[]) => {
          for (const id of ids) {
            const v = await cellValue(table, r.cells.get(id));
            if (typeof v === 'string' && v !== '') return v;
          }
          return '';
        };
        const type = await cellValue(table, r.cells.get(PID.RecipientType));
        recipients.push({ type: typeof type === 'number' ? type : 1, name: await str(PID.DisplayName), email: await str(PID.SmtpAddress, PID.EmailAddress) });
      }
    }
    const attachments: AttachmentInfo[] = [];
    if (node.subnodes.has(NID_ATTACHMENT_TABLE)) {
      const t = await readTable(await subNode(node, NID_ATTACHMENT_TABLE, 'attachment table'));
      for (const r of t.rows) attachments.push(await this.attachmentInfo(node, r.rowId));
    }
    let body = await text(PID.Body);
    if (!body && pc.has(PID.BodyHtml)) {
      const html = await pc.get(PID.BodyHtml);
      body = typeof html === 'string' ? html : html instanceof Uint8Array ? Buffer.from(html).toString('utf8') : '';
    }
    return {
      nid,
      messageClass: await pc.text(PID.MessageClass),
      subject: cleanSubject(await text(PID.Subject)),
      senderName: await text(PID.SenderName, PID.SentRepresentingName),
      senderEmail: await text(PID.SenderSmtp, PID.SenderEmail, PID.SentRepresentingEmail),
      recipients,
      displayTo: await text(PID.DisplayTo),
      displayCc: await text(PID.DisplayCc),
      displayBcc: await text(PID.DisplayBcc),
      body,
      delivered: await pc.get(PID.DeliveryTime),
      submitted: await pc.get(PID.ClientSubmitTime),
      attachments,
    };
  }

  private async attachmentInfo(message: NodeData, nid: number): Promise<AttachmentInfo> {
    const node = await subNode(message, nid, 'attachment');
    const pc = await PropertyContext.open(node);
    let name = '';
    for (const id of [PID.AttachLongFilename, PID.AttachFilename, PID.DisplayName]) {
      const v = await pc.text(id);
      if (v) {
        name = v;
        break;
      }
    }
    const method = await pc.get(PID.AttachMethod);
    const data = pc.props.get(PID.AttachData);
    let size: number;
    if (data && data.type === PT.Binary) size = await this.dataSize(node, data.hnid);
    else {
      const s = await pc.get(PID.AttachSize);
      size = typeof s === 'number' ? s : 0;
    }
    return { nid, name, size, method: typeof method === 'number' ? method : null, mimeTag: await pc.text(PID.AttachMimeTag) };
  }

  /** The size of the value an HNID names, without reading a subnode's data. */
  private async dataSize(node: NodeData, hnid: number): Promise<number> {
    if ((hnid & 0x1f) === 0) return node.heap.item(hnid).length;
    const s = node.subnodes.get(hnid);
    if (!s) throw new PstError(`${node.heap.where}: subnode ${hex(hnid)} is not in the node's subnode tree`);
    return (await this.pst.dataTree(s.bidData)).size;
  }

  /** A reader of attachment `attNid`'s data, of message `msgNid`. */
  async attachment(msgNid: number, attNid: number): Promise<{ size: number; name: string; read(offset: number, length: number): Promise<Uint8Array> }> {
    const message = await topNode(this.pst, msgNid, 'message');
    const node = await subNode(message, attNid, 'attachment');
    const pc = await PropertyContext.open(node);
    const name = (await pc.text(PID.AttachLongFilename)) || (await pc.text(PID.AttachFilename)) || '';
    const data = pc.props.get(PID.AttachData);
    if (!data) throw new PstError(`${node.heap.where}: the attachment has no data (PidTagAttachDataBinary)`);
    if (data.type !== PT.Binary) throw new PstError(`${node.heap.where}: the attachment's data is of type ${hex(data.type)} (an embedded message or OLE object), which cannot be read as bytes`);
    if ((data.hnid & 0x1f) === 0) {
      const bytes = node.heap.item(data.hnid);
      return { size: bytes.length, name, read: async (o, n) => bytes.subarray(Math.min(o, bytes.length), Math.min(o + n, bytes.length)) };
    }
    const s = node.subnodes.get(data.hnid);
    if (!s) throw new PstError(`${node.heap.where}: subnode ${hex(data.hnid)} is not in the attachment's subnode tree`);
    const stream = this.pst.streamOf(await this.pst.dataTree(s.bidData));
    return { size: stream.size, name, read: stream.read };
  }
}
