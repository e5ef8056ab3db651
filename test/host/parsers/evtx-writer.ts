/**
 * A test-side EVTX writer: builds valid Windows XML Event Log files (file header and chunk
 * CRC32s, string hash table, template table, BinXml records) from template definitions and
 * substitution values, the way Windows lays them out:
 *
 * - a template is defined inline in the first record of a chunk that uses it and referenced by
 *   its chunk offset afterwards; names are inline on first use in a chunk, by offset after;
 * - values are typed substitutions (`sub(...)` in the template, `v.*` in the record), optional
 *   substitutions dropped when null, BinXml values (`v.binxml`) nesting their own template
 *   instance (as Windows writes EventData and UserData);
 * - records fill 64 KiB chunks; a record that does not fit starts the next chunk.
 *
 * It exists because no sample .evtx files are available; the files it writes are checked
 * against python-evtx and libevtx's evtxexport in evtx.test.ts.
 */
import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';

/** Substitution value types. */
export const T = {
  Null: 0x00, String: 0x01, AnsiString: 0x02, Int8: 0x03, UInt8: 0x04, Int16: 0x05, UInt16: 0x06, Int32: 0x07,
  UInt32: 0x08, Int64: 0x09, UInt64: 0x0a, Real32: 0x0b, Real64: 0x0c, Bool: 0x0d, Binary: 0x0e, Guid: 0x0f,
  SizeT: 0x10, FileTime: 0x11, SysTime: 0x12, Sid: 0x13, HexInt32: 0x14, HexInt64: 0x15, BinXml: 0x21, Array: 0x80,
} as const;

/** A substitution value: its type and either its bytes or (BinXml) a nested instance. */
export type SubValue =
  | { readonly type: number; readonly bytes: Uint8Array }
  | { readonly type: typeof T.BinXml; readonly instance: Instance };

/** A template instance: the template and its values. */
export interface Instance {
  readonly template: TemplateDef;
  readonly values: readonly SubValue[];
}

/** Template content. */
export type TNode =
  | { readonly el: string; readonly attrs?: ReadonlyArray<readonly [string, TValue]>; readonly children?: readonly TNode[] }
  | TValue
  | { readonly cdata: string }
  | { readonly charRef: number }
  | { readonly entityRef: string }
  /** An instance of the template being defined, inside itself (a reference loop: bad input). */
  | { readonly selfInstance: true };

export type TValue = { readonly text: string } | { readonly sub: number; readonly type: number; readonly optional?: boolean };

export interface TemplateDef {
  /** Identifies the template (its GUID is derived from it). */
  readonly key: string;
  readonly root: TNode;
}

export const el = (name: string, attrs: ReadonlyArray<readonly [string, TValue]> = [], children: readonly TNode[] = []): TNode => ({ el: name, attrs, children });
export const sub = (index: number, type: number): TValue => ({ sub: index, type });
export const opt = (index: number, type: number): TValue => ({ sub: index, type, optional: true });
export const text = (s: string): TValue => ({ text: s });

function le(n: number, size: number): Uint8Array {
  const b = Buffer.alloc(size);
  if (size === 1) b.writeUInt8(n & 0xff);
  else if (size === 2) b.writeUInt16LE(n & 0xffff);
  else b.writeUInt32LE(n >>> 0);
  return b;
}

function u64(n: bigint): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, n));
  return b;
}

function utf16(s: string): Uint8Array {
  return Buffer.from(s, 'utf16le');
}

/** Parses `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` into its 16 bytes (mixed endian). */
export function guidBytes(g: string): Uint8Array {
  const h = g.replace(/[{}-]/g, '');
  const b = Buffer.from(h, 'hex');
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}

/** Epoch milliseconds as a FILETIME. */
export function filetime(ms: number): bigint {
  return BigInt(Math.round(ms * 10000)) + 116444736000000000n;
}

/** Constructors of substitution values. */
export const v = {
  null: (): SubValue => ({ type: T.Null, bytes: new Uint8Array(0) }),
  string: (s: string): SubValue => ({ type: T.String, bytes: utf16(s) }),
  ansi: (s: string): SubValue => ({ type: T.AnsiString, bytes: Buffer.from(s, 'latin1') }),
  int8: (n: number): SubValue => ({ type: T.Int8, bytes: le(n, 1) }),
  uint8: (n: number): SubValue => ({ type: T.UInt8, bytes: le(n, 1) }),
  uint16: (n: number): SubValue => ({ type: T.UInt16, bytes: le(n, 2) }),
  int32: (n: number): SubValue => ({ type: T.Int32, bytes: le(n, 4) }),
  uint32: (n: number): SubValue => ({ type: T.UInt32, bytes: le(n, 4) }),
  int64: (n: bigint): SubValue => ({ type: T.Int64, bytes: u64(n) }),
  uint64: (n: bigint): SubValue => ({ type: T.UInt64, bytes: u64(n) }),
  real64: (n: number): SubValue => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(n);
    return { type: T.Real64, bytes: b };
  },
  bool: (x: boolean): SubValue => ({ type: T.Bool, bytes: le(x ? 1 : 0, 4) }),
  binary: (b: Uint8Array): SubValue => ({ type: T.Binary, bytes: b }),
  guid: (g: string): SubValue => ({ type: T.Guid, bytes: guidBytes(g) }),
  sizeT: (n: bigint): SubValue => ({ type: T.SizeT, bytes: u64(n) }),
  filetime: (ms: number): SubValue => ({ type: T.FileTime, bytes: u64(filetime(ms)) }),
  systemtime: (ms: number): SubValue => {
    const d = new Date(ms);
    const parts = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDay(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()];
    return { type: T.SysTime, bytes: Buffer.concat(parts.map((p) => le(p, 2))) };
  },
  sid: (s: string): SubValue => {
    const [, rev, auth, ...subs] = s.split('-');
    const a = Buffer.alloc(6);
    a.writeUIntBE(Number(auth), 0, 6);
    return { type: T.Sid, bytes: Buffer.concat([Buffer.from([Number(rev), subs.length]), a, ...subs.map((x) => le(Number(x), 4))]) };
  },
  hex32: (n: number): SubValue => ({ type: T.HexInt32, bytes: le(n, 4) }),
  hex64: (n: bigint): SubValue => ({ type: T.HexInt64, bytes: u64(n) }),
  strings: (list: readonly string[]): SubValue => ({ type: T.Array | T.String, bytes: utf16(list.map((s) => s + '\0').join('')) }),
  uint32s: (list: readonly number[]): SubValue => ({ type: T.Array | T.UInt32, bytes: Buffer.concat(list.map((n) => le(n, 4))) }),
  binxml: (template: TemplateDef, values: readonly SubValue[]): SubValue => ({ type: T.BinXml, instance: { template, values } }),
};

/** Windows's name hash (the string table's bucket is its value modulo 64). */
function nameHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 65599) + s.charCodeAt(i)) >>> 0;
  return h & 0xffff;
}

/** What a chunk has defined so far: name and template offsets. */
interface ChunkState {
  names: Map<string, number>;
  templates: Map<string, number>;
}

/** Bytes being written at a known chunk offset. */
class Out {
  readonly parts: number[] = [];
  constructor(readonly base: number) {}
  get here(): number {
    return this.base + this.parts.length;
  }
  put(b: Uint8Array | readonly number[]): void {
    for (const x of b) this.parts.push(x);
  }
  u8(n: number): void {
    this.parts.push(n & 0xff);
  }
  u16(n: number): void {
    this.put(le(n, 2));
  }
  u32(n: number): void {
    this.put(le(n, 4));
  }
  /** Writes a u32 placeholder; returns a function that fills it. */
  slot32(): (n: number) => void {
    const at = this.parts.length;
    this.u32(0);
    return (n) => le(n, 4).forEach((x, i) => (this.parts[at + i] = x));
  }
}

class Encoder {
  constructor(readonly state: ChunkState) {}

  /** A name reference: the name string inline when the chunk has not got it yet. */
  name(o: Out, s: string): void {
    const known = this.state.names.get(s);
    if (known !== undefined) {
      o.u32(known);
      return;
    }
    const at = o.here + 4;
    o.u32(at);
    this.state.names.set(s, at);
    o.u32(0); // next offset in the hash bucket: linked when the chunk is finished
    o.u16(nameHash(s));
    o.u16(s.length);
    o.put(utf16(s));
    o.u16(0);
  }

  value(o: Out, t: TValue): void {
    if ('text' in t) {
      o.u8(0x05);
      o.u8(T.String);
      o.u16(t.text.length);
      o.put(utf16(t.text));
    } else {
      o.u8(t.optional ? 0x0e : 0x0d);
      o.u16(t.sub);
      o.u8(t.type);
    }
  }

  node(o: Out, n: TNode, selfOffset: number, tpl: TemplateDef): void {
    if ('el' in n) {
      const attrs = n.attrs ?? [];
      const children = n.children ?? [];
      o.u8(attrs.length ? 0x41 : 0x01);
      o.u16(0xffff);
      const fillSize = o.slot32();
      const start = o.here;
      this.name(o, n.el);
      if (attrs.length) {
        const fillAttrs = o.slot32();
        const aStart = o.here;
        attrs.forEach(([name, val], i) => {
          o.u8(i < attrs.length - 1 ? 0x46 : 0x06);
          this.name(o, name);
          this.value(o, val);
        });
        fillAttrs(o.here - aStart);
      }
      if (children.length === 0) o.u8(0x03);
      else {
        o.u8(0x02);
        for (const c of children) this.node(o, c, selfOffset, tpl);
        o.u8(0x04);
      }
      fillSize(o.here - start);
    } else if ('cdata' in n) {
      o.u8(0x07); // MS-EVEN6: a character count, then UTF-16 without a terminator
      o.u16(n.cdata.length);
      o.put(utf16(n.cdata));
    } else if ('charRef' in n) {
      o.u8(0x08);
      o.u16(n.charRef);
    } else if ('entityRef' in n) {
      o.u8(0x09);
      this.name(o, n.entityRef);
    } else if ('selfInstance' in n) {
      o.u8(0x0c);
      o.u8(0x01);
      o.u32(0);
      o.u32(selfOffset);
      o.u32(0); // no values
    } else {
      this.value(o, n);
    }
  }

  /** A template instance: the definition inline (first use in the chunk) or by offset, then values. */
  instance(o: Out, inst: Instance): void {
    const { template, values } = inst;
    const guid = createHash('md5').update(template.key).digest();
    o.u8(0x0c);
    o.u8(0x01);
    o.put(guid.subarray(0, 4));
    const known = this.state.templates.get(template.key);
    if (known !== undefined) o.u32(known);
    else {
      const defAt = o.here + 4;
      o.u32(defAt);
      this.state.templates.set(template.key, defAt);
      o.u32(0); // next template offset in the table's bucket
      o.put(guid);
      const fillSize = o.slot32();
      const bodyStart = o.here;
      o.put([0x0f, 0x01, 0x01, 0x00]);
      this.node(o, template.root, defAt, template);
      o.u8(0x00);
      fillSize(o.here - bodyStart);
    }
    o.u32(values.length);
    // The declarations (size, type) come first: each value is encoded at its final offset to know its size.
    const declAt = o.parts.length;
    for (let i = 0; i < values.length; i++) o.u32(0);
    values.forEach((val, i) => {
      const start = o.here;
      if ('instance' in val) {
        o.put([0x0f, 0x01, 0x01, 0x00]);
        this.instance(o, val.instance);
        o.u8(0x00);
      } else o.put(val.bytes);
      const size = o.here - start;
      const d = [...le(size, 2), val.type, 0];
      d.forEach((x, j) => (o.parts[declAt + 4 * i + j] = x));
    });
  }
}

export interface RecordSpec {
  readonly template: TemplateDef;
  readonly values: readonly SubValue[];
  /** The record header's time (epoch ms); default: the record number as seconds after 2024-01-01. */
  readonly timeMs?: number;
}

export interface WriteOptions {
  readonly firstRecordId?: bigint;
  /** Sets the file header's dirty flag. */
  readonly dirty?: boolean;
  /** Chunks of at most this many records (default: as many as fit). */
  readonly maxPerChunk?: number;
}

const CHUNK = 0x10000;

/** One chunk being filled. */
class ChunkBuilder {
  readonly buf = new Uint8Array(CHUNK);
  pos = 0x200;
  state: ChunkState = { names: new Map(), templates: new Map() };
  firstId = -1n;
  lastId = -1n;
  lastOffset = 0;
  count = 0;

  /** Adds a record; false when it does not fit. */
  add(id: bigint, spec: RecordSpec): boolean {
    const saved: ChunkState = { names: new Map(this.state.names), templates: new Map(this.state.templates) };
    const o = new Out(this.pos);
    o.u32(0x2a2a);
    const fillSize = o.slot32();
    o.put(u64(id));
    o.put(u64(filetime(spec.timeMs ?? Date.UTC(2024, 0, 1) + Number(id) * 1000)));
    o.put([0x0f, 0x01, 0x01, 0x00]);
    new Encoder(this.state).instance(o, { template: spec.template, values: spec.values });
    while (o.parts.length % 8 !== 4) o.u8(0); // records are 8-byte aligned, size copy included
    fillSize(o.parts.length + 4);
    o.u32(o.parts.length + 4);
    if (this.pos + o.parts.length > CHUNK) {
      this.state = saved;
      return false;
    }
    this.buf.set(o.parts, this.pos);
    this.lastOffset = this.pos;
    this.pos += o.parts.length;
    if (this.firstId < 0n) this.firstId = id;
    this.lastId = id;
    this.count++;
    return true;
  }

  /** Writes the header: record numbers, offsets, tables and checksums. */
  finish(): Uint8Array {
    const b = Buffer.from(this.buf.buffer);
    b.write('ElfChnk\0', 0, 'latin1');
    b.writeBigUInt64LE(this.firstId, 0x08);
    b.writeBigUInt64LE(this.lastId, 0x10);
    b.writeBigUInt64LE(this.firstId, 0x18);
    b.writeBigUInt64LE(this.lastId, 0x20);
    b.writeUInt32LE(0x80, 0x28);
    b.writeUInt32LE(this.lastOffset, 0x2c);
    b.writeUInt32LE(this.pos, 0x30);
    // The string hash table: 64 buckets of names chained by their next offset.
    for (const [name, at] of this.state.names) {
      const slot = 0x80 + 4 * (nameHash(name) % 64);
      b.writeUInt32LE(b.readUInt32LE(slot), at);
      b.writeUInt32LE(at, slot);
    }
    for (const [, at] of this.state.templates) {
      const slot = 0x180 + 4 * (b.readUInt32LE(at + 4) % 32);
      b.writeUInt32LE(b.readUInt32LE(slot), at);
      b.writeUInt32LE(at, slot);
    }
    b.writeUInt32LE(crc32(b.subarray(0x200, this.pos)), 0x34);
    b.writeUInt32LE(crc32(Buffer.concat([b.subarray(0, 0x78), b.subarray(0x80, 0x200)])), 0x7c);
    return b;
  }
}

/** CRC-32 (IEEE), zlib's. */
export function crc32(b: Uint8Array): number {
  return zlibCrc32(b) >>> 0;
}

/** The 4 KiB file header. */
function fileHeader(chunks: number, nextId: bigint, dirty: boolean): Uint8Array {
  const b = Buffer.alloc(4096);
  b.write('ElfFile\0', 0, 'latin1');
  b.writeBigUInt64LE(0n, 0x08);
  b.writeBigUInt64LE(BigInt(Math.max(0, chunks - 1)), 0x10);
  b.writeBigUInt64LE(nextId, 0x18);
  b.writeUInt32LE(0x80, 0x20);
  b.writeUInt16LE(1, 0x24);
  b.writeUInt16LE(3, 0x26);
  b.writeUInt16LE(0x1000, 0x28);
  b.writeUInt16LE(chunks, 0x2a);
  b.writeUInt32LE(dirty ? 1 : 0, 0x78);
  b.writeUInt32LE(crc32(b.subarray(0, 0x78)), 0x7c);
  return b;
}

/** An EVTX file holding `records`, numbered from `firstRecordId` (default 1). */
export function writeEvtx(records: readonly RecordSpec[] | Iterable<RecordSpec>, opts: WriteOptions = {}): Buffer {
  let id = opts.firstRecordId ?? 1n;
  const chunks: Uint8Array[] = [];
  let chunk = new ChunkBuilder();
  for (const r of records) {
    if ((opts.maxPerChunk !== undefined && chunk.count >= opts.maxPerChunk) || !chunk.add(id, r)) {
      if (chunk.count === 0) throw new Error('a record does not fit in an empty chunk');
      chunks.push(chunk.finish());
      chunk = new ChunkBuilder();
      if (!chunk.add(id, r)) throw new Error('a record does not fit in an empty chunk');
    }
    id++;
  }
  if (chunk.count > 0) chunks.push(chunk.finish());
  return Buffer.concat([fileHeader(chunks.length, id, opts.dirty === true), ...chunks]);
}

// ---------------------------------------------------------------------------------------------
// Windows-like events: the System template Windows uses (EventData / UserData as a BinXml
// substitution), and the event templates the tests write.

const EVENT_NS = 'http://schemas.microsoft.com/win/2004/08/events/event';

/** Windows's System template: the event's header fields, then its data (index 18, BinXml). */
export const SYSTEM_TEMPLATE: TemplateDef = {
  key: 'system',
  root: el('Event', [['xmlns', text(EVENT_NS)]], [
    el('System', [], [
      el('Provider', [['Name', sub(14, T.String)], ['Guid', opt(15, T.Guid)], ['EventSourceName', opt(19, T.String)]]),
      el('EventID', [['Qualifiers', opt(4, T.UInt16)]], [sub(3, T.UInt16)]),
      el('Version', [], [opt(11, T.UInt8)]),
      el('Level', [], [opt(0, T.UInt8)]),
      el('Task', [], [opt(2, T.UInt16)]),
      el('Opcode', [], [opt(1, T.UInt8)]),
      el('Keywords', [], [opt(5, T.HexInt64)]),
      el('TimeCreated', [['SystemTime', opt(6, T.FileTime)]]),
      el('EventRecordID', [], [opt(10, T.UInt64)]),
      el('Correlation', [['ActivityID', opt(7, T.Guid)], ['RelatedActivityID', opt(13, T.Guid)]]),
      el('Execution', [['ProcessID', opt(8, T.UInt32)], ['ThreadID', opt(9, T.UInt32)]]),
      el('Channel', [], [opt(16, T.String)]),
      el('Computer', [], [opt(17, T.String)]),
      el('Security', [['UserID', opt(12, T.Sid)]]),
    ]),
    opt(18, T.BinXml),
  ]),
};

/** The header fields of an event. */
export interface SystemFields {
  eventId: number;
  qualifiers?: number;
  provider: string;
  providerGuid?: string;
  level?: number;
  task?: number;
  opcode?: number;
  keywords?: bigint;
  timeMs: number;
  recordId: bigint;
  activityId?: string;
  processId?: number;
  threadId?: number;
  channel: string;
  computer: string;
  userId?: string;
  version?: number;
}

/** The 20 values of SYSTEM_TEMPLATE. */
export function systemValues(s: SystemFields, data: SubValue | null): SubValue[] {
  const o = <X>(x: X | undefined, f: (x: X) => SubValue) => (x === undefined ? v.null() : f(x));
  return [
    o(s.level, v.uint8), o(s.opcode, v.uint8), o(s.task, v.uint16), v.uint16(s.eventId), o(s.qualifiers, v.uint16),
    o(s.keywords, v.hex64), v.filetime(s.timeMs), o(s.activityId, v.guid), o(s.processId, v.uint32), o(s.threadId, v.uint32),
    v.uint64(s.recordId), o(s.version, v.uint8), o(s.userId, v.sid), v.null(), v.string(s.provider),
    o(s.providerGuid, v.guid), v.string(s.channel), v.string(s.computer), data ?? v.null(), v.null(),
  ];
}

/** `<EventData>` with one `<Data Name=...>` per field, each a substitution of the given type. */
export function eventDataTemplate(key: string, fields: ReadonlyArray<readonly [string, number]>): TemplateDef {
  return { key, root: el('EventData', [], fields.map(([name, type], i) => el('Data', [['Name', text(name)]], [opt(i, type)]))) };
}

export const LOGON_FIELDS: ReadonlyArray<readonly [string, number]> = [
  ['SubjectUserSid', T.Sid], ['SubjectUserName', T.String], ['SubjectDomainName', T.String], ['SubjectLogonId', T.HexInt64],
  ['TargetUserSid', T.Sid], ['TargetUserName', T.String], ['TargetDomainName', T.String], ['TargetLogonId', T.HexInt64],
  ['LogonType', T.UInt32], ['LogonProcessName', T.String], ['AuthenticationPackageName', T.String], ['WorkstationName', T.String],
  ['LogonGuid', T.Guid], ['TransmittedServices', T.String], ['LmPackageName', T.String], ['KeyLength', T.UInt32],
  ['ProcessId', T.HexInt64], ['ProcessName', T.String], ['IpAddress', T.String], ['IpPort', T.String],
  ['ImpersonationLevel', T.String], ['ElevatedToken', T.String],
];
export const LOGON_TEMPLATE = eventDataTemplate('4624', LOGON_FIELDS);

export const SERVICE_TEMPLATE = eventDataTemplate('7045', [
  ['ServiceName', T.String], ['ImagePath', T.String], ['ServiceType', T.String], ['StartType', T.String], ['AccountName', T.String],
]);

/** One Data of each value type the tests check (index = position). */
export const TYPES_FIELDS: ReadonlyArray<readonly [string, number]> = [
  ['U8', T.UInt8], ['U16', T.UInt16], ['U32', T.UInt32], ['U64', T.UInt64], ['I8', T.Int8], ['I32', T.Int32], ['I64', T.Int64],
  ['Real', T.Real64], ['Flag', T.Bool], ['Blob', T.Binary], ['Guid', T.Guid], ['Size', T.SizeT], ['FileTime', T.FileTime],
  ['SysTime', T.SysTime], ['Sid', T.Sid], ['Hex32', T.HexInt32], ['Hex64', T.HexInt64], ['Ansi', T.AnsiString],
  ['Strings', T.Array | T.String], ['Missing', T.String], ['Text', T.String],
];

/** Arrays of fixed-size items (python-evtx does not read them: kept out of its files). */
export const ARRAYS_TEMPLATE = eventDataTemplate('arrays', [['Numbers', T.Array | T.UInt32], ['Words', T.Array | T.UInt16], ['Names', T.Array | T.String]]);
export const TYPES_TEMPLATE = eventDataTemplate('types', TYPES_FIELDS);

/** Classic (pre-Vista style) event data: unnamed Data elements and a Binary element. */
export const CLASSIC_TEMPLATE: TemplateDef = {
  key: 'classic',
  root: el('EventData', [], [el('Data', [], [sub(0, T.String)]), el('Data', [], [sub(1, T.String)]), el('Data', [], [sub(2, T.UInt32)]), el('Binary', [], [sub(3, T.Binary)])]),
};

/** UserData with a provider-specific element (TerminalServices-LocalSessionManager 21). */
export const USERDATA_TEMPLATE: TemplateDef = {
  key: 'userdata',
  root: el('UserData', [], [
    el('EventXML', [['xmlns', text('Event_NS')]], [el('User', [], [sub(0, T.String)]), el('SessionID', [], [sub(1, T.UInt32)]), el('Address', [], [sub(2, T.String)])]),
  ]),
};

/** Literal content: CDATA, character and entity references, literal text. */
export const TEXT_TEMPLATE: TemplateDef = {
  key: 'text',
  root: el('EventData', [], [
    el('Data', [['Name', text('Script')]], [{ cdata: 'if (a < b) { run(); }' }]),
    el('Data', [['Name', text('Joined')]], [text('fish'), { entityRef: 'amp' }, text('chips'), { charRef: 0x21 }]),
    el('Data', [['Name', text('Literal')]], [text('constant')]),
    el('Data', [['Name', text('Param')]], [sub(0, T.String)]),
  ]),
};

/** A template whose body holds an instance of itself (a reference loop). */
export const LOOP_TEMPLATE: TemplateDef = { key: 'loop', root: el('EventData', [], [{ selfInstance: true }]) };

/**
 * A whole-event template, as Windows writes most manifest-based events (Security 4624...): the
 * System part of SYSTEM_TEMPLATE and `<EventData>` in one template, the fields at index 20 on.
 */
export function fullEventTemplate(key: string, fields: ReadonlyArray<readonly [string, number]>): TemplateDef {
  const root = SYSTEM_TEMPLATE.root as { el: string; attrs: ReadonlyArray<readonly [string, TValue]>; children: readonly TNode[] };
  const data = el('EventData', [], fields.map(([name, type], i) => el('Data', [['Name', text(name)]], [sub(20 + i, type)])));
  return { key: `full-${key}`, root: el(root.el, root.attrs, [root.children[0]!, data]) };
}

/** The values of a fullEventTemplate record. */
export function fullEventValues(s: SystemFields, data: readonly SubValue[]): SubValue[] {
  return [...systemValues(s, null), ...data];
}
