import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm, readFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query, value } from './runner.ts';
import { buildPe, MANIFEST, type BuiltPe, type PeSpec } from './pe-builder.ts';
import { realPeFiles } from './real-pe.ts';

let dir = '';

const GUID = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
/** The symbol server key of GUID with age 3: Data1-3 little-endian as hex, Data4, age. */
const GUID_AGE = '33221100' + '5544' + '7766' + '8899AABBCCDDEEFF' + '3';
const VERSION = {
  CompanyName: 'Acme Corp',
  FileDescription: 'A test program',
  FileVersion: '1.2.3.4',
  InternalName: 'tester',
  LegalCopyright: 'Copyright (C) 2024 Acme',
  OriginalFilename: 'tester.exe',
  ProductName: 'Tester \u00e9t\u00e9',
  ProductVersion: '1.2',
};

function spec(is64: boolean): PeSpec {
  return {
    is64,
    machine: is64 ? 0x8664 : 0x14c,
    timeDateStamp: 1700000000,
    imageBase: is64 ? 0x140000000n : 0x400000n,
    characteristics: is64 ? 0x2022 : 0x2102,
    imports: [
      { dll: 'KERNEL32.dll', functions: ['CreateFileW', 'ReadFile', 'CloseHandle'] },
      { dll: 'WS2_32.dll', functions: [23, 'connect', 3] },
      { dll: 'OLEAUT32.dll', functions: [2, 'VariantInit'] },
      { dll: 'custom.ocx', functions: [7] },
      { dll: 'driver.SYS', functions: ['IoCreateDevice'] },
    ],
    exports: {
      dll: 'tester.dll',
      base: 1,
      timeDateStamp: 1700000001,
      functions: [{ name: 'Alpha' }, { name: 'Beta', forwarder: 'NTDLL.RtlAllocateHeap' }, {}, { name: 'Gamma' }],
    },
    version: VERSION,
    pdb: { guid: GUID, age: 3, path: 'C:\\build\\tester.pdb', timeDateStamp: 1700000002 },
    signature: SIGNATURE,
  };
}

const SIGNATURE = {
  subject: [['2.5.4.6', 'US'], ['2.5.4.8', 'Washington'], ['2.5.4.10', 'Acme, Inc.'], ['2.5.4.3', 'Acme Code Signing']] as Array<[string, string]>,
  issuer: [['2.5.4.6', 'US'], ['2.5.4.10', 'Test CA Org'], ['2.5.4.3', 'Test Code Signing CA']] as Array<[string, string]>,
  serial: 0x1234567890abcdefn,
  programName: 'Tester \u00e9',
  moreInfo: 'https://acme.example/',
  signingTime: new Date('2024-05-06T07:08:09Z'),
};

const built: Record<'32' | '64', BuiltPe> = {} as never;
const path = (name: string) => join(dir, name);

/** A copy of `bytes` with `patch` applied. */
function patched(bytes: Buffer, patch: (b: Buffer) => void): Buffer {
  const b = Buffer.from(bytes);
  patch(b);
  return b;
}

/** The Authenticode digest computed here from the layout: skip CheckSum, the security entry, the certificate table. */
function authenticodeDigest(bytes: Buffer, algo: string, is64: boolean): string {
  const lfanew = bytes.readUInt32LE(0x3c);
  const opt = lfanew + 24;
  const checksum = opt + 64;
  const secEntry = opt + (is64 ? 112 : 96) + 32;
  const certAt = bytes.readUInt32LE(secEntry);
  const certSize = bytes.readUInt32LE(secEntry + 4);
  const h = createHash(algo);
  h.update(bytes.subarray(0, checksum));
  h.update(bytes.subarray(checksum + 4, secEntry));
  h.update(bytes.subarray(secEntry + 8, certSize ? certAt : bytes.length));
  if (certSize) h.update(bytes.subarray(certAt + certSize));
  return h.digest('hex');
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vql-pe-'));
  for (const bits of ['32', '64'] as const) {
    built[bits] = buildPe(spec(bits === '64'));
    await writeFile(path(`test${bits}.exe`), built[bits].bytes);
  }
  const b = built['32'].bytes;
  // A PE inside a larger image, 12345 bytes in.
  await writeFile(path('embedded.bin'), Buffer.concat([Buffer.alloc(12345, 0x41), built['64'].bytes, Buffer.alloc(100, 0x42)]));
  // Bad inputs.
  await writeFile(path('notmz.exe'), patched(b, (x) => x.write('ZM', 0, 'latin1')));
  await writeFile(path('empty.exe'), Buffer.alloc(0));
  await writeFile(path('truncated-headers.exe'), b.subarray(0, 0x100));
  await writeFile(path('truncated-sections.exe'), b.subarray(0, built['32'].sectionTableOffset + 60));
  await writeFile(path('sections-past-eof.exe'), patched(b, (x) => x.writeUInt16LE(500, built['32'].numberOfSectionsOffset)));
  await writeFile(path('absurd-sections.exe'), patched(b, (x) => x.writeUInt16LE(0xffff, built['32'].numberOfSectionsOffset)));
  // The root resource directory's first entry points back at the root itself.
  await writeFile(path('resource-loop.exe'), patched(b, (x) => x.writeUInt32LE(0x80000000, built['32'].resourceRootOffset + 16 + 4)));
  await writeFile(path('bad-lfanew.exe'), patched(b, (x) => x.writeUInt32LE(0x7ffffff0, 0x3c)));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function parse(file: string, extra = ''): Promise<{ pe: Record<string, unknown> | null; logs: string[] }> {
  const { rows, logs } = await query(`SELECT parse_pe(file=F${extra}) AS PE FROM scope()`, { F: file });
  return { pe: rows[0]!.PE as Record<string, unknown> | null, logs };
}

for (const bits of ['32', '64'] as const) {
  test(`parse_pe: a PE${bits === '64' ? '32+' : '32'} gives what the builder wrote`, async () => {
    const is64 = bits === '64';
    const { pe, logs } = await parse(path(`test${bits}.exe`));
    assert.deepEqual(logs, []);
    assert.ok(pe);
    assert.deepEqual(Object.keys(pe), ['FileHeader', 'GUIDAge', 'PDB', 'Directories', 'Sections', 'Resources', 'VersionInformation', 'Imports', 'Exports', 'Forwards', 'ImpHash', 'Authenticode', 'AuthenticodeHash']);
    assert.deepEqual(pe.FileHeader, {
      Machine: is64 ? 'IMAGE_FILE_MACHINE_AMD64' : 'IMAGE_FILE_MACHINE_I386',
      TimeDateStamp: '2023-11-14T22:13:20Z',
      TimeDateStampRaw: 1700000000,
      Characteristics: is64 ? 0x2022 : 0x2102,
      ImageBase: is64 ? 0x140000000 : 0x400000,
    });
    assert.equal(pe.GUIDAge, GUID_AGE);
    assert.equal(pe.PDB, 'C:\\build\\tester.pdb');
    const base = is64 ? 0x140000000 : 0x400000;
    const perms: Record<string, string> = { '.text': 'xr-', '.rdata': '-r-', '.data': '-rw', '.rsrc': '-r-' };
    assert.deepEqual(
      pe.Sections,
      built[bits].sections.map((s) => ({ Perm: perms[s.name], Name: s.name, FileOffset: s.rawOffset, VMA: base + s.rva, RVA: s.rva, Size: s.rawSize })),
    );
    const dirs = pe.Directories as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(dirs), ['Export_Directory', 'Import_Directory', 'Resource_Directory', 'Security_Directory', 'Debug_Directory', 'IAT_Directory']);
    assert.equal(dirs.Export_Directory!.Timestamp, '2023-11-14T22:13:21Z');
    assert.equal(dirs.Debug_Directory!.Timestamp, '2023-11-14T22:13:22Z');
    assert.equal(dirs.Import_Directory!.SectionName, '.rdata');
    assert.equal(dirs.Import_Directory!.Size, 6 * 20);
    assert.equal(dirs.Resource_Directory!.SectionName, '.rsrc');
    assert.equal(dirs.Resource_Directory!.FileAddress, built[bits].resourceRootOffset);
    assert.equal(dirs.Security_Directory!.SectionName, '');
    assert.deepEqual(
      (pe.Resources as Array<Record<string, unknown>>).map((r) => [r.Type, r.TypeId, r.DataSize, r.CodePage]),
      [['CONFIG', 0, 11, 1252], ['RT_VERSION', 16, (pe.Resources as Array<Record<string, unknown>>)[1]!.DataSize, 0], ['RT_MANIFEST', 24, MANIFEST.length, 0]],
    );
    // The manifest resource's FileOffset points at its bytes.
    const manifest = (pe.Resources as Array<Record<string, number>>)[2]!;
    assert.equal(built[bits].bytes.subarray(manifest.FileOffset!, manifest.FileOffset! + manifest.DataSize!).toString(), MANIFEST);
    assert.deepEqual(pe.VersionInformation, VERSION);
    assert.deepEqual(pe.Imports, [
      'KERNEL32.dll!CreateFileW', 'KERNEL32.dll!ReadFile', 'KERNEL32.dll!CloseHandle',
      'WS2_32.dll!#23', 'WS2_32.dll!connect', 'WS2_32.dll!#3',
      'OLEAUT32.dll!#2', 'OLEAUT32.dll!VariantInit',
      'custom.ocx!#7',
      'driver.SYS!IoCreateDevice',
    ]);
    assert.deepEqual(pe.Exports, ['Alpha', 'Beta', 'Gamma', '#3']);
    assert.deepEqual(pe.Forwards, ['NTDLL.RtlAllocateHeap']);
    // get_imphash(): ws2_32 and oleaut32 ordinals by name, others as ordN; extensions dropped.
    const impstr = 'kernel32.createfilew,kernel32.readfile,kernel32.closehandle,ws2_32.socket,ws2_32.connect,ws2_32.closesocket,oleaut32.sysallocstring,oleaut32.variantinit,custom.ord7,driver.iocreatedevice';
    assert.equal(pe.ImpHash, createHash('md5').update(impstr).digest('hex'));
    const bytes = built[bits].bytes;
    const hashes = {
      MD5: authenticodeDigest(bytes, 'md5', is64),
      SHA1: authenticodeDigest(bytes, 'sha1', is64),
      SHA256: authenticodeDigest(bytes, 'sha256', is64),
    };
    assert.deepEqual(pe.AuthenticodeHash, hashes);
    const subject = 'CN=Acme Code Signing,O=Acme\\, Inc.,ST=Washington,C=US';
    const issuer = 'CN=Test Code Signing CA,O=Test CA Org,C=US';
    assert.deepEqual(pe.Authenticode, {
      Signer: {
        IssuerName: issuer,
        SerialNumber: String(SIGNATURE.serial),
        DigestAlgorithm: 'SHA256',
        AuthenticatedAttributes: { ContentType: 'SPC_INDIRECT_DATA_OBJID', MessageDigestHex: 'ab'.repeat(32), ProgramName: SIGNATURE.programName, MoreInfo: SIGNATURE.moreInfo },
        UnauthenticatedAttributes: { SigningTime: '2024-05-06T07:08:09Z' },
        Subject: subject,
      },
      Certificates: [
        { SerialNumber: '7', SignatureAlgorithm: 'SHA256-RSA', Subject: issuer, Issuer: 'CN=Test Root CA,O=Test CA Org,C=US', NotBefore: '2024-01-01T00:00:00Z', NotAfter: '2030-01-01T00:00:00Z' },
        { SerialNumber: String(SIGNATURE.serial), SignatureAlgorithm: 'SHA256-RSA', Subject: subject, Issuer: issuer, NotBefore: '2024-01-01T00:00:00Z', NotAfter: '2030-01-01T00:00:00Z' },
      ],
      HashType: 'SHA256',
      // The digest the builder signed is the one parse_pe computes.
      ExpectedHash: hashes.SHA256,
    });
  });
}

test('parse_pe: AuthenticodeHash ignores the CheckSum and the certificate table, not the code', async () => {
  const b = built['32'].bytes;
  const lfanew = b.readUInt32LE(0x3c);
  const secEntry = lfanew + 24 + 96 + 32;
  const certAt = b.readUInt32LE(secEntry);
  const variants = {
    checksum: patched(b, (x) => x.writeUInt32LE(0x12345678, lfanew + 24 + 64)),
    cert: patched(b, (x) => x.fill(0x55, certAt + 8, certAt + 20)),
    code: patched(b, (x) => (x[built['32'].sections[0]!.rawOffset + 5] = 0x90)),
  };
  const hashes: Record<string, unknown> = {};
  for (const [name, bytes] of Object.entries({ orig: b, ...variants })) {
    await writeFile(path(`hash-${name}.exe`), bytes);
    hashes[name] = await value(`parse_pe(file=F).AuthenticodeHash.SHA256`, { F: path(`hash-${name}.exe`) });
  }
  assert.equal(hashes.checksum, hashes.orig);
  assert.equal(hashes.cert, hashes.orig);
  assert.notEqual(hashes.code, hashes.orig);
  // Without a certificate table the whole file (less the two fields) is hashed.
  const unsigned = buildPe({ ...spec(true), certificate: undefined }).bytes;
  await writeFile(path('unsigned.exe'), unsigned);
  assert.equal(await value(`parse_pe(file=F).AuthenticodeHash.SHA1`, { F: path('unsigned.exe') }), authenticodeDigest(unsigned, 'sha1', true));
});

test('parse_pe: a certificate table that is not a PKCS#7 signature: a warning, Authenticode null, the rest parsed', async () => {
  const opaque = buildPe({ ...spec(false), signature: undefined, certificate: Buffer.from('opaque certificate bytes') }).bytes;
  await writeFile(path('opaque-sig.exe'), opaque);
  const { pe, logs } = await parse(path('opaque-sig.exe'));
  assert.equal(logs.length, 1);
  assert.ok(logs[0]!.startsWith(`warn: parse_pe: file=${path('opaque-sig.exe')}: incomplete: Authenticode: `), logs[0]);
  assert.equal(pe!.Authenticode, null);
  assert.deepEqual(pe!.VersionInformation, VERSION);
  assert.equal((pe!.AuthenticodeHash as Record<string, string>).SHA256, authenticodeDigest(opaque, 'sha256', false));
});

test('parse_pe: a file cut short in its resources: the headers and other tables, a warning naming what is missing', async () => {
  const b = built['32'].bytes;
  const cut = b.subarray(0, built['32'].resourceRootOffset + 40);
  await writeFile(path('cut-resources.exe'), cut);
  const { pe, logs } = await parse(path('cut-resources.exe'));
  assert.equal(logs.length, 1, logs.join('\n'));
  assert.ok(logs[0]!.startsWith(`warn: parse_pe: file=${path('cut-resources.exe')}: incomplete: Resources: `), logs[0]);
  assert.match(logs[0]!, /runs past the end of the file/);
  assert.deepEqual(pe!.Resources, []);
  assert.deepEqual(pe!.VersionInformation, {});
  assert.equal((pe!.Imports as string[]).length, 10);
  assert.deepEqual(pe!.Exports, ['Alpha', 'Beta', 'Gamma', '#3']);
  assert.equal(pe!.PDB, 'C:\\build\\tester.pdb');
  // The file is hashed as it is.
  assert.equal((pe!.AuthenticodeHash as Record<string, string>).SHA256, createHash('sha256').update(cut.subarray(0, b.readUInt32LE(0x3c) + 24 + 64)).update(cut.subarray(b.readUInt32LE(0x3c) + 24 + 68, b.readUInt32LE(0x3c) + 24 + 96 + 32)).update(cut.subarray(b.readUInt32LE(0x3c) + 24 + 96 + 40)).digest('hex'));
});

test('parse_pe: base_offset finds a PE inside a larger file; accessor=data reads bytes', async () => {
  const whole = await parse(path('test64.exe'));
  const embedded = await parse(path('embedded.bin'), ', base_offset=12345');
  assert.deepEqual(embedded.logs, []);
  // Offsets are relative to the PE's start; the Authenticode hash covers the PE's own bytes
  // (to the end of its certificate table), not the rest of the image.
  assert.deepEqual(embedded.pe, whole.pe);
  const data = await query(`SELECT parse_pe(file=B, accessor='data').VersionInformation.CompanyName AS C FROM scope()`, { B: new Uint8Array(built['32'].bytes) });
  assert.deepEqual(data.rows, [{ C: 'Acme Corp' }]);
  // Without base_offset the image is not a PE.
  const bad = await parse(path('embedded.bin'));
  assert.equal(bad.pe, null);
  assert.equal(bad.logs.length, 1);
});

test('parse_pe: members work in VQL (Sections rows, member access, serialize, conditions)', async () => {
  const { rows, logs } = await query(`SELECT Name, FileOffset, Size FROM foreach(row=parse_pe(file=F).Sections) WHERE Name = '.data' AND Size > 15`, { F: path('test32.exe') });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [{ Name: '.data', FileOffset: built['32'].sections[2]!.rawOffset, Size: 0x200 }]);
  assert.equal(await value(`parse_pe(file=F).FileHeader.Machine`, { F: path('test64.exe') }), 'IMAGE_FILE_MACHINE_AMD64');
  const text = (await value(`serialize(item=parse_pe(file=F))`, { F: path('test64.exe') })) as string;
  assert.match(text, /"CompanyName": "Acme Corp"/);
  assert.match(text, /"SHA256": "[0-9a-f]{64}"/);
  // The result is a dict: true in a condition, usable with the dict functions.
  assert.deepEqual((await query(`SELECT OSPath FROM glob(globs=G) WHERE parse_pe(file=OSPath)`, { G: path('test*.exe') })).rows.length, 2);
  assert.ok(((await value(`items(item=parse_pe(file=F))`, { F: path('test64.exe') })) as unknown[]).length >= 13);
});

test('parse_pe: bad input gives null and one error naming parse_pe, file= and the path', async () => {
  const cases: Array<[string, RegExp]> = [
    ['notmz.exe', /not a PE file: no MZ signature/],
    ['empty.exe', /not a PE file: only 0 bytes/],
    ['truncated-headers.exe', /optional header .*runs past the end of the file/],
    ['truncated-sections.exe', /section table .*past the end of the file/],
    ['sections-past-eof.exe', /section table \(500 entries .*past the end of the file/],
    ['absurd-sections.exe', /absurd number of sections: 65535/],
    ['resource-loop.exe', /loop in the resource directories/],
    ['bad-lfanew.exe', /NT headers .*past the end of the file/],
    ['does-not-exist.exe', /no such file/],
  ];
  for (const [name, re] of cases) {
    const { pe, logs } = await parse(path(name));
    assert.equal(pe, null, name);
    assert.equal(logs.length, 1, `${name}: ${logs.join('\n')}`);
    assert.ok(logs[0]!.startsWith(`error: parse_pe: file=${path(name)}: `), logs[0]);
    assert.match(logs[0]!, re);
  }
  // An unknown accessor and a negative base_offset are errors of the call.
  const acc = await parse(path('test32.exe'), ", accessor='nope'");
  assert.equal(acc.pe, null);
  assert.match(acc.logs.join('\n'), /parse_pe: unknown accessor/);
  const neg = await parse(path('test32.exe'), ', base_offset=-1');
  assert.equal(neg.pe, null);
  assert.match(neg.logs.join('\n'), /parse_pe: file=.*invalid base_offset -1/);
});

test('parse_pe: damaged files (seeded random corruption) never throw or hang: a dict, or null and one error', async () => {
  // xorshift32: the same corruptions on every run.
  let seed = 0x9e3779b9;
  const rand = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const originals = [built['32'].bytes, built['64'].bytes];
  let nulls = 0;
  const started = Date.now();
  for (let i = 0; i < 300; i++) {
    const b = Buffer.from(originals[i % 2]!);
    // Corrupt a few bytes, mostly in the headers and tables; sometimes cut the file short.
    for (let k = 1 + rand(8); k > 0; k--) {
      const at = rand(4) === 0 ? rand(b.length) : rand(Math.min(b.length, 0x1000));
      b[at] = rand(4) === 0 ? 0xff : rand(256);
    }
    const bytes = rand(5) === 0 ? b.subarray(0, rand(b.length)) : b;
    const { rows, logs } = await query(`SELECT parse_pe(file=B, accessor='data') AS PE FROM scope()`, { B: new Uint8Array(bytes) });
    const pe = rows[0]!.PE;
    if (pe === null) {
      nulls++;
      assert.equal(logs.filter((l) => l.startsWith('error: parse_pe: file=<data: ')).length, 1, logs.join('\n'));
    } else {
      assert.equal(typeof pe, 'object');
      assert.ok(logs.every((l) => l.startsWith('warn: parse_pe: file=<data: ')), logs.join('\n'));
    }
  }
  assert.ok(nulls > 0 && nulls < 300, `${nulls} of 300 damaged files gave null`);
  assert.ok(Date.now() - started < 30000);
});

// --- Cross-check with pefile (an independent implementation). ---

/** A Python with pefile importable, or the reason there is none. */
let pefileLookup: { python: string } | { reason: string } | undefined;

/** A Python with pefile importable (Debian's python3-pefile is in /usr/bin's), or the reason there is none. */
function pefilePython(): { python: string } | { reason: string } {
  if (pefileLookup) return pefileLookup;
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(python, ['-c', 'import pefile'], { stdio: 'ignore' });
    if (r.status === 0) return (pefileLookup = { python });
  }
  return (pefileLookup = { reason: 'python3-pefile not installed: apt-get install -y python3-pefile (cross-checks with pefile skipped)' });
}

/** What pefile reports, in parse_pe's terms. */
const PEFILE_DUMP = String.raw`
import sys, json, hashlib, datetime, pefile
out = []
for f in sys.argv[1:]:
    try:
        pe = pefile.PE(f)
    except Exception:
        out.append(None)
        continue
    d = {}
    d['Machine'] = pefile.MACHINE_TYPE.get(pe.FILE_HEADER.Machine, '')
    d['TimeDateStamp'] = datetime.datetime.fromtimestamp(pe.FILE_HEADER.TimeDateStamp, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    d['Characteristics'] = pe.FILE_HEADER.Characteristics
    d['ImageBase'] = pe.OPTIONAL_HEADER.ImageBase
    secs = []
    for s in pe.sections:
        c = s.Characteristics
        perm = ('x' if c & 0x20000000 else '-') + ('r' if c & 0x40000000 else '-') + ('w' if c & 0x80000000 else '-')
        secs.append({'Perm': perm, 'Name': s.Name.rstrip(b'\0').decode('latin1'), 'FileOffset': s.PointerToRawData,
                     'VMA': pe.OPTIONAL_HEADER.ImageBase + s.VirtualAddress, 'RVA': s.VirtualAddress, 'Size': s.SizeOfRawData})
    d['Sections'] = secs
    imps = []
    for e in getattr(pe, 'DIRECTORY_ENTRY_IMPORT', []):
        for i in e.imports:
            name = ('#%d' % i.ordinal) if i.import_by_ordinal else i.name.decode('latin1')
            imps.append(e.dll.decode('latin1') + '!' + name)
    d['Imports'] = imps
    exps, fwds = [], []
    if hasattr(pe, 'DIRECTORY_ENTRY_EXPORT'):
        for s in pe.DIRECTORY_ENTRY_EXPORT.symbols:
            exps.append(s.name.decode('latin1') if s.name else '#%d' % s.ordinal)
            if s.forwarder: fwds.append(s.forwarder.decode('latin1'))
    d['Exports'] = exps
    d['Forwards'] = fwds
    d['ImpHash'] = pe.get_imphash()
    vi = {}
    for fi in getattr(pe, 'FileInfo', [[]])[:1]:
        for x in fi:
            if x.Key == b'StringFileInfo':
                for st in x.StringTable:
                    for k, v in st.entries.items():
                        vi[k.decode('utf-8')] = v.decode('utf-8')
    d['VersionInformation'] = vi
    guid, pdb = '', ''
    for dbg in getattr(pe, 'DIRECTORY_ENTRY_DEBUG', []):
        e = dbg.entry
        if e is not None and getattr(e, 'CvSignature', None) == b'RSDS':
            guid = '%08X%04X%04X%02X%02X%s%X' % (e.Signature_Data1, e.Signature_Data2, e.Signature_Data3, e.Signature_Data4, e.Signature_Data5, e.Signature_Data6.hex().upper(), e.Age)
            pdb = e.PdbFileName.rstrip(b'\0').decode('utf-8')
            break
    d['GUIDAge'] = guid
    d['PDB'] = pdb
    data = pe.__data__
    cs = pe.OPTIONAL_HEADER.get_field_absolute_offset('CheckSum')
    sec = pe.OPTIONAL_HEADER.DATA_DIRECTORY[4]
    se = sec.get_file_offset()
    h = hashlib.sha256()
    h.update(data[:cs]); h.update(data[cs + 4:se])
    if sec.VirtualAddress and sec.Size:
        h.update(data[se + 8:sec.VirtualAddress]); h.update(data[sec.VirtualAddress + sec.Size:])
    else:
        h.update(data[se + 8:])
    d['SHA256'] = h.hexdigest()
    d['Cert'] = data[sec.VirtualAddress + 8:sec.VirtualAddress + sec.Size].hex() if sec.VirtualAddress and sec.Size else ''
    out.append(d)
print(json.dumps(out))
`;

/** pefile's report of each file (null for a file pefile refuses). */
/**
 * The certificates of a PKCS#7 blob as OpenSSL reads them ([subject as RFC 2253, serial in
 * decimal]), or null when the openssl command is not there.
 */
function opensslCertificates(der: Buffer): Array<[string, string]> | null {
  const r = spawnSync('openssl', ['pkcs7', '-inform', 'DER', '-print_certs'], { input: der, encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  const pems = r.stdout.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  return pems.map((pem) => {
    const x = new X509Certificate(pem);
    // Node lists the RDNs in file order, one per line (escaped as RFC 2253); Go prints them reversed, comma-separated.
    const subject = x.subject.split('\n').reverse().join(',');
    return [subject, BigInt('0x' + x.serialNumber).toString()];
  });
}

function pefileReport(python: string, files: string[]): Array<Record<string, unknown> | null> {
  const r = spawnSync(python, ['-c', PEFILE_DUMP, ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`pefile failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<Record<string, unknown> | null>;
}

/** parse_pe's members in pefile's terms (the same keys as PEFILE_DUMP). */
function ours(pe: Record<string, unknown>): Record<string, unknown> {
  const fh = pe.FileHeader as Record<string, unknown>;
  return {
    Machine: fh.Machine,
    TimeDateStamp: fh.TimeDateStamp,
    Characteristics: fh.Characteristics,
    ImageBase: fh.ImageBase,
    Sections: pe.Sections,
    Imports: pe.Imports,
    Exports: pe.Exports,
    Forwards: pe.Forwards,
    ImpHash: pe.ImpHash,
    VersionInformation: pe.VersionInformation,
    GUIDAge: pe.GUIDAge,
    PDB: pe.PDB,
    SHA256: (pe.AuthenticodeHash as Record<string, unknown> | null)?.SHA256,
  };
}

/**
 * Compares parse_pe's result for `f` with pefile's report; for a signed file also checks that
 * the digest its publisher signed is the AuthenticodeHash computed here, and that the
 * certificates are the ones OpenSSL finds in the table pefile points at. True when signed.
 */
async function checkAgainstPefile(f: string, report: Record<string, unknown>): Promise<boolean> {
  const { pe, logs } = await parse(f);
  assert.deepEqual(logs, [], f);
  const { Cert: cert, ...want } = report;
  assert.deepEqual(ours(pe!), want, f);
  if (!cert) return false;
  const auth = pe!.Authenticode as { HashType: string; ExpectedHash: string; Signer: { Subject: string }; Certificates: Array<{ Subject: string; SerialNumber: string }> };
  assert.ok(auth, f);
  assert.equal(auth.ExpectedHash, (pe!.AuthenticodeHash as Record<string, string>)[auth.HashType], f);
  assert.ok(auth.Signer.Subject, f);
  const certs = opensslCertificates(Buffer.from(cert as string, 'hex'));
  if (certs) assert.deepEqual(auth.Certificates.map((c) => [c.Subject, c.SerialNumber]).sort(), certs.sort(), f);
  return true;
}

test('parse_pe agrees with pefile on the built PE32 and PE32+ files', async (t) => {
  const py = pefilePython();
  if ('reason' in py) return t.skip(py.reason);
  const files = [path('test32.exe'), path('test64.exe')];
  const expected = pefileReport(py.python, files);
  for (const [i, f] of files.entries()) assert.ok(await checkAgainstPefile(f, expected[i]!), 'the built files are signed');
});

test('parse_pe agrees with pefile on real PE files found on this machine', async (t) => {
  const py = pefilePython();
  if ('reason' in py) return t.skip(py.reason);
  const candidates = realPeFiles(100);
  // Keep the files that start with MZ and that pefile itself parses.
  const mz: string[] = [];
  for (const f of candidates) if ((await readFile(f)).subarray(0, 2).toString('latin1') === 'MZ') mz.push(f);
  const reports = mz.length ? pefileReport(py.python, mz) : [];
  const files = mz.filter((_, i) => reports[i] !== null);
  const expected = reports.filter((r) => r !== null);
  if (files.length === 0) return t.skip('no real PE file (exe/dll/sys/efi) found on this machine: only the built files were checked');
  let signed = 0;
  for (const [i, f] of files.entries()) if (await checkAgainstPefile(f, expected[i]!)) signed++;
  t.diagnostic(`checked ${files.length} real PE files against pefile (${signed} signed: signed digest and certificates checked)`);
});
