/**
 * Builds small but complete PE files (PE32 and PE32+) for the parse_pe tests: a .text, .rdata,
 * .data and .rsrc section, an import table (several DLLs, imports by name and by ordinal), an
 * export table (named, unnamed and forwarded exports), a CodeView RSDS debug entry, a resource
 * tree with a VS_VERSIONINFO, a manifest and a named resource type, and optionally a
 * certificate table (the security directory) with opaque content.
 *
 * The result carries the layout (where the section table and the resource root are) so that
 * the tests can damage the file in precise ways.
 */

export interface PeSpec {
  is64: boolean;
  machine: number;
  timeDateStamp: number;
  imageBase: bigint;
  characteristics: number;
  /** DLLs and their imports: a name, or an ordinal number. */
  imports: Array<{ dll: string; functions: Array<string | number> }>;
  /** Exports (omit for none): a name (or none: by ordinal only), and a forwarder "DLL.Function". */
  exports?: { dll: string; base: number; timeDateStamp: number; functions: Array<{ name?: string; forwarder?: string }> };
  /** StringFileInfo strings of the VS_VERSIONINFO (omit for no version resource). */
  version?: Record<string, string>;
  /** The CodeView RSDS entry (omit for no debug directory). */
  pdb?: { guid: Uint8Array; age: number; path: string; timeDateStamp: number };
  /** Opaque certificate table bytes appended to the file (the security directory). */
  certificate?: Uint8Array;
  /**
   * A PKCS#7 Authenticode signature appended instead (its SpcIndirectDataContent holds the
   * file's real SHA256 Authenticode digest; the RSA signature bytes are not a real signature).
   */
  signature?: SignatureSpec;
}

export interface SignatureSpec {
  /** The signing certificate's subject and issuer, as [attribute OID, value] RDNs (file order). */
  subject: Array<[string, string]>;
  issuer: Array<[string, string]>;
  serial: bigint;
  programName: string;
  moreInfo: string;
  /** The countersignature's signing time. */
  signingTime: Date;
}

export interface BuiltPe {
  bytes: Buffer;
  /** File offset of the section table and the number of its entries. */
  sectionTableOffset: number;
  /** File offset of the NumberOfSections field. */
  numberOfSectionsOffset: number;
  /** File offset of the resource tree's root directory. */
  resourceRootOffset: number;
  sections: Array<{ name: string; rva: number; rawOffset: number; rawSize: number; virtualSize: number; characteristics: number }>;
}

import { createHash } from 'node:crypto';
import { algorithm, integer, name, NULL, octets, oid, seq, set, tlv, utcTime } from './der-writer.ts';

const FILE_ALIGN = 0x200;
const SECTION_ALIGN = 0x1000;
const HEADERS_SIZE = 0x400;

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** A growable section body: allocations return offsets, fields are patched in place. */
class Body {
  buf = Buffer.alloc(0);
  constructor(readonly rva: number) {}
  alloc(size: number, alignTo = 4): number {
    const at = align(this.buf.length, alignTo);
    this.buf = Buffer.concat([this.buf, Buffer.alloc(at + size - this.buf.length)]);
    return at;
  }
  put(bytes: Uint8Array, alignTo = 4): number {
    const at = this.alloc(bytes.length, alignTo);
    this.buf.set(bytes, at);
    return at;
  }
  cstr(s: string, alignTo = 2): number {
    return this.put(Buffer.from(s + '\0', 'latin1'), alignTo);
  }
  u16(at: number, v: number): void {
    this.buf.writeUInt16LE(v, at);
  }
  u32(at: number, v: number): void {
    this.buf.writeUInt32LE(v >>> 0, at);
  }
  u64(at: number, v: bigint): void {
    this.buf.writeBigUInt64LE(v, at);
  }
  rvaOf(offset: number): number {
    return this.rva + offset;
  }
}

function utf16z(s: string): Buffer {
  return Buffer.from(s + '\0', 'utf16le');
}

/** A VS_VERSIONINFO-style block: wLength, wValueLength, wType, key, value, children (4-aligned). */
function vsBlock(key: string, value: Buffer | null, valueLength: number, type: 0 | 1, children: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  let len = 6;
  const keyBytes = utf16z(key);
  parts.push(keyBytes);
  len += keyBytes.length;
  const pad = () => {
    const p = align(len, 4) - len;
    if (p) {
      parts.push(Buffer.alloc(p));
      len += p;
    }
  };
  if (value) {
    pad();
    parts.push(value);
    len += value.length;
  }
  for (const c of children) {
    pad();
    parts.push(c);
    len += c.length;
  }
  const head = Buffer.alloc(6);
  head.writeUInt16LE(len, 0);
  head.writeUInt16LE(valueLength, 2);
  head.writeUInt16LE(type, 4);
  return Buffer.concat([head, ...parts]);
}

/** A VS_VERSIONINFO resource with one string table (English, Unicode) and a Translation var. */
export function versionInfo(strings: Record<string, string>): Buffer {
  const fixed = Buffer.alloc(52);
  fixed.writeUInt32LE(0xfeef04bd, 0);
  fixed.writeUInt32LE(0x10000, 4);
  fixed.writeUInt32LE(0x00010002, 8); // FileVersionMS 1.2
  fixed.writeUInt32LE(0x00030004, 12); // FileVersionLS 3.4
  fixed.writeUInt32LE(0x00010002, 16);
  fixed.writeUInt32LE(0x00030004, 20);
  fixed.writeUInt32LE(0x3f, 24);
  fixed.writeUInt32LE(0x40004, 32); // VOS_NT_WINDOWS32
  fixed.writeUInt32LE(1, 36); // VFT_APP
  const entries = Object.entries(strings).map(([k, v]) => vsBlock(k, utf16z(v), v.length + 1, 1, []));
  const table = vsBlock('040904b0', null, 0, 1, entries);
  const sfi = vsBlock('StringFileInfo', null, 0, 1, [table]);
  const translation = Buffer.alloc(4);
  translation.writeUInt16LE(0x0409, 0);
  translation.writeUInt16LE(0x04b0, 2);
  const vfi = vsBlock('VarFileInfo', null, 0, 1, [vsBlock('Translation', translation, 4, 0, [])]);
  return vsBlock('VS_VERSION_INFO', fixed, 52, 0, [sfi, vfi]);
}

interface ResNode {
  id: number | string;
  children?: ResNode[];
  data?: Buffer;
  codePage?: number;
}

/** Writes a resource tree into `body`; returns the root's offset in it. */
function writeResources(body: Body, root: ResNode[]): number {
  const dir = (nodes: ResNode[]): number => {
    const named = nodes.filter((n) => typeof n.id === 'string');
    const ids = nodes.filter((n) => typeof n.id === 'number');
    const at = body.alloc(16 + nodes.length * 8);
    body.u32(at + 4, 0); // TimeDateStamp
    body.u16(at + 12, named.length);
    body.u16(at + 14, ids.length);
    [...named, ...ids].forEach((n, i) => {
      const e = at + 16 + i * 8;
      if (typeof n.id === 'string') {
        const s = Buffer.alloc(2 + n.id.length * 2);
        s.writeUInt16LE(n.id.length, 0);
        s.write(n.id, 2, 'utf16le');
        body.u32(e, 0x80000000 | body.put(s, 2));
      } else {
        body.u32(e, n.id);
      }
      if (n.children) {
        body.u32(e + 4, 0x80000000 | dir(n.children));
      } else {
        const entry = body.alloc(16);
        const data = body.put(n.data!, 8);
        body.u32(entry, body.rvaOf(data));
        body.u32(entry + 4, n.data!.length);
        body.u32(entry + 8, n.codePage ?? 0);
        body.u32(e + 4, entry);
      }
    });
    return at;
  };
  return dir(root);
}

export const MANIFEST = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0"/>';

export function buildPe(spec: PeSpec): BuiltPe {
  const thunkSize = spec.is64 ? 8 : 4;
  // .text: code (ret instructions); exports point into it.
  const text = Buffer.alloc(0x200, 0xc3);
  const textRva = 0x1000;

  // .rdata: imports, exports, debug directory.
  const rdata = new Body(0x2000);
  const dirs: Array<[number, number]> = Array.from({ length: 16 }, () => [0, 0]);

  // Imports: descriptors, then per DLL its lookup table, address table, names.
  const descAt = rdata.alloc((spec.imports.length + 1) * 20);
  let iatStart = Infinity;
  let iatEnd = 0;
  spec.imports.forEach((imp, i) => {
    const n = imp.functions.length + 1;
    const ilt = rdata.alloc(n * thunkSize, 8);
    const iat = rdata.alloc(n * thunkSize, 8);
    iatStart = Math.min(iatStart, iat);
    iatEnd = Math.max(iatEnd, iat + n * thunkSize);
    imp.functions.forEach((f, j) => {
      let value: bigint;
      if (typeof f === 'number') {
        value = (spec.is64 ? 1n << 63n : 1n << 31n) | BigInt(f);
      } else {
        const hn = rdata.alloc(2 + f.length + 1, 2);
        rdata.u16(hn, j); // hint
        rdata.buf.write(f, hn + 2, 'latin1');
        value = BigInt(rdata.rvaOf(hn));
      }
      for (const t of [ilt, iat]) {
        if (spec.is64) rdata.u64(t + j * 8, value);
        else rdata.u32(t + j * 4, Number(value));
      }
    });
    const name = rdata.cstr(imp.dll);
    const d = descAt + i * 20;
    rdata.u32(d, rdata.rvaOf(ilt));
    rdata.u32(d + 12, rdata.rvaOf(name));
    rdata.u32(d + 16, rdata.rvaOf(iat));
  });
  if (spec.imports.length) {
    dirs[1] = [rdata.rvaOf(descAt), (spec.imports.length + 1) * 20];
    dirs[12] = [rdata.rvaOf(iatStart), iatEnd - iatStart];
  }

  // Exports: header, tables, names; forwarder strings inside the directory's range.
  if (spec.exports) {
    const ex = spec.exports;
    const nf = ex.functions.length;
    const named = ex.functions.map((f, i) => ({ ...f, index: i })).filter((f) => f.name !== undefined).sort((a, b) => (a.name! < b.name! ? -1 : 1));
    const head = rdata.alloc(40);
    const funcs = rdata.alloc(nf * 4);
    const names = rdata.alloc(named.length * 4);
    const ords = rdata.alloc(named.length * 2);
    ex.functions.forEach((f, i) => {
      rdata.u32(funcs + i * 4, f.forwarder ? rdata.rvaOf(rdata.cstr(f.forwarder, 1)) : textRva + i * 16);
    });
    named.forEach((f, i) => {
      rdata.u32(names + i * 4, rdata.rvaOf(rdata.cstr(f.name!, 1)));
      rdata.u16(ords + i * 2, f.index);
    });
    const dllName = rdata.cstr(ex.dll, 1);
    const end = rdata.buf.length;
    rdata.u32(head + 4, ex.timeDateStamp);
    rdata.u32(head + 12, rdata.rvaOf(dllName));
    rdata.u32(head + 16, ex.base);
    rdata.u32(head + 20, nf);
    rdata.u32(head + 24, named.length);
    rdata.u32(head + 28, rdata.rvaOf(funcs));
    rdata.u32(head + 32, rdata.rvaOf(names));
    rdata.u32(head + 36, rdata.rvaOf(ords));
    dirs[0] = [rdata.rvaOf(head), end - head];
  }

  // Debug: one CodeView entry (its file offset patched once the layout is known).
  let debugEntry = -1;
  let rsds = -1;
  if (spec.pdb) {
    debugEntry = rdata.alloc(28);
    const cv = Buffer.alloc(24 + spec.pdb.path.length + 1);
    cv.write('RSDS', 0, 'latin1');
    cv.set(spec.pdb.guid, 4);
    cv.writeUInt32LE(spec.pdb.age, 20);
    cv.write(spec.pdb.path, 24, 'latin1');
    rsds = rdata.put(cv);
    rdata.u32(debugEntry + 4, spec.pdb.timeDateStamp);
    rdata.u32(debugEntry + 12, 2);
    rdata.u32(debugEntry + 16, cv.length);
    rdata.u32(debugEntry + 20, rdata.rvaOf(rsds));
    dirs[6] = [rdata.rvaOf(debugEntry), 28];
  }
  if (rdata.buf.length === 0) rdata.alloc(16);

  // .data after .rdata, .rsrc after .data.
  const dataRva = align(rdata.rva + rdata.buf.length, SECTION_ALIGN);
  const data = Buffer.alloc(0x40, 0x11);
  const rsrc = new Body(dataRva + SECTION_ALIGN);
  const tree: ResNode[] = [
    { id: 'CONFIG', children: [{ id: 101, children: [{ id: 0x409, data: Buffer.from('config data'), codePage: 1252 }] }] },
    { id: 24, children: [{ id: 1, children: [{ id: 0x409, data: Buffer.from(MANIFEST) }] }] },
  ];
  if (spec.version) tree.splice(1, 0, { id: 16, children: [{ id: 1, children: [{ id: 0x409, data: versionInfo(spec.version) }] }] });
  const rootAt = writeResources(rsrc, tree);
  dirs[2] = [rsrc.rvaOf(rootAt), rsrc.buf.length];

  const sectionDefs = [
    { name: '.text', rva: textRva, body: text, characteristics: 0x60000020 },
    { name: '.rdata', rva: rdata.rva, body: rdata.buf, characteristics: 0x40000040 },
    { name: '.data', rva: dataRva, body: data, characteristics: 0xc0000040 },
    { name: '.rsrc', rva: rsrc.rva, body: rsrc.buf, characteristics: 0x40000040 },
  ];
  let raw = HEADERS_SIZE;
  const sections = sectionDefs.map((s) => {
    const rawSize = align(s.body.length, FILE_ALIGN);
    const out = { name: s.name, rva: s.rva, rawOffset: raw, rawSize, virtualSize: s.body.length, characteristics: s.characteristics };
    raw += rawSize;
    return out;
  });
  const last = sections[sections.length - 1]!;
  const sizeOfImage = align(last.rva + last.virtualSize, SECTION_ALIGN);
  if (spec.pdb) {
    // PointerToRawData of the debug entry: the CodeView data's file offset.
    rdata.u32(debugEntry + 24, sections[1]!.rawOffset + rsds);
  }

  // Headers.
  const optSize = spec.is64 ? 240 : 224;
  const lfanew = 0x80;
  const h = Buffer.alloc(HEADERS_SIZE);
  h.write('MZ', 0, 'latin1');
  h.writeUInt32LE(lfanew, 0x3c);
  h.write('This program cannot be run in DOS mode.', 0x4e, 'latin1');
  h.write('PE\0\0', lfanew, 'latin1');
  const fh = lfanew + 4;
  h.writeUInt16LE(spec.machine, fh);
  h.writeUInt16LE(sections.length, fh + 2);
  h.writeUInt32LE(spec.timeDateStamp, fh + 4);
  h.writeUInt16LE(optSize, fh + 16);
  h.writeUInt16LE(spec.characteristics, fh + 18);
  const o = fh + 20;
  h.writeUInt16LE(spec.is64 ? 0x20b : 0x10b, o);
  h.writeUInt8(14, o + 2);
  h.writeUInt32LE(sections[0]!.rawSize, o + 4); // SizeOfCode
  h.writeUInt32LE(textRva, o + 16); // AddressOfEntryPoint
  h.writeUInt32LE(textRva, o + 20); // BaseOfCode
  if (spec.is64) {
    h.writeBigUInt64LE(spec.imageBase, o + 24);
  } else {
    h.writeUInt32LE(rdata.rva, o + 24); // BaseOfData
    h.writeUInt32LE(Number(spec.imageBase), o + 28);
  }
  h.writeUInt32LE(SECTION_ALIGN, o + 32);
  h.writeUInt32LE(FILE_ALIGN, o + 36);
  h.writeUInt16LE(6, o + 40); // MajorOperatingSystemVersion
  h.writeUInt16LE(6, o + 48); // MajorSubsystemVersion
  h.writeUInt32LE(sizeOfImage, o + 56);
  h.writeUInt32LE(HEADERS_SIZE, o + 60);
  h.writeUInt16LE(3, o + 68); // Subsystem: console
  h.writeUInt16LE(0x8160, o + 70);
  const ddOffset = spec.is64 ? 112 : 96;
  if (spec.is64) {
    h.writeBigUInt64LE(0x100000n, o + 72);
    h.writeBigUInt64LE(0x1000n, o + 80);
    h.writeBigUInt64LE(0x100000n, o + 88);
    h.writeBigUInt64LE(0x1000n, o + 96);
  } else {
    h.writeUInt32LE(0x100000, o + 72);
    h.writeUInt32LE(0x1000, o + 76);
    h.writeUInt32LE(0x100000, o + 80);
    h.writeUInt32LE(0x1000, o + 84);
  }
  h.writeUInt32LE(16, o + ddOffset - 4);
  const tableOffset = o + optSize;
  sections.forEach((s, i) => {
    const e = tableOffset + i * 40;
    h.write(s.name, e, 'latin1');
    h.writeUInt32LE(s.virtualSize, e + 8);
    h.writeUInt32LE(s.rva, e + 12);
    h.writeUInt32LE(s.rawSize, e + 16);
    h.writeUInt32LE(s.rawOffset, e + 20);
    h.writeUInt32LE(s.characteristics, e + 36);
  });

  const bodies = sectionDefs.map((s, i) => {
    const b = Buffer.alloc(sections[i]!.rawSize);
    b.set(i === 1 ? rdata.buf : i === 3 ? rsrc.buf : s.body);
    return b;
  });
  let bytes = Buffer.concat([h, ...bodies]);
  const writeDirs = () =>
    dirs.forEach(([va, size], i) => {
      bytes.writeUInt32LE(va, o + ddOffset + i * 8);
      bytes.writeUInt32LE(size, o + ddOffset + i * 8 + 4);
    });
  const content = spec.signature ? authenticodeSignature(spec.signature, Buffer.alloc(32)) : spec.certificate;
  if (content) {
    const certAt = align(bytes.length, 8);
    const cert = Buffer.alloc(align(8 + content.length, 8));
    cert.writeUInt32LE(8 + content.length, 0);
    cert.writeUInt16LE(0x200, 4);
    cert.writeUInt16LE(2, 6); // WIN_CERT_TYPE_PKCS_SIGNED_DATA
    cert.set(content, 8);
    bytes = Buffer.concat([bytes, Buffer.alloc(certAt - bytes.length), cert]);
    dirs[4] = [certAt, cert.length];
    writeDirs();
    if (spec.signature) {
      // The signed digest is of the file as it is now (the table itself excluded): same size.
      const digest = authenticodeSha256(bytes, spec.is64, certAt, cert.length);
      cert.set(authenticodeSignature(spec.signature, digest), 8);
      bytes.set(cert, certAt);
    }
  }
  writeDirs();
  return {
    bytes,
    sectionTableOffset: tableOffset,
    numberOfSectionsOffset: fh + 2,
    resourceRootOffset: sections[3]!.rawOffset + rootAt,
    sections,
  };
}

// --- A PKCS#7 SignedData (Authenticode) in DER. ---

const SHA256 = '2.16.840.1.101.3.4.2.1';
const SHA256_RSA = '1.2.840.113549.1.1.11';
const RSA = '1.2.840.113549.1.1.1';
const SPC_INDIRECT_DATA = '1.3.6.1.4.1.311.2.1.4';

/** A certificate with the given names (its key and signature are placeholders). */
function certificate(subject: Array<[string, string]>, issuer: Array<[string, string]>, serial: bigint): Buffer {
  const tbs = seq(
    tlv(0xa0, integer(2n)),
    integer(serial),
    algorithm(SHA256_RSA),
    name(issuer),
    seq(utcTime(new Date('2024-01-01T00:00:00Z')), utcTime(new Date('2030-01-01T00:00:00Z'))),
    name(subject),
    seq(algorithm(RSA), tlv(0x03, Buffer.from([0, 1, 2, 3]))),
  );
  return seq(tbs, algorithm(SHA256_RSA), tlv(0x03, Buffer.alloc(65)));
}

/** The WIN_CERTIFICATE content (PKCS#7 SignedData) of an Authenticode signature over `digest`. */
export function authenticodeSignature(sig: SignatureSpec, digest: Uint8Array): Buffer {
  const ca: Array<[string, string]> = [['2.5.4.6', 'US'], ['2.5.4.10', 'Test CA Org'], ['2.5.4.3', 'Test Root CA']];
  const signer = certificate(sig.subject, sig.issuer, sig.serial);
  const caCert = certificate(sig.issuer, ca, 7n);
  const indirect = seq(seq(oid('1.3.6.1.4.1.311.2.1.15'), seq()), seq(algorithm(SHA256), octets(digest)));
  const opus = seq(tlv(0xa0, tlv(0x80, Buffer.from(sig.programName, 'utf16le').swap16())), tlv(0xa1, tlv(0x80, Buffer.from(sig.moreInfo, 'latin1'))));
  const authAttrs = tlv(
    0xa0,
    seq(oid('1.2.840.113549.1.9.3'), set(oid(SPC_INDIRECT_DATA))),
    seq(oid('1.3.6.1.4.1.311.2.1.12'), set(opus)),
    seq(oid('1.2.840.113549.1.9.4'), set(octets(Buffer.alloc(32, 0xab)))),
  );
  const counter = seq(
    integer(1n),
    seq(name(ca), integer(9n)),
    algorithm('1.3.14.3.2.26'),
    tlv(0xa0, seq(oid('1.2.840.113549.1.9.5'), set(utcTime(sig.signingTime)))),
    algorithm(RSA),
    octets(Buffer.alloc(64)),
  );
  const signerInfo = seq(
    integer(1n),
    seq(name(sig.issuer), integer(sig.serial)),
    algorithm(SHA256),
    authAttrs,
    algorithm(RSA),
    octets(Buffer.alloc(64, 0x5a)),
    tlv(0xa1, seq(oid('1.2.840.113549.1.9.6'), set(counter))),
  );
  const signedData = seq(integer(1n), set(algorithm(SHA256)), seq(oid(SPC_INDIRECT_DATA), tlv(0xa0, indirect)), tlv(0xa0, caCert, signer), set(signerInfo));
  return seq(oid('1.2.840.113549.1.7.2'), tlv(0xa0, signedData));
}

/** The Authenticode SHA256 of `bytes` (a PE with its security entry set and its table at `certAt`). */
export function authenticodeSha256(bytes: Buffer, is64: boolean, certAt: number, certSize: number): Buffer {
  const lfanew = bytes.readUInt32LE(0x3c);
  const checksum = lfanew + 24 + 64;
  const secEntry = lfanew + 24 + (is64 ? 112 : 96) + 32;
  return createHash('sha256')
    .update(bytes.subarray(0, checksum))
    .update(bytes.subarray(checksum + 4, secEntry))
    .update(bytes.subarray(secEntry + 8, certAt))
    .update(bytes.subarray(certAt + certSize))
    .digest();
}
