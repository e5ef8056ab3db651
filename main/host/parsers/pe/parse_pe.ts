/**
 * `parse_pe(file, accessor, base_offset)`: Velociraptor's PE parser (vql/parsers/pe.go, built
 * on Velocidex go-pe), in TypeScript (pe.ts). The result is a dict, in this order:
 *
 * - `FileHeader`: {Machine ("IMAGE_FILE_MACHINE_AMD64"; an unknown value as
 *   "IMAGE_FILE_MACHINE_0x1234"), TimeDateStamp (a time, RFC 3339 UTC), TimeDateStampRaw,
 *   Characteristics, ImageBase};
 * - `GUIDAge`, `PDB`: from the first CodeView RSDS debug entry ("" without one). GUIDAge is
 *   the symbol server key: GUID as %08X%04X%04X + Data4 in hex, then the age as %X;
 * - `Directories`: the data directories with a non-zero address, by go-pe's names
 *   (`Export_Directory`, `Import_Directory`, ... `CLR_Runtime_Directory`) -> {Timestamp (only
 *   for the export, resource and debug directories when their header has a non-zero one),
 *   Size, FileAddress (file offset; the security directory's address is one already),
 *   SectionName ("" in the headers)};
 * - `Sections`: {Perm ("xrw", "-" for a missing right), Name, FileOffset (PointerToRawData),
 *   VMA (ImageBase + RVA), RVA (VirtualAddress), Size (SizeOfRawData)};
 * - `Resources`: every leaf of the resource tree, {Type ("RT_VERSION", or the type's name for
 *   a named type), TypeId (0 for a named type), FileOffset, DataSize, CodePage};
 * - `VersionInformation`: the StringFileInfo strings of the first RT_VERSION resource
 *   (CompanyName, FileVersion, ...; several string tables merge, in file order);
 * - `Imports`: "dll!function" in import table order, an import by ordinal as "dll!#123";
 *   `Exports`: the exported names (pefile's order: name table order, then the exports with
 *   no name as "#ordinal"); forwarded exports are listed too, and their targets
 *   ("NTDLL.RtlAllocateHeap") in `Forwards`;
 * - `ImpHash`: pefile's get_imphash() (ordinals of ws2_32/wsock32/oleaut32 by name);
 * - `Authenticode`: the PKCS#7 signature decoded (authenticode.ts: Signer {IssuerName,
 *   SerialNumber, DigestAlgorithm, AuthenticatedAttributes, UnauthenticatedAttributes,
 *   Subject}, Certificates, HashType, ExpectedHash), null when unsigned; not verified;
 * - `AuthenticodeHash`: {MD5, SHA1, SHA256} of the image per the Authenticode rules.
 *
 * AuthenticodeHash reads the whole PE (to the end of the file; for a PE at a base_offset, to
 * the end of its own bytes); everything else reads only the headers and the tables. It is
 * computed in the call rather than lazily: the engine does not force thunks inside a dict,
 * and a dict (not a host object) keeps `WHERE parse_pe(...)` and the dict functions working.
 *
 * Offsets are relative to the PE's start (`base_offset`). Delay-load imports are not listed
 * (as pefile's DIRECTORY_ENTRY_IMPORT and get_imphash()). A file that is not a PE or is
 * damaged (not MZ, truncated headers, a section table past the end, a loop in the resource
 * tree, absurd counts) gives null and one error line `parse_pe: file=<path>: <what>`. A PE
 * whose tables (imports, resources...) or signature run past the end of the file gives the
 * rest, those members empty, and one warning `parse_pe: file=<path>: incomplete: <what>`.
 */
import { VDict, VTime, normUint, toValue, type FunctionCall, type FunctionDef } from '../../../vql/index.ts';
import type { FileReader } from '../../files/accessors.ts';
import { accessorOrLog } from '../../files/read.ts';
import { errorText, fileError, fileLabel } from '../common.ts';
import { authenticodeHashes, impHash, parsePe, type AuthenticodeHashes, type PeInfo } from './pe.ts';
import { RangeReader } from './reader.ts';

function time(unix: number): VTime {
  return VTime.fromSeconds(unix);
}

/** The result dict of a parsed PE (`hashes`: AuthenticodeHash, null when it could not be computed). */
export function peValue(info: PeInfo, hashes: AuthenticodeHashes | null): VDict {
  const fileHeader = new VDict([
    ['Machine', info.machineName],
    ['TimeDateStamp', time(info.timeDateStamp)],
    ['TimeDateStampRaw', info.timeDateStamp],
    ['Characteristics', info.characteristics],
    ['ImageBase', normUint(info.imageBase)],
  ]);
  const directories = new VDict();
  for (const d of info.directories) {
    const entry = new VDict();
    if (d.timestamp) entry.set('Timestamp', time(d.timestamp));
    entry.set('Size', d.size);
    entry.set('FileAddress', d.fileAddress);
    entry.set('SectionName', d.sectionName);
    directories.set(d.name, entry);
  }
  const sections = info.sections.map(
    (s) =>
      new VDict([
        ['Perm', s.perm],
        ['Name', s.name],
        ['FileOffset', s.pointerToRawData],
        ['VMA', normUint(info.imageBase + BigInt(s.virtualAddress))],
        ['RVA', s.virtualAddress],
        ['Size', s.sizeOfRawData],
      ]),
  );
  const resources = info.resources.map(
    (r) =>
      new VDict([
        ['Type', r.type],
        ['TypeId', r.typeId],
        ['FileOffset', r.fileOffset],
        ['DataSize', r.dataSize],
        ['CodePage', r.codePage],
      ]),
  );
  return new VDict([
    ['FileHeader', fileHeader],
    ['GUIDAge', info.guidAge],
    ['PDB', info.pdb],
    ['Directories', directories],
    ['Sections', sections],
    ['Resources', resources],
    ['VersionInformation', new VDict(info.versionInformation)],
    ['Imports', info.imports.map((i) => `${i.dll}!${i.name ?? `#${i.ordinal}`}`)],
    ['Exports', info.exports.map((e) => e.name ?? `#${e.ordinal}`)],
    ['Forwards', info.exports.filter((e) => e.forwarder !== null).map((e) => e.forwarder!)],
    ['ImpHash', impHash(info.imports)],
    ['Authenticode', info.authenticode ? toValue(info.authenticode) : null],
    ['AuthenticodeHash', hashes ? new VDict([['MD5', hashes.MD5], ['SHA1', hashes.SHA1], ['SHA256', hashes.SHA256]]) : null],
  ]);
}

export const parsePeFunction: FunctionDef = {
  name: 'parse_pe',
  doc: 'Parse a PE file (exe, dll, sys, efi; PE32 and PE32+): headers, sections, directories, resources, version information, imports, exports, ImpHash and the Authenticode hashes.',
  args: {
    file: { type: 'any', required: true, doc: 'The PE file (with accessor=data, its content)' },
    accessor: { type: 'string', doc: 'How to read it: auto (default), file, data, scope...', default: 'auto' },
    base_offset: { type: 'int', doc: 'Where the PE starts in the file', default: '0' },
  },
  async run(call) {
    const base = Number(call.args.base_offset ?? 0);
    return withPe(call, 'parse_pe', 'file', base, async ({ r, info, log, where }) => {
      // One warning for whatever could not be read (the rest of the result is good).
      const problems = [...info.incomplete, ...(info.authenticodeError ? [`Authenticode: ${info.authenticodeError}`] : [])];
      if (problems.length) log('warn', where(`incomplete: ${problems.join('; ')}`));
      let hashes: AuthenticodeHashes | null = null;
      try {
        hashes = await authenticodeHashes(r, info, base > 0, call.scope.signal);
      } catch (e) {
        if (call.scope.signal.aborted) return null;
        log('error', where(`AuthenticodeHash: ${errorText(e)}`));
      }
      if (call.scope.signal.aborted) return null;
      return peValue(info, hashes);
    });
  },
};

type Log = (level: 'error' | 'warn' | 'info', message: string) => void;

/** What withPe gives its user: the reader, the parsed headers, the log, and the file's name. */
export interface OpenPe {
  r: RangeReader;
  info: PeInfo;
  log: Log;
  /** A message about this file, for the log (`file=<path>: message`). */
  where: (message: string) => string;
  /** The file as messages and results name it. */
  file: string;
}

/**
 * Opens the PE named by the call's `fileArg` through its `accessor` (at `base` in the file) and
 * gives it to `use` (OpenPe). What cannot be opened or parsed is one error in the log
 * (`file=<path>: ...`, which the engine prefixes with the function's name) and null.
 */
export async function withPe<T>(
  call: FunctionCall,
  callee: string,
  fileArg: string,
  base: number,
  use: (pe: OpenPe) => Promise<T | null>,
): Promise<T | null> {
  const { args, scope } = call;
  const log: Log = call.log.bind(call);
  const accessor = accessorOrLog(scope, args.accessor, callee, log);
  if (!accessor) return null;
  const where = (message: string) => fileError(fileArg, accessor, args[fileArg], message);
  if (!Number.isSafeInteger(base) || base < 0) {
    log('error', where(`invalid base_offset ${String(args.base_offset)}`));
    return null;
  }
  let reader: FileReader;
  try {
    reader = await accessor.open(args[fileArg], scope);
  } catch (e) {
    log('error', where(errorText(e)));
    return null;
  }
  try {
    const r = new RangeReader(reader, base, scope.signal);
    let info: PeInfo;
    try {
      info = await parsePe(r);
    } catch (e) {
      if (scope.signal.aborted) return null;
      log('error', where(errorText(e)));
      return null;
    }
    return await use({ r, info, log, where, file: fileLabel(accessor, args[fileArg]) });
  } finally {
    await reader.close().catch(() => {});
  }
}
