// Collection zips in Velociraptor's layouts (VELOCIRAPTOR-FORMATS.md 1 and 2.10), built with
// fflate (a zip writer independent of ours): an offline collection (escaped result names,
// `.json.index` entries of offset | 1 << 40, log.json, uploads under `uploads/<accessor>/` with
// escaped components, a sparse upload with its `.idx`, uploads.json, collection_context.json,
// requests.json, client_info.json from info()), a flow export (the server's client record, no
// indexes), a hunt export (hunt_info.json, combined `results/All …`, one folder per client) and
// a password-protected one (data.zip as an encrypted member, method 99). Also a few damaged zips.
import { zipSync, strToU8, type Zippable } from 'fflate';
import { escapeComponent } from '../../main/host/collect/zip-escape.ts';

/** JSON lines and their container index (offset | 1 << 40 per row). */
export function jsonl(rows: readonly object[]): { data: Uint8Array; index: Uint8Array } {
  const lines = rows.map((r) => JSON.stringify(r) + '\n');
  const index = Buffer.alloc(8 * lines.length);
  let at = 0;
  lines.forEach((l, i) => {
    index.writeBigUInt64LE(BigInt(at) | (1n << 40n), 8 * i);
    at += Buffer.byteLength(l);
  });
  return { data: strToU8(lines.join('')), index: new Uint8Array(index) };
}

const member = (components: readonly string[]) => components.map(escapeComponent).filter((c) => c !== '').join('/');

export const PSLIST = [
  { Pid: 4, Name: 'System', CommandLine: '', Username: 'NT AUTHORITY\\SYSTEM', Memory: { WorkingSetSize: 151552 } },
  { Pid: 424, Name: 'smss.exe', CommandLine: '\\SystemRoot\\System32\\smss.exe', Username: 'NT AUTHORITY\\SYSTEM', Memory: { WorkingSetSize: 1241088 } },
  { Pid: 5120, Name: 'powershell.exe', CommandLine: 'powershell -enc SQBFAFgA', Username: 'CORP\\alice', Memory: { WorkingSetSize: 70254592 } },
];
export const BASIC_INFO = [{ Name: 'velociraptor', BuildTime: '2024-05-01T00:00:00Z', Hostname: 'WIN-DC01', OS: 'windows', Architecture: 'amd64' }];
export const LOG = [
  { _ts: 1665937230, client_time: 1665937230, level: 'DEFAULT', message: 'Starting collection of Windows.System.Pslist\n' },
  { _ts: 1665937231, client_time: 1665937231, level: 'INFO', message: 'Collection of Windows.System.Pslist done\n' },
  { _ts: 1665937231, client_time: 1665937231, level: 'ERROR', message: 'Custom.Unknown.Thing: access denied\n' },
];
export const HOSTS = '127.0.0.1 localhost\n::1 localhost\n';
export const SYSLOG_CSV = 'Time,Host,Message\n2024-05-01T10:00:00Z,web1,started\n2024-05-01T10:00:01Z,web1,listening\n';

/** Velociraptor's offline collection of Pslist, BasicInformation and an artifact we do not know, with uploads. */
export function offlineCollection(opts: { pslist?: readonly object[]; level?: 0 | 5 | 9 } = {}): Uint8Array {
  const pslist = jsonl(opts.pslist ?? PSLIST);
  const basic = jsonl(BASIC_INFO);
  const unknown = jsonl([{ Key: 'HKLM\\Software\\x', Value: 1 }]);
  const log = jsonl(LOG);
  const uploads = [
    { components: ['uploads', 'auto', 'C:', 'Windows', 'System32', 'drivers', 'etc', 'hosts'], data: strToU8(HOSTS) },
    { components: ['uploads', 'ntfs', '\\\\.\\C:', '$MFT'], data: new Uint8Array([0x46, 0x49, 0x4c, 0x45, 0, 0, 0, 0, 1, 2, 3]) },
    { components: ['uploads', 'file', 'var', 'log', 'syslog.csv'], data: strToU8(SYSLOG_CSV) },
    { components: ['uploads', 'sparse', 'C:', 'file.sparse.txt'], data: strToU8('This is ') },
  ];
  const uploadRows = uploads.map((u) => ({
    Timestamp: '2022-10-16T16:20:30Z', started: '2022-10-16 16:20:30.199783036 +0000 UTC', vfs_path: u.components.slice(2).join('\\'),
    _Components: u.components, file_size: u.data.length, uploaded_size: u.data.length, Type: '',
  }));
  const uploadsJson = jsonl(uploadRows);
  const files: Zippable = {
    'results/Windows.System.Pslist.json': pslist.data,
    'results/Windows.System.Pslist.json.index': pslist.index,
    'results/Generic.Client.Info%2FBasicInformation.json': basic.data,
    'results/Generic.Client.Info%2FBasicInformation.json.index': basic.index,
    'results/Custom.Unknown.Thing.json': unknown.data,
    'results/Custom.Unknown.Thing.json.index': unknown.index,
    'log.json': log.data,
    'log.json.index': log.index,
    'uploads.json': uploadsJson.data,
    'uploads.json.index': uploadsJson.index,
    'uploads/sparse/C%3A/file.sparse.txt.idx': strToU8('{"ranges":[{"file_length":5,"length":5},{"file_offset":5,"original_offset":5,"length":5}]}'),
    'collection_context.json': strToU8(JSON.stringify({
      session_id: 'F.CD3B5RM4QK2S0', request: { artifacts: ['Windows.System.Pslist', 'Generic.Client.Info', 'Custom.Unknown.Thing'] },
      create_time: 1665937230199783036, total_collected_rows: 5, total_uploaded_files: 4, total_logs: 3, state: 2,
      artifacts_with_results: ['Windows.System.Pslist', 'Generic.Client.Info/BasicInformation', 'Custom.Unknown.Thing'],
    }, null, 1)),
    'requests.json': strToU8(JSON.stringify({ items: [{ session_id: 'F.CD3B5RM4QK2S0', request_id: 1, VQLClientAction: { Query: [{ Name: 'Windows.System.Pslist', VQL: 'SELECT * FROM pslist()' }] } }] }, null, 1)),
    'client_info.json': strToU8(JSON.stringify({ Hostname: 'WIN-DC01', OS: 'windows', Fqdn: 'win-dc01.corp.example', HostID: 'a1b2c3', Name: 'velociraptor', BuildTime: '2024-05-01T00:00:00Z', build_url: '' }, null, 1)),
  };
  for (const u of uploads) files[member(u.components)] = [u.data, { mtime: new Date('2022-10-16T16:20:30Z') }];
  return zipSync(files, { level: opts.level ?? 5 });
}

/** A GUI flow export: the server's client record, logs and results without indexes. */
export function flowExport(): Uint8Array {
  return zipSync({
    'client_info.json': strToU8(JSON.stringify({ client_id: 'C.4f5e6d7c8b9a0123', hostname: 'web1', fqdn: 'web1.corp.example', system: 'linux' }, null, 1)),
    'collection_context.json': strToU8(JSON.stringify({ client_id: 'C.4f5e6d7c8b9a0123', session_id: 'F.CJ8A1', create_time: 1700000000000000, state: 2, artifacts_with_results: ['Linux.Sys.Users'] }, null, 1)),
    'requests.json': strToU8('{"items":[]}'),
    'log.json': jsonl(LOG).data,
    'results/Linux.Sys.Users.json': jsonl([{ User: 'root', Uid: 0 }, { User: 'alice', Uid: 1000 }]).data,
    'uploads.json': jsonl([]).data,
    'uploads/file/etc/passwd': strToU8('root:x:0:0:root:/root:/bin/bash\n'),
  }, { level: 5 });
}

/** A GUI hunt export: combined results with FlowId/ClientId/Fqdn, and one flow folder per client. */
export function huntExport(): Uint8Array {
  const combined = [
    { User: 'root', Uid: 0, FlowId: 'F.1', ClientId: 'C.11', Fqdn: 'web1' },
    { User: 'root', Uid: 0, FlowId: 'F.2', ClientId: 'C.22', Fqdn: 'web2' },
  ];
  return zipSync({
    'hunt_info.json': strToU8(JSON.stringify({ hunt_id: 'H.CJ8A', state: 'STOPPED', create_time: '1700000000000000' })),
    'results/All Linux.Sys.Users.json': jsonl(combined).data,
    'web1-C.11/client_info.json': strToU8(JSON.stringify({ client_id: 'C.11', hostname: 'web1' })),
    'web1-C.11/results/Linux.Sys.Users.json': jsonl([combined[0]!]).data,
    'web1-C.11/log.json': jsonl(LOG.slice(0, 1)).data,
    'web2-C.22/results/Linux.Sys.Users.json': jsonl([combined[1]!]).data,
    'web2-C.22/uploads/file/etc/hostname': strToU8('web2\n'),
  }, { level: 5 });
}

/** Finds the local and central headers of `name` and hands their offsets to `patch`. */
export function patchHeaders(zip: Uint8Array, name: string, patch: (view: DataView, header: number, central: boolean) => void): Uint8Array {
  const out = new Uint8Array(zip);
  const view = new DataView(out.buffer);
  const nameBytes = Buffer.from(name);
  const buf = Buffer.from(out.buffer);
  for (let i = 0; i + 4 <= out.length; i++) {
    const sig = view.getUint32(i, true);
    if (sig === 0x04034b50 && buf.subarray(i + 30, i + 30 + nameBytes.length).equals(nameBytes) && view.getUint16(i + 26, true) === nameBytes.length) patch(view, i, false);
    if (sig === 0x02014b50 && buf.subarray(i + 46, i + 46 + nameBytes.length).equals(nameBytes) && view.getUint16(i + 28, true) === nameBytes.length) patch(view, i, true);
  }
  return out;
}

/** A password-protected collection: metadata.json and data.zip stored as a WinZip AES member (flag bit 0, method 99). */
export function encryptedCollection(): Uint8Array {
  const zip = zipSync({
    'metadata.json': strToU8('[{"EncryptedPass":"AAAA","Scheme":"X509","PublicKey":"-----BEGIN CERTIFICATE-----"}]'),
    'data.zip': [new Uint8Array(64).fill(7), { level: 0 }],
  });
  return patchHeaders(zip, 'data.zip', (v, h, central) => {
    v.setUint16(h + (central ? 8 : 6), v.getUint16(h + (central ? 8 : 6), true) | 1, true);
    v.setUint16(h + (central ? 10 : 8), 99, true);
  });
}

/** The offline collection with the CRC of one result set spoiled (a bad entry), a member named `../evil.json`, and a JSON line that is not JSON. */
export function damagedCollection(): Uint8Array {
  const good = jsonl(PSLIST);
  const withBadLine = strToU8(JSON.stringify(PSLIST[0]) + '\n{"Pid": 7, "Name": oops}\n' + JSON.stringify(PSLIST[1]) + '\n');
  const zip = zipSync({
    'results/Windows.System.Pslist.json': good.data,
    'results/Windows.System.Pslist.json.index': good.index,
    'results/Windows.Bad.Crc.json': good.data,
    'results/Windows.Bad.Line.json': withBadLine,
    '../evil.json': strToU8('{}\n'),
    'log.json': jsonl(LOG).data,
    'collection_context.json': strToU8('{ "session_id": "F.1", '),
  }, { level: 5 });
  return patchHeaders(zip, 'results/Windows.Bad.Crc.json', (v, h, central) => {
    const at = h + (central ? 16 : 14);
    v.setUint32(at, v.getUint32(at, true) ^ 0xdeadbeef, true);
  });
}
