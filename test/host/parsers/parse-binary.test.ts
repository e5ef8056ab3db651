import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { mkdtemp, writeFile, rm, readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query, value } from './runner.ts';
import { compileProfile } from '../../../main/host/parsers/vtypes/profile.ts';

/** Linux.Sys.LastUserLogin's profile (Velociraptor's artifact), with its surplus brackets. */
const WTMP_PROFILE = `
  [
    ["Header", 0, [
    ["records", 0, "Array", {
        "type": "utmp",
        "count": "x=>MaxCount",
        "max_count": 100000,
    }],
    ]],
    ["utmp", 384, [
        ["ut_type", 0, "Enumeration", {
            "type": "short int",
            "choices": {
               "0": "EMPTY", "1": "RUN_LVL", "2": "BOOT_TIME", "5": "INIT_PROCESS",
               "6": "LOGIN_PROCESS", "7": "USER_PROCESS", "8": "DEAD_PROCESS"
             }
          }],
        ["ut_pid", 4, "int"],
        ["ut_terminal", 8, "String", {"length": 32}],
        ["ut_terminal_identifier", 40, "String", {"length": 4}],
        ["ut_user", 44, "String", {"length": 32}],
        ["ut_hostname", 76, "String", {"length": 256}],
        ["ut_termination_status", 332, "int"],
        ["ut_exit_status", 334, "int"],
        ["ut_session", 336, "int"],
        ["ut_timestamp", 340, "Timestamp", {
            "type": "uint32",
        }],
        ["ut_ip_address", 348, "int64"],
      ]]
    ]]
    ]`;

interface Utmp {
  type: number;
  pid: number;
  line: string;
  id: string;
  user: string;
  host: string;
  sec: number;
  addr: number[];
}

/** One record in glibc's `struct utmp` layout (x86-64, 384 bytes). */
function utmp(u: Utmp): Buffer {
  const b = Buffer.alloc(384);
  b.writeInt16LE(u.type, 0);
  b.writeInt32LE(u.pid, 4);
  b.write(u.line, 8, 32);
  b.write(u.id, 40, 4);
  b.write(u.user, 44, 32);
  b.write(u.host, 76, 256);
  b.writeInt32LE(u.sec, 340);
  b.writeInt32LE(123456, 344);
  u.addr.forEach((a, i) => b.writeUInt8(a, 348 + i));
  return b;
}

let dir = '';
const login: Utmp = { type: 7, pid: 1234, line: 'pts/9', id: 'ts/9', user: 'alice', host: '10.0.0.1', sec: 1703174064, addr: [10, 0, 0, 1] };
const logout: Utmp = { type: 8, pid: 1234, line: 'pts/9', id: 'ts/9', user: '', host: '', sec: 1703175064, addr: [] };
const boot: Utmp = { type: 2, pid: 0, line: '~', id: '~~', user: 'reboot', host: '6.1.0', sec: 1703170800, addr: [] };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vql-binary-'));
  await writeFile(join(dir, 'wtmp'), Buffer.concat([boot, login, logout].map(utmp)));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const RECORDS = `SELECT * FROM foreach(row=parse_binary(filename=F, profile=P, struct='Header').records,
  query={ SELECT ut_type, ut_pid, ut_terminal, ut_terminal_identifier AS id, ut_user, ut_hostname, ut_timestamp, ip(netaddr4_le=ut_ip_address) AS ip FROM scope() })`;

test('parse_binary: a wtmp file in struct utmp layout, with Linux.Sys.LastUserLogin\'s profile', async () => {
  const { rows, logs } = await query(`SELECT ut_type, ut_pid, ut_terminal, ut_terminal_identifier AS id, ut_user, ut_hostname, ut_timestamp, ut_ip_address
    FROM foreach(row=parse_binary(filename=F, profile=P, struct='Header').records)`, { F: join(dir, 'wtmp'), P: WTMP_PROFILE, MaxCount: 4 });
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [
    { ut_type: 'BOOT_TIME', ut_pid: 0, ut_terminal: '~', id: '~~', ut_user: 'reboot', ut_hostname: '6.1.0', ut_timestamp: '2023-12-21T15:00:00Z', ut_ip_address: 0 },
    { ut_type: 'USER_PROCESS', ut_pid: 1234, ut_terminal: 'pts/9', id: 'ts/9', ut_user: 'alice', ut_hostname: '10.0.0.1', ut_timestamp: '2023-12-21T15:54:24Z', ut_ip_address: 0x0100000a },
    { ut_type: 'DEAD_PROCESS', ut_pid: 1234, ut_terminal: 'pts/9', id: 'ts/9', ut_user: '', ut_hostname: '', ut_timestamp: '2023-12-21T16:11:04Z', ut_ip_address: 0 },
    // Past the end: integers read as 0, strings as "" (MaxCount asks for 4 records).
    { ut_type: 'EMPTY', ut_pid: 0, ut_terminal: '', id: '', ut_user: '', ut_hostname: '', ut_timestamp: '1970-01-01T00:00:00Z', ut_ip_address: 0 },
  ]);
});

test('parse_binary: wtmp made by utmpdump agrees with `last` (ground truth)', { skip: !existsSync('/usr/bin/utmpdump') && 'utmpdump is not installed' }, async () => {
  const dump = [
    '[2] [00000] [~~  ] [reboot  ] [~           ] [6.1.0               ] [0.0.0.0        ] [2023-12-21T15:00:00,000000+00:00]',
    '[7] [01234] [ts/9] [alice   ] [pts/9       ] [10.0.0.1            ] [10.0.0.1       ] [2023-12-21T15:54:24,000000+00:00]',
    '[8] [01234] [ts/9] [        ] [pts/9       ] [                    ] [0.0.0.0        ] [2023-12-21T16:11:04,000000+00:00]',
  ].join('\n') + '\n';
  const wtmp = execFileSync('utmpdump', ['-r'], { input: dump, stdio: ['pipe', 'pipe', 'ignore'] });
  const file = join(dir, 'wtmp-utmpdump');
  await writeFile(file, wtmp);
  const { rows } = await query(RECORDS, { F: file, P: WTMP_PROFILE, MaxCount: 3 });
  // utmpdump reads its own file back: each of its fields must be what parse_binary found.
  const back = execFileSync('utmpdump', [file], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim().split('\n');
  assert.equal(rows.length, back.length);
  const types: Record<string, string> = { 2: 'BOOT_TIME', 7: 'USER_PROCESS', 8: 'DEAD_PROCESS' };
  back.forEach((line, i) => {
    const f = [...line.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]!.trim());
    const r = rows[i]!;
    assert.equal(r.ut_type, types[Number(f[0])]);
    assert.equal(r.ut_pid, Number(f[1]));
    // utmpdump pads its fields with spaces, which are bytes of the record.
    assert.equal(String(r.id).trimEnd(), f[2]);
    assert.equal(String(r.ut_user).trimEnd(), f[3]);
    assert.equal(String(r.ut_terminal).trimEnd(), f[4]);
    assert.equal(String(r.ut_hostname).trimEnd(), f[5]);
    assert.equal(r.ut_timestamp, f[7]!.replace(/,\d+\+00:00$/, 'Z'));
  });
  if (existsSync('/usr/bin/last')) {
    const last = execFileSync('last', ['-f', file, '--time-format', 'iso'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    const user = rows.find((r) => r.ut_type === 'USER_PROCESS')!;
    assert.ok(last.includes(`${user.ut_user}    ${user.ut_terminal}`), last);
    assert.ok(last.includes('2023-12-21T15:54:24+00:00 - 2023-12-21T16:11:04+00:00'), last);
  }
});

test('parse_binary: this machine\'s /var/log/wtmp parses (ground truth where it has records)', async (t) => {
  if (!existsSync('/var/log/wtmp') || !existsSync('/usr/bin/utmpdump')) return t.skip('no /var/log/wtmp or utmpdump here');
  const expected = execFileSync('utmpdump', ['/var/log/wtmp'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim().split('\n').filter((l) => l);
  if (expected.length === 0) return t.skip('/var/log/wtmp is empty on this machine');
  const { rows } = await query(RECORDS, { F: '/var/log/wtmp', P: WTMP_PROFILE, MaxCount: expected.length });
  assert.deepEqual(rows.map((r) => r.ut_pid), expected.map((l) => Number(/^\[\d+\] \[(\d+)\]/.exec(l)![1])));
});

test('parse_binary: arrays with sentinel and count lambdas, foreach over them, offsets', async () => {
  const profile = `[
    ["List", 0, [
      ["N", 0, "uint8"],
      ["Items", 1, "Array", {type: "Item", count: "x=>x.N", sentinel: "x=>x.Len = 0"}],
      ["Ints", 0, "Array", {type: "uint16", count: 2}],
    ]],
    ["Item", "x=>x.Len + 1", [
      ["Len", 0, "uint8"],
      ["Name", 1, "String", {length: "x=>x.Len"}],
      ["End", 0, "Value", {value: "x=>x.EndOf"}],
    ]],
  ]`;
  const data = Buffer.from([3, 2, 0x61, 0x62, 1, 0x63, 0, 9, 9]);
  const { rows } = await query(`SELECT Name, Len, End FROM foreach(row=parse_binary(accessor='data', filename=D, profile=P, struct='List').Items)`, { D: new Uint8Array(data), P: profile });
  assert.deepEqual(rows, [{ Name: 'ab', Len: 2, End: 4 }, { Name: 'c', Len: 1, End: 6 }]);
  assert.deepEqual(await value(`parse_binary(accessor='data', filename=D, profile=P, struct='List').Ints`, { D: new Uint8Array(data), P: profile }), [0x0203, 0x6261]);
  assert.equal(await value(`parse_binary(accessor='data', filename=D, profile=P, struct='uint8', offset=4)`, { D: new Uint8Array(data), P: profile }), 1);
  assert.deepEqual(await value(`parse_binary(accessor='data', filename=D, profile=P, struct='List').Items.Name`, { D: new Uint8Array(data), P: profile }), ['ab', 'c']);
  assert.deepEqual(await value(`parse_binary(accessor='data', filename=D, profile=P, struct='List').Items.SizeOf`, { D: new Uint8Array(data), P: profile }), 5);
});

test('parse_binary: Enumeration (choices and map), Flags, BitField, big-endian, float, utf16, term_hex, byte strings', async () => {
  const profile = `[
    ["S", 0, [
      ["E", 0, "Enumeration", {type: "uint8", choices: {"0x1": "ONE", "2": "TWO"}}],
      ["M", 1, "Enumeration", {type: "uint8", map: {"Linux": 0x83}}],
      ["U", 2, "Enumeration", {type: "uint8", choices: {"1": "ONE"}}],
      ["F", 3, "Flags", {type: "uint8", bitmap: {B: 1, A: 0, C: 7}}],
      ["Hi", 4, "BitField", {type: "uint16", start_bit: 8, end_bit: 16}],
      ["Lo", 4, "BitField", {type: "uint16", start_bit: 0, end_bit: 4}],
      ["BE", 6, "uint32b"],
      ["S16", 10, "String", {encoding: "utf16", length: 8}],
      ["Hex", 18, "String", {term_hex: "ff00", length: 10}],
      ["Raw", 18, "String", {term: "", length: 3}],
      ["Dbl", 28, "float64"],
    ]]]`;
  const b = Buffer.alloc(36);
  b.writeUInt8(1, 0);
  b.writeUInt8(0x83, 1);
  b.writeUInt8(9, 2);
  b.writeUInt8(0b10000011, 3);
  b.writeUInt16LE(0xab0c, 4);
  b.writeUInt32BE(0x01020304, 6);
  b.write('hé\0x', 10, 'utf16le');
  Buffer.from([0x41, 0x42, 0xff, 0x00, 0x43]).copy(b, 18);
  b.writeDoubleLE(2.5, 28);
  const v = (await value(`parse_binary(accessor='data', filename=D, profile=P, struct='S')`, { D: new Uint8Array(b), P: profile })) as Record<string, unknown>;
  assert.deepEqual(v, { E: 'ONE', M: 'Linux', U: '0x9', F: ['A', 'B', 'C'], Hi: 0xab, Lo: 0xc, BE: 0x01020304, S16: 'hé', Hex: 'AB', Raw: 'AB\ufffd', Dbl: 2.5 });
});

test('parse_binary: Union, Pointer, Profile, @Field references, timestamps, leb128, env, hidden fields', async () => {
  const profile = `[
    ["H", 0, [
      ["Kind", 0, "uint8"],
      ["Body", 1, "Union", {selector: "x=>x.Kind = 1", choices: {"true": "A", "false": "B"}}],
      ["Ptr", 8, "Pointer", {type: "uint16"}],
      ["At", 0, "Profile", {type: "uint16", offset: "x=>x.Kind + Extra"}],
      ["__Hidden", 0, "uint8"],
      ["Next", "x=>x.\`@Ptr\`.RelEndOf", "uint8"],
      ["Win", 24, "WinFileTime"],
      ["Fat", 32, "FatTimestamp"],
      ["Ms", 36, "Timestamp", {type: "uint64", factor: 1000}],
      ["Var", 44, "leb128"],
      ["Neg", 46, "sleb128"],
    ]],
    ["A", 0, [["Tag", 0, "Value", {value: "is A"}]]],
    ["B", 0, [["Tag", 0, "Value", {value: "is B"}]]],
  ]`;
  const b = Buffer.alloc(48);
  b.writeUInt8(1, 0);
  b.writeBigUInt64LE(20n, 8);
  b.writeUInt16LE(0x4242, 20);
  b.writeUInt8(7, 16);
  b.writeBigUInt64LE(116444736000000000n + 17031740640000000n, 24);
  // DOS date 2023-12-21, time 15:54:24.
  b.writeUInt16LE(((2023 - 1980) << 9) | (12 << 5) | 21, 32);
  b.writeUInt16LE((15 << 11) | (54 << 5) | 12, 34);
  b.writeBigUInt64LE(1703174064123n, 36);
  Buffer.from([0xe5, 0x0e]).copy(b, 44);
  Buffer.from([0x7f, 0x00]).copy(b, 46);
  const vars = { D: new Uint8Array(b), P: profile };
  const v = (await value(`parse_binary(accessor='data', filename=D, profile=P, struct='H', env=dict(Extra=1))`, vars)) as Record<string, unknown>;
  assert.equal(v.__Hidden, undefined);
  assert.deepEqual(v.Body, { Tag: 'is A' });
  assert.equal(v.Ptr, 0x4242);
  assert.equal(v.At, 0);
  assert.equal(v.Next, 7);
  assert.equal(v.Win, '2023-12-21T15:54:24Z');
  assert.equal(v.Fat, '2023-12-21T15:54:24Z');
  assert.equal(v.Ms, '2023-12-21T15:54:24.000000123Z');
  assert.equal(v.Var, 0x65 | (0x0e << 7));
  assert.equal(v.Neg, -1);
  assert.equal(await value(`parse_binary(accessor='data', filename=D, profile=P, struct='H').__Hidden`, vars), 1);
  assert.equal(await value(`parse_binary(accessor='data', filename=D, profile=P, struct='H').Var.SizeOf`, vars), 2);
  assert.equal(await value(`parse_binary(accessor='data', filename=D, profile=P, struct='H').\`@Ptr\`.EndOf`, vars), 16);
});

test('parse_binary: a file larger than the whole-file limit is read by pages', async () => {
  const size = 9 * 1024 * 1024;
  const big = Buffer.alloc(size);
  for (let off = 0; off < size; off += 4096) big.writeUInt32LE(off, off);
  await writeFile(join(dir, 'big.bin'), big);
  const profile = `[["Page", 4096, [["Off", 0, "uint32"]]], ["All", 0, [["Pages", 0, "Array", {type: "Page", count: 2304, max_count: 10000}]]]]`;
  const { rows } = await query(`SELECT count() AS N, sum(item=Off) AS S FROM foreach(row=parse_binary(filename=F, profile=P, struct='All').Pages) GROUP BY 1`, { F: join(dir, 'big.bin'), P: profile });
  const pages = size / 4096;
  assert.deepEqual(rows, [{ N: pages, S: (4096 * (pages - 1) * pages) / 2 }]);
  assert.equal(await value(`parse_binary(filename=F, profile=P, struct='uint32', offset=8 * 1024 * 1024)`, { F: join(dir, 'big.bin'), P: profile }), 8 * 1024 * 1024);
});

test('parse_binary: bad input is logged naming the argument, struct, field and file; NULL, the query goes on', async () => {
  const bad = await query(`SELECT parse_binary(accessor='data', filename='abcd', profile='[["X", 0, [["A", 0, "Nope"]]]]', struct='X') AS A,
    parse_binary(accessor='data', filename='abcd', profile='[[ not yaml', struct='X') AS B,
    parse_binary(accessor='data', filename='abcd', profile='[]', struct='Missing') AS C,
    parse_binary(filename=F, profile='[]', struct='uint32') AS D,
    parse_binary(accessor='data', filename='abcd', profile='[["X", 0, [["A", 0, "BitField", {type: "uint8", start_bit: 9, end_bit: 2}]]]]', struct='X') AS E,
    parse_binary(accessor='data', filename='abcd', profile='[["X", 0, [["A", "x=>x.A", "uint8"]]]]', struct='X').A AS F,
    1 AS G FROM scope()`, { F: join(dir, 'none') });
  assert.deepEqual(bad.rows, [{ A: null, B: null, C: null, D: null, E: null, F: null, G: 1 }]);
  const has = (s: string) => assert.ok(bad.logs.some((l) => l.includes(s)), `${s}\n${bad.logs.join('\n')}`);
  has('parse_binary: argument profile: struct X field A: Type name Nope is not known.');
  has('parse_binary: argument profile: the profile is not valid YAML/JSON');
  has('parse_binary: argument struct: Type name Missing is not known.');
  has(`parse_binary: filename=${join(dir, 'none')}: no such file`);
  has('BitField needs 0 <= start_bit < end_bit <= 64');
  has('struct X field A depends on itself (filename=<data: 4 bytes>)');
});

test('parse_binary: every profile in Velociraptor\'s artifacts compiles', async (t) => {
  const root = fileURLToPath(new URL('../../../../shared/velociraptor-artifacts', import.meta.url));
  if (!existsSync(root)) return t.skip('../shared/velociraptor-artifacts is absent');
  const files: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (e.name.endsWith('.yaml')) files.push(join(d, e.name));
    }
  };
  await walk(root);
  let compiled = 0;
  for (const f of files) {
    const text = await readFile(f, 'utf8');
    if (!text.includes('parse_binary')) continue;
    // Profiles are the triple-quoted (or single-quoted) literals that start with a list.
    for (const m of text.matchAll(/(?:'''|')\s*(\[\s*\[[\s\S]*?\]\s*\]\s*)(?:'''|')/g)) {
      const body = m[1]!;
      if (!/"(String|Array|uint\d+|Enumeration|Value)"|\b(uint\d+|leb128)\b/.test(body)) continue;
      assert.doesNotThrow(() => compileProfile(body), `${f}`);
      compiled++;
    }
  }
  assert.ok(compiled >= 8, `only ${compiled} profiles found`);
});

test('parse_binary: Linux.Ssh.PrivateKeys\' profile on keys made by ssh-keygen (cipher none and aes256-ctr)', async (t) => {
  if (!existsSync('/usr/bin/ssh-keygen')) return t.skip('ssh-keygen is not installed');
  const profile = `[
    ["Header", 0, [
    ["Magic", 0, "String", {
        "length": 100,
    }],
    ["cipher_length", 15, "uint32b"],
    ["cipher", 19, "String", {
        "length": "x=>x.cipher_length",
    }]
  ]]]`;
  const found: Array<Record<string, unknown>> = [];
  for (const [name, pass] of [['plain', ''], ['secret', 'correct horse']] as const) {
    const key = join(dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', pass, '-f', key], { stdio: 'ignore' });
    const { rows } = await query(`SELECT parse_binary(accessor='data', profile=P, struct='Header',
        filename=base64decode(string=parse_string_with_regex(string=read_file(filename=F), regex='(?sm)KEY-----(?P<Body>.+)-----END').Body)) AS Parsed FROM scope()`, { F: key, P: profile });
    found.push(rows[0]!.Parsed as Record<string, unknown>);
  }
  assert.deepEqual(found.map((p) => [p.Magic, p.cipher]), [['openssh-key-v1', 'none'], ['openssh-key-v1', 'aes256-ctr']]);
});
