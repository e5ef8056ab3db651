/**
 * A Portable Executable reader (PE32 and PE32+: exe, dll, sys, efi), in the spirit of
 * Velocidex go-pe, which Velociraptor's parse_pe() is built on. It reads the headers and then
 * only the ranges the tables need, through a RangeReader (reader.ts), so a PE inside a large
 * image costs a few blocks.
 *
 * `parsePe` gives plain data (parse_pe.ts turns it into VQL values). A structural problem (no
 * MZ, truncated headers, a section table past the end of the file, a loop in the resource tree,
 * absurd counts) throws a PeError with one message that says what and where. A table that only
 * runs past the end of the file (a truncated or carved PE) is not fatal: its members stay empty
 * and `incomplete` says which and why. Nothing loops unbounded: every table walk has a count
 * limit, every tree walk a depth limit and a visited set.
 *
 * Where go-pe's exact behaviour is not known here, pefile's is followed (see parse_pe.ts for
 * the list); ImpHash is pefile's get_imphash() exactly (ordinals.ts).
 */
import { createHash } from 'node:crypto';
import { PeError, PeTruncated, RangeReader, view } from './reader.ts';
import { ordLookup } from './ordinals.ts';
import { parseAuthenticode, type AuthenticodeInfo } from './authenticode.ts';
import { DerError } from '../der.ts';

/** IMAGE_FILE_MACHINE_* names, as pefile's `machine_types`. */
const MACHINES: ReadonlyMap<number, string> = new Map([
  [0x0, 'UNKNOWN'], [0x14c, 'I386'], [0x162, 'R3000'], [0x166, 'R4000'], [0x168, 'R10000'],
  [0x169, 'WCEMIPSV2'], [0x184, 'ALPHA'], [0x1a2, 'SH3'], [0x1a3, 'SH3DSP'], [0x1a4, 'SH3E'],
  [0x1a6, 'SH4'], [0x1a8, 'SH5'], [0x1c0, 'ARM'], [0x1c2, 'THUMB'], [0x1c4, 'ARMNT'], [0x1d3, 'AM33'],
  [0x1f0, 'POWERPC'], [0x1f1, 'POWERPCFP'], [0x200, 'IA64'], [0x266, 'MIPS16'], [0x284, 'ALPHA64'],
  [0x366, 'MIPSFPU'], [0x466, 'MIPSFPU16'], [0x520, 'TRICORE'], [0xcef, 'CEF'], [0xebc, 'EBC'],
  [0x5032, 'RISCV32'], [0x5064, 'RISCV64'], [0x5128, 'RISCV128'], [0x6232, 'LOONGARCH32'],
  [0x6264, 'LOONGARCH64'], [0x8664, 'AMD64'], [0x9041, 'M32R'], [0xaa64, 'ARM64'], [0xc0ee, 'CEE'],
].map(([k, v]) => [k as number, `IMAGE_FILE_MACHINE_${v as string}`]));

/** The data directory names, in index order (go-pe's `Directories` keys, as best known). */
export const DIRECTORY_NAMES = [
  'Export_Directory', 'Import_Directory', 'Resource_Directory', 'Exception_Directory',
  'Security_Directory', 'Base_Relocation_Directory', 'Debug_Directory', 'Architecture_Directory',
  'Global_Ptr_Directory', 'TLS_Directory', 'Load_Config_Directory', 'Bound_Import_Directory',
  'IAT_Directory', 'Delay_Imports_Directory', 'CLR_Runtime_Directory', 'Reserved_Directory',
] as const;

/** RT_* resource type names by id, as pefile's `resource_type`. */
const RESOURCE_TYPES: ReadonlyMap<number, string> = new Map([
  [1, 'RT_CURSOR'], [2, 'RT_BITMAP'], [3, 'RT_ICON'], [4, 'RT_MENU'], [5, 'RT_DIALOG'], [6, 'RT_STRING'],
  [7, 'RT_FONTDIR'], [8, 'RT_FONT'], [9, 'RT_ACCELERATOR'], [10, 'RT_RCDATA'], [11, 'RT_MESSAGETABLE'],
  [12, 'RT_GROUP_CURSOR'], [14, 'RT_GROUP_ICON'], [16, 'RT_VERSION'], [17, 'RT_DLGINCLUDE'],
  [19, 'RT_PLUGPLAY'], [20, 'RT_VXD'], [21, 'RT_ANICURSOR'], [22, 'RT_ANIICON'], [23, 'RT_HTML'], [24, 'RT_MANIFEST'],
]);

const IMAGE_SCN_MEM_EXECUTE = 0x20000000;
const IMAGE_SCN_MEM_READ = 0x40000000;
const IMAGE_SCN_MEM_WRITE = 0x80000000;

/** Limits that keep a hostile file from making the parser run long or allocate much. */
export const LIMITS = {
  /** pefile's MAX_SECTIONS; Windows itself loads at most 96. */
  sections: 2048,
  importDlls: 4096,
  /** Import thunks in the whole file (pefile's MAX_IMPORT_SYMBOLS is 0x2000 per DLL). */
  importSymbols: 0x10000,
  exports: 0x10000,
  /** Resource entries in the whole tree (pefile's MAX_RESOURCE_ENTRIES). */
  resourceEntries: 0x8000,
  debugEntries: 64,
  /** pefile's MAX_DLL_LENGTH / MAX_IMPORT_NAME_LENGTH / MAX_SYMBOL_NAME_LENGTH. */
  nameLength: 0x200,
  versionInfo: 1 << 20,
  certificateTable: 16 << 20,
} as const;

export interface PeSection {
  name: string;
  virtualSize: number;
  virtualAddress: number;
  sizeOfRawData: number;
  pointerToRawData: number;
  characteristics: number;
  /** "xrw" with "-" for a missing permission. */
  perm: string;
}

export interface PeDirectory {
  name: string;
  index: number;
  virtualAddress: number;
  size: number;
  /** The file offset of the directory (the security directory's address is one already). */
  fileAddress: number;
  /** The section it lies in, "" in the headers or outside every section. */
  sectionName: string;
  /** TimeDateStamp of the directory's header (export, resource, debug), when it has one. */
  timestamp?: number;
}

export interface PeImport {
  dll: string;
  /** The function's name, or null for an import by ordinal. */
  name: string | null;
  ordinal: number | null;
}

export interface PeExport {
  name: string | null;
  ordinal: number;
  rva: number;
  /** "DLL.Function" for a forwarded export. */
  forwarder: string | null;
}

export interface PeResource {
  type: string;
  typeId: number;
  /** The resource's name or id (second level) and language (third level). */
  name: string | number;
  language: number;
  rva: number;
  fileOffset: number;
  dataSize: number;
  codePage: number;
}

export interface PeInfo {
  machine: number;
  machineName: string;
  timeDateStamp: number;
  characteristics: number;
  /** 0x10b (PE32) or 0x20b (PE32+). */
  magic: number;
  imageBase: bigint;
  sizeOfHeaders: number;
  fileAlignment: number;
  sectionAlignment: number;
  /** File offsets of the CheckSum field and of the security directory entry (Authenticode). */
  checksumOffset: number;
  securityEntryOffset: number | null;
  sections: PeSection[];
  directories: PeDirectory[];
  guidAge: string;
  pdb: string;
  imports: PeImport[];
  exports: PeExport[];
  resources: PeResource[];
  versionInformation: Array<[string, string]>;
  /** The decoded signature (null when unsigned or undecodable: `authenticodeError` says why). */
  authenticode: AuthenticodeInfo | null;
  authenticodeError: string | null;
  /** The certificate table's bytes (WIN_CERTIFICATE), when it could be read (authenticode() verifies it). */
  certificateTable: Uint8Array | null;
  /** The tables that run past the end of the file ("Imports: the import thunks ... at ..."). */
  incomplete: string[];
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

function hex(n: number): string {
  return '0x' + n.toString(16);
}

/** An ASCII-ish name (dll, function): UTF-8 when it is, else Latin-1 (never throws). */
function nameText(b: Uint8Array): string {
  for (const c of b) if (c >= 0x80) return utf8.decode(b);
  return latin1.decode(b);
}

/** Reads a PE's structure; see the module comment. */
export class PeParser {
  private sections: PeSection[] = [];
  private is64 = false;
  private fileAlignment = 0;
  private sectionAlignment = 0;
  private sizeOfHeaders = 0;

  constructor(private readonly r: RangeReader) {}

  /** pefile's adjust_FileAlignment: raw pointers are rounded down to 512 when FileAlignment >= 512. */
  private rawPointer(s: PeSection): number {
    return this.fileAlignment >= 0x200 ? Math.floor(s.pointerToRawData / 0x200) * 0x200 : s.pointerToRawData;
  }

  /** pefile's adjust_SectionAlignment: below a page, sections are aligned as in the file. */
  private virtualAddress(s: PeSection): number {
    const align = this.sectionAlignment < 0x1000 ? this.fileAlignment : this.sectionAlignment;
    return align && s.virtualAddress % align ? align * Math.floor(s.virtualAddress / align) : s.virtualAddress;
  }

  /** The RVA range of each section (pefile's contains_rva), computed once the table is read. */
  private ranges: Array<[number, number]> = [];

  private computeRanges(): void {
    this.ranges = this.sections.map((s, i) => {
      const va = this.virtualAddress(s);
      const raw = this.rawPointer(s);
      // A SizeOfRawData running past the end of the file is not believed: VirtualSize then.
      let size = this.r.size !== null && this.r.size - raw < s.sizeOfRawData ? s.virtualSize : Math.max(s.sizeOfRawData, s.virtualSize);
      const next = this.sections[i + 1];
      if (next && next.virtualAddress > s.virtualAddress && va + size > next.virtualAddress) size = next.virtualAddress - va;
      return [va, va + size];
    });
  }

  /** The section an RVA lies in: the first that holds it (pefile's get_section_by_rva). */
  sectionOf(rva: number): PeSection | null {
    for (let i = 0; i < this.ranges.length; i++) {
      const [start, end] = this.ranges[i]!;
      if (start <= rva && rva < end) return this.sections[i]!;
    }
    return null;
  }

  /** The file offset of an RVA: through its section, else the RVA itself (headers, overlay). */
  offsetOf(rva: number): number {
    const s = this.sectionOf(rva);
    return s ? rva - this.virtualAddress(s) + this.rawPointer(s) : rva;
  }

  private async atRva(rva: number, length: number, what: string): Promise<Uint8Array> {
    return this.r.read(this.offsetOf(rva), length, what);
  }

  private async stringAtRva(rva: number, what: string): Promise<string> {
    return nameText(await this.r.cString(this.offsetOf(rva), LIMITS.nameLength, what));
  }

  async parse(): Promise<PeInfo> {
    const r = this.r;
    if (r.size !== null && r.size < 64) throw new PeError(`not a PE file: only ${r.size} bytes (a DOS header is 64)`);
    const dos = view(await r.readUpTo(0, 64));
    if (dos.byteLength < 2 || dos.getUint16(0, true) !== 0x5a4d) throw new PeError('not a PE file: no MZ signature');
    if (dos.byteLength < 64) throw new PeError(`truncated DOS header: ${dos.byteLength} bytes of 64`);
    const lfanew = dos.getUint32(0x3c, true);
    if (r.size !== null && lfanew + 24 > r.size) throw new PeError(`truncated: the NT headers (e_lfanew ${hex(lfanew)}) are past the end of the file (size ${r.size})`);
    const nt = view(await r.read(lfanew, 24, 'the NT headers'));
    if (nt.getUint32(0, true) !== 0x4550) throw new PeError(`not a PE file: no PE signature at e_lfanew ${hex(lfanew)}`);
    const machine = nt.getUint16(4, true);
    const numberOfSections = nt.getUint16(6, true);
    const timeDateStamp = nt.getUint32(8, true);
    const sizeOfOptionalHeader = nt.getUint16(20, true);
    const characteristics = nt.getUint16(22, true);
    const optOffset = lfanew + 24;
    if (sizeOfOptionalHeader < 2) throw new PeError(`no optional header (SizeOfOptionalHeader ${sizeOfOptionalHeader})`);
    const opt = view(await r.read(optOffset, sizeOfOptionalHeader, 'the optional header'));
    const magic = opt.getUint16(0, true);
    if (magic !== 0x10b && magic !== 0x20b) throw new PeError(`unknown optional header magic ${hex(magic)} (0x10b for PE32, 0x20b for PE32+)`);
    this.is64 = magic === 0x20b;
    const ddOffset = this.is64 ? 112 : 96;
    if (sizeOfOptionalHeader < ddOffset) throw new PeError(`optional header too short: ${sizeOfOptionalHeader} bytes (${ddOffset} at least for ${this.is64 ? 'PE32+' : 'PE32'})`);
    const imageBase = this.is64 ? opt.getBigUint64(24, true) : BigInt(opt.getUint32(28, true));
    this.sectionAlignment = opt.getUint32(32, true);
    this.fileAlignment = opt.getUint32(36, true);
    this.sizeOfHeaders = opt.getUint32(60, true);
    const numberOfRvaAndSizes = opt.getUint32(ddOffset - 4, true);
    const ndirs = Math.min(numberOfRvaAndSizes, 16, Math.floor((sizeOfOptionalHeader - ddOffset) / 8));

    // The section table.
    if (numberOfSections > LIMITS.sections) throw new PeError(`absurd number of sections: ${numberOfSections} (at most ${LIMITS.sections})`);
    const tableOffset = optOffset + sizeOfOptionalHeader;
    if (r.size !== null && tableOffset + numberOfSections * 40 > r.size) {
      throw new PeError(`truncated: the section table (${numberOfSections} entries at offset ${hex(tableOffset)}) ends past the end of the file (size ${r.size})`);
    }
    const table = view(await r.read(tableOffset, numberOfSections * 40, 'the section table'));
    for (let i = 0; i < numberOfSections; i++) {
      const o = i * 40;
      const raw = new Uint8Array(table.buffer, table.byteOffset + o, 8);
      const nul = raw.indexOf(0);
      const c = table.getUint32(o + 36, true);
      this.sections.push({
        name: nameText(nul < 0 ? raw : raw.subarray(0, nul)),
        virtualSize: table.getUint32(o + 8, true),
        virtualAddress: table.getUint32(o + 12, true),
        sizeOfRawData: table.getUint32(o + 16, true),
        pointerToRawData: table.getUint32(o + 20, true),
        characteristics: c,
        perm: (c & IMAGE_SCN_MEM_EXECUTE ? 'x' : '-') + (c & IMAGE_SCN_MEM_READ ? 'r' : '-') + (c & IMAGE_SCN_MEM_WRITE ? 'w' : '-'),
      });
    }

    this.computeRanges();

    const dirs: PeDirectory[] = [];
    for (let i = 0; i < ndirs; i++) {
      const virtualAddress = opt.getUint32(ddOffset + i * 8, true);
      const size = opt.getUint32(ddOffset + i * 8 + 4, true);
      if (virtualAddress === 0) continue;
      // The security directory holds a file offset, not an RVA (it is not mapped).
      const isSecurity = i === 4;
      const section = isSecurity ? null : this.sectionOf(virtualAddress);
      dirs.push({
        name: DIRECTORY_NAMES[i]!,
        index: i,
        virtualAddress,
        size,
        fileAddress: isSecurity ? virtualAddress : this.offsetOf(virtualAddress),
        sectionName: section?.name ?? '',
      });
    }
    const dir = (i: number) => dirs.find((d) => d.index === i);

    const info: PeInfo = {
      machine,
      machineName: MACHINES.get(machine) ?? `IMAGE_FILE_MACHINE_${hex(machine)}`,
      timeDateStamp,
      characteristics,
      magic,
      imageBase,
      sizeOfHeaders: this.sizeOfHeaders,
      fileAlignment: this.fileAlignment,
      sectionAlignment: this.sectionAlignment,
      checksumOffset: optOffset + 64,
      securityEntryOffset: ndirs > 4 ? optOffset + ddOffset + 4 * 8 : null,
      sections: this.sections,
      directories: dirs,
      guidAge: '',
      pdb: '',
      imports: [],
      exports: [],
      resources: [],
      versionInformation: [],
      authenticode: null,
      authenticodeError: null,
      certificateTable: null,
      incomplete: [],
    };

    // A table that runs past the end of the file (a truncated or carved PE) leaves its members
    // empty and is reported in `incomplete`; anything else wrong with it is an error.
    const optional = async (members: string, read: () => Promise<void>) => {
      try {
        await read();
      } catch (e) {
        if (!(e instanceof PeTruncated)) throw e;
        info.incomplete.push(`${members}: ${e.message}`);
      }
    };
    const debug = dir(6);
    if (debug) await optional('GUIDAge/PDB', () => this.parseDebug(debug, info));
    const imp = dir(1);
    if (imp) await optional('Imports', async () => void (info.imports = await this.parseImports(imp)));
    const exp = dir(0);
    if (exp) await optional('Exports', async () => void (info.exports = await this.parseExports(exp)));
    const res = dir(2);
    if (res) await optional('Resources', async () => void (info.resources = await this.parseResources(res)));
    const version = info.resources.find((x) => x.typeId === 16);
    if (version) await optional('VersionInformation', async () => void (info.versionInformation = await this.parseVersionInfo(version)));
    const security = dir(4);
    if (security && security.size > 0) await this.parseSignature(security, info);
    return info;
  }

  /**
   * The certificate table: a damaged or unusual signature does not make the PE unreadable, so
   * its problems are kept in `authenticodeError` (parse_pe logs them as a warning).
   */
  private async parseSignature(d: PeDirectory, info: PeInfo): Promise<void> {
    try {
      if (d.size > LIMITS.certificateTable) throw new PeError(`certificate table of ${d.size} bytes is too large`);
      info.certificateTable = await this.r.read(d.virtualAddress, d.size, 'the certificate table');
      info.authenticode = parseAuthenticode(info.certificateTable);
    } catch (e) {
      if (!(e instanceof PeError || e instanceof DerError)) throw e;
      info.authenticodeError = e.message;
    }
  }

  /** The debug directory: the first CodeView RSDS entry gives GUIDAge and PDB. */
  private async parseDebug(d: PeDirectory, info: PeInfo): Promise<void> {
    const count = Math.min(Math.floor(d.size / 28), LIMITS.debugEntries);
    if (count === 0) return;
    const b = view(await this.r.read(d.fileAddress, count * 28, 'the debug directory'));
    d.timestamp = b.getUint32(4, true);
    for (let i = 0; i < count; i++) {
      const o = i * 28;
      const type = b.getUint32(o + 12, true);
      const sizeOfData = b.getUint32(o + 16, true);
      const rva = b.getUint32(o + 20, true);
      const ptr = b.getUint32(o + 24, true);
      if (type !== 2 || sizeOfData < 24) continue;
      const offset = ptr !== 0 ? ptr : this.offsetOf(rva);
      const cv = await this.r.read(offset, Math.min(sizeOfData, 24 + LIMITS.nameLength * 2), 'the CodeView debug entry');
      const v = view(cv);
      if (v.getUint32(0, true) !== 0x53445352) continue; // "RSDS"
      const d4 = Buffer.from(cv.subarray(12, 20)).toString('hex').toUpperCase();
      const h = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
      // The symbol server key: GUID fields as %08X%04X%04X, Data4 bytes, then the age as %X.
      info.guidAge = h(v.getUint32(4, true), 8) + h(v.getUint16(8, true), 4) + h(v.getUint16(10, true), 4) + d4 + v.getUint32(20, true).toString(16).toUpperCase();
      const name = cv.subarray(24);
      const nul = name.indexOf(0);
      info.pdb = utf8.decode(nul < 0 ? name : name.subarray(0, nul));
      return;
    }
  }

  /** The import descriptors (pefile's order: descriptor by descriptor, thunk by thunk). */
  private async parseImports(d: PeDirectory): Promise<PeImport[]> {
    const out: PeImport[] = [];
    const thunkSize = this.is64 ? 8 : 4;
    let symbols = 0;
    for (let i = 0; ; i++) {
      if (i >= LIMITS.importDlls) throw new PeError(`absurd import directory: more than ${LIMITS.importDlls} DLLs`);
      const desc = view(await this.atRva(d.virtualAddress + i * 20, 20, 'an import descriptor'));
      const originalFirstThunk = desc.getUint32(0, true);
      const nameRva = desc.getUint32(12, true);
      const firstThunk = desc.getUint32(16, true);
      if (originalFirstThunk === 0 && nameRva === 0 && firstThunk === 0 && desc.getUint32(4, true) === 0 && desc.getUint32(8, true) === 0) break;
      if (nameRva === 0) continue;
      const dll = await this.stringAtRva(nameRva, 'an imported DLL name');
      let thunk = originalFirstThunk !== 0 ? originalFirstThunk : firstThunk;
      if (thunk === 0) continue;
      for (;;) {
        if (++symbols > LIMITS.importSymbols) throw new PeError(`absurd import table: more than ${LIMITS.importSymbols} imported functions`);
        const t = view(await this.atRva(thunk, thunkSize, `the import thunks of ${dll}`));
        const value = this.is64 ? t.getBigUint64(0, true) : BigInt(t.getUint32(0, true));
        if (value === 0n) break;
        const ordinalFlag = this.is64 ? 1n << 63n : 1n << 31n;
        if (value & ordinalFlag) {
          out.push({ dll, name: null, ordinal: Number(value & 0xffffn) });
        } else {
          const hintName = Number(value & 0x7fffffffn);
          out.push({ dll, name: await this.stringAtRva(hintName + 2, `an imported function name of ${dll}`), ordinal: null });
        }
        thunk += thunkSize;
      }
    }
    return out;
  }

  /** The export directory: named exports in name table order, then the unnamed ones (as pefile). */
  private async parseExports(d: PeDirectory): Promise<PeExport[]> {
    const h = view(await this.atRva(d.virtualAddress, 40, 'the export directory'));
    d.timestamp = h.getUint32(4, true);
    const base = h.getUint32(16, true);
    const numberOfFunctions = h.getUint32(20, true);
    const numberOfNames = h.getUint32(24, true);
    if (numberOfFunctions > LIMITS.exports || numberOfNames > LIMITS.exports) {
      throw new PeError(`absurd export directory: ${numberOfFunctions} functions, ${numberOfNames} names (at most ${LIMITS.exports})`);
    }
    const functions = view(await this.atRva(h.getUint32(28, true), numberOfFunctions * 4, 'the export address table'));
    const names = view(await this.atRva(h.getUint32(32, true), numberOfNames * 4, 'the export name table'));
    const ordinals = view(await this.atRva(h.getUint32(36, true), numberOfNames * 2, 'the export ordinal table'));
    const out: PeExport[] = [];
    const named = new Set<number>();
    const entry = async (index: number, name: string | null): Promise<PeExport | null> => {
      const rva = functions.getUint32(index * 4, true);
      if (rva === 0) return null;
      const forwarded = rva >= d.virtualAddress && rva < d.virtualAddress + d.size;
      return { name, ordinal: base + index, rva, forwarder: forwarded ? await this.stringAtRva(rva, 'an export forwarder') : null };
    };
    for (let i = 0; i < numberOfNames; i++) {
      const index = ordinals.getUint16(i * 2, true);
      if (index >= numberOfFunctions) continue;
      const name = await this.stringAtRva(names.getUint32(i * 4, true), 'an exported name');
      const e = await entry(index, name);
      if (!e) continue;
      named.add(index);
      out.push(e);
    }
    for (let index = 0; index < numberOfFunctions; index++) {
      if (named.has(index)) continue;
      const e = await entry(index, null);
      if (e) out.push(e);
    }
    return out;
  }

  /**
   * The resource tree (type / name / language), depth first in directory order. A directory
   * reached twice (a loop) is an error, as is a tree deeper than the three levels of the format
   * or with more than LIMITS.resourceEntries entries.
   */
  private async parseResources(d: PeDirectory): Promise<PeResource[]> {
    const root = d.fileAddress;
    const out: PeResource[] = [];
    const visited = new Set<number>();
    let entries = 0;
    const readName = async (offset: number): Promise<string> => {
      const len = view(await this.r.read(root + offset, 2, 'a resource name')).getUint16(0, true);
      return Buffer.from(await this.r.read(root + offset + 2, len * 2, 'a resource name')).toString('utf16le');
    };
    const walk = async (offset: number, level: number, path: Array<string | number>): Promise<void> => {
      if (visited.has(offset)) throw new PeError(`loop in the resource directories: the directory at offset ${hex(root + offset)} is reached twice`);
      visited.add(offset);
      const h = view(await this.r.read(root + offset, 16, 'a resource directory'));
      if (level === 0) d.timestamp = h.getUint32(4, true);
      const n = h.getUint16(12, true) + h.getUint16(14, true);
      if ((entries += n) > LIMITS.resourceEntries) throw new PeError(`absurd resource directory: more than ${LIMITS.resourceEntries} entries`);
      const list = view(await this.r.read(root + offset + 16, n * 8, 'the resource directory entries'));
      for (let i = 0; i < n; i++) {
        const nameField = list.getUint32(i * 8, true);
        const target = list.getUint32(i * 8 + 4, true);
        const key: string | number = nameField & 0x80000000 ? await readName(nameField & 0x7fffffff) : nameField & 0xffff;
        if (target & 0x80000000) {
          if (level >= 2) throw new PeError(`resource tree deeper than 3 levels at offset ${hex(root + offset)}`);
          await walk(target & 0x7fffffff, level + 1, [...path, key]);
          continue;
        }
        const data = view(await this.r.read(root + target, 16, 'a resource data entry'));
        const rva = data.getUint32(0, true);
        const typeKey = path[0] ?? key;
        out.push({
          type: typeof typeKey === 'string' ? typeKey : (RESOURCE_TYPES.get(typeKey) ?? String(typeKey)),
          typeId: typeof typeKey === 'number' ? typeKey : 0,
          name: path[1] ?? key,
          language: level >= 2 ? (key as number) : 0,
          rva,
          fileOffset: this.offsetOf(rva),
          dataSize: data.getUint32(4, true),
          codePage: data.getUint32(8, true),
        });
      }
    };
    await walk(0, 0, []);
    return out;
  }

  /**
   * The StringFileInfo strings of a VS_VERSIONINFO resource, in file order (every string
   * table; a key repeated in a later table keeps its first position and takes the later value).
   */
  private async parseVersionInfo(res: PeResource): Promise<Array<[string, string]>> {
    const size = Math.min(res.dataSize, LIMITS.versionInfo);
    const b = await this.r.read(res.fileOffset, size, 'the version information resource');
    const v = view(b);
    const out = new Map<string, string>();
    const align = (n: number) => (n + 3) & ~3;
    /** A block: wLength, wValueLength, wType, szKey; returns where its value and children start. */
    const block = (at: number, end: number) => {
      if (at + 6 > end) return null;
      const length = v.getUint16(at, true);
      if (length < 6 || at + length > end) return null;
      let k = at + 6;
      while (k + 1 < at + length && v.getUint16(k, true) !== 0) k += 2;
      const key = Buffer.from(b.subarray(at + 6, k)).toString('utf16le');
      return { end: at + length, valueLength: v.getUint16(at + 2, true), type: v.getUint16(at + 4, true), key, value: align(k + 2) };
    };
    const top = block(0, b.length);
    if (!top || top.key !== 'VS_VERSION_INFO') return [];
    // The children follow the fixed file info (wValueLength bytes).
    for (let at = align(top.value + top.valueLength); at < top.end; ) {
      const child = block(at, top.end);
      if (!child) break;
      if (child.key === 'StringFileInfo') {
        for (let t = child.value; t < child.end; ) {
          const tableBlock = block(t, child.end);
          if (!tableBlock) break;
          for (let s = tableBlock.value; s < tableBlock.end; ) {
            const str = block(s, tableBlock.end);
            if (!str) break;
            // wValueLength counts UTF-16 characters (with the NUL) for text values.
            const valueEnd = Math.min(str.end, str.value + str.valueLength * 2);
            let text = Buffer.from(b.subarray(str.value, Math.max(str.value, valueEnd))).toString('utf16le');
            const nul = text.indexOf('\0');
            if (nul >= 0) text = text.slice(0, nul);
            out.set(str.key, text);
            s = align(str.end);
          }
          t = align(tableBlock.end);
        }
      }
      at = align(child.end);
    }
    return [...out];
  }
}

/** Parses the PE at the start of `r` (see the module comment). */
export async function parsePe(r: RangeReader): Promise<PeInfo> {
  return new PeParser(r).parse();
}

/**
 * pefile's get_imphash(): md5 of "lib.func" pairs joined by ",", lib lowercased without a
 * .dll/.ocx/.sys extension, an ordinal named through ordLookup (else "ord<N>"); "" without
 * imports.
 */
export function impHash(imports: readonly PeImport[]): string {
  if (imports.length === 0) return '';
  const parts = imports.map((imp) => {
    let lib = imp.dll.toLowerCase();
    const dot = lib.lastIndexOf('.');
    if (dot >= 0 && ['ocx', 'sys', 'dll'].includes(lib.slice(dot + 1))) lib = lib.slice(0, dot);
    const fn = imp.name ?? ordLookup(imp.dll, imp.ordinal!);
    return `${lib}.${fn.toLowerCase()}`;
  });
  return createHash('md5').update(parts.join(','), 'utf8').digest('hex');
}

export interface AuthenticodeHashes {
  MD5: string;
  SHA1: string;
  SHA256: string;
}

/**
 * The end of the PE's own bytes: the headers, the sections' raw data and the certificate
 * table, whichever ends last (what is hashed of a PE embedded in a larger file).
 */
export function peExtent(info: PeInfo): number {
  let end = info.sizeOfHeaders;
  for (const s of info.sections) if (s.sizeOfRawData > 0) end = Math.max(end, s.pointerToRawData + s.sizeOfRawData);
  const sec = info.directories.find((d) => d.index === 4);
  if (sec && sec.size > 0) end = Math.max(end, sec.virtualAddress + sec.size);
  return end;
}

/**
 * The Authenticode digests of the image: the file hashed from the PE's start to its end, less
 * the CheckSum field, the security directory entry and the certificate table it points to.
 * The end is the end of the file, or with `embedded` (a PE at a base offset inside a larger
 * file, e.g. a disk image) the end of the PE's own bytes (peExtent), so that hashing never
 * runs over the rest of the image.
 */
export async function authenticodeHashes(r: RangeReader, info: PeInfo, embedded: boolean, signal?: AbortSignal): Promise<AuthenticodeHashes> {
  const [md5, sha1, sha256] = await authenticodeDigests(r, info, embedded, ['md5', 'sha1', 'sha256'], signal);
  return { MD5: md5!, SHA1: sha1!, SHA256: sha256! };
}

/** The Authenticode digests (hex) of the image for each of `algorithms` (Node hash names), in one read. */
export async function authenticodeDigests(r: RangeReader, info: PeInfo, embedded: boolean, algorithms: readonly string[], signal?: AbortSignal): Promise<string[]> {
  const hashes = algorithms.map((a) => createHash(a));
  const skip: Array<[number, number]> = [[info.checksumOffset, 4]];
  if (info.securityEntryOffset !== null) {
    skip.push([info.securityEntryOffset, 8]);
    const sec = info.directories.find((d) => d.index === 4);
    if (sec && sec.size > 0) skip.push([sec.virtualAddress, sec.size]);
  }
  skip.sort((a, b) => a[0] - b[0]);
  const update = async (from: number, to: number) => {
    for (let pos = from; pos < to; ) {
      if (signal?.aborted) throw new PeError('the query was cancelled');
      const b = await r.readUpTo(pos, Math.min(to - pos, 1 << 20));
      if (b.length === 0) return;
      for (const h of hashes) h.update(b);
      pos += b.length;
    }
  };
  let pos = 0;
  for (const [start, len] of skip) {
    if (start > pos) await update(pos, start);
    pos = Math.max(pos, start + len);
  }
  await update(pos, embedded ? peExtent(info) : Number.MAX_SAFE_INTEGER);
  return hashes.map((h) => h.digest('hex'));
}
