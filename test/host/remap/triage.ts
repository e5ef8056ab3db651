/**
 * A triage folder as a Windows collection leaves it (`<tmp>/C/...`, with the case of the disk:
 * `System32/config`, where artifacts ask for `System32/Config`), real registry hives in it, and
 * the remapping config that mounts it as the C: drive and the registry of a "Virtual Host".
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildHive, REG, type BuildKey } from '../raw-reg/hive-builder.ts';

export interface Triage {
  /** The temp folder (holds C/ and remap.yaml). */
  readonly dir: string;
  /** The folder mounted as C:. */
  readonly drive: string;
  readonly software: string;
  readonly ntuser: string;
  /** The remapping config's text, and its file. */
  readonly config: string;
  readonly configFile: string;
}

const nested = (path: string[], leaf: BuildKey): BuildKey => (path.length ? { name: path[0]!, subkeys: [nested(path.slice(1), leaf)] } : leaf);

/** The Uninstall key with one program per [key name, display name, publisher]. */
function uninstall(programs: Array<[string, string, string]>): BuildKey {
  return {
    name: 'Uninstall',
    subkeys: programs.map(([key, name, publisher]) => ({
      name: key,
      values: [
        { name: 'DisplayName', type: 1, data: REG.sz(name) },
        { name: 'Publisher', type: 1, data: REG.sz(publisher) },
        { name: 'DisplayVersion', type: 1, data: REG.sz('1.0') },
      ],
    })),
  };
}

export function makeTriage(): Triage {
  const dir = mkdtempSync(join(tmpdir(), 'vql-remap-'));
  const drive = join(dir, 'C');
  const config = join(drive, 'Windows', 'System32', 'config');
  const bob = join(drive, 'Users', 'bob');
  mkdirSync(config, { recursive: true });
  mkdirSync(join(bob, 'Documents'), { recursive: true });
  mkdirSync(join(drive, 'Users', 'alice'), { recursive: true });
  const software = join(config, 'SOFTWARE');
  writeFileSync(software, buildHive({
    name: 'ROOT',
    subkeys: [
      nested(['Microsoft', 'Windows'], {
        name: 'CurrentVersion',
        values: [{ name: 'ProgramFilesDir', type: 1, data: REG.sz('C:\\Program Files') }],
        subkeys: [
          uninstall([['7-Zip', '7-Zip 23.01 (x64)', 'Igor Pavlov'], ['{90160000-008C}', 'Office 16 Click-to-Run', 'Microsoft Corporation']]),
          { name: 'Run', values: [{ name: 'Updater', type: 1, data: REG.sz('C:\\Tools\\updater.exe') }] },
        ],
      }),
    ],
  }).bytes);
  const ntuser = join(bob, 'NTUSER.DAT');
  writeFileSync(ntuser, buildHive({
    name: 'ROOT',
    subkeys: [nested(['Software', 'Microsoft', 'Windows'], { name: 'CurrentVersion', subkeys: [uninstall([['Zoom', 'Zoom Workplace', 'Zoom Video Communications']])] })],
  }).bytes);
  writeFileSync(join(bob, 'Documents', 'notes.txt'), 'meeting at 10\n');
  writeFileSync(join(drive, 'Windows', 'win.ini'), '; for 16-bit app support\n');
  const spec = (file: string) => JSON.stringify({ Path: '/', DelegateAccessor: 'file', DelegatePath: file });
  const text = `remappings:
- type: permissions
  permissions:
  - COLLECT_CLIENT
  - FILESYSTEM_READ
  - READ_RESULTS
  - MACHINE_STATE
- type: impersonation
  os: windows
  hostname: Virtual Host
  env:
  - key: SystemRoot
    value: C:\\Windows
  - key: WinDir
    value: C:\\Windows
  disabled_functions:
  - amsi
  - lookupSID
  - token
  disabled_plugins:
  - users
  - pslist
  - netstat
- type: shadow
  from:
    accessor: data
  "on":
    accessor: data
- type: shadow
  from:
    accessor: scope
  "on":
    accessor: scope
- type: shadow
  from:
    accessor: raw_reg
  "on":
    accessor: raw_reg
- type: mount
  description: "Mount the triage folder on the C: drive"
  from:
    accessor: file_nocase
    prefix: '${drive}'
  "on":
    accessor: file
    prefix: "C:"
    path_type: windows
- type: mount
  from:
    accessor: file_nocase
    prefix: '${drive}'
  "on":
    accessor: auto
    prefix: "C:"
    path_type: windows
- type: mount
  description: Map Software Hive
  from:
    accessor: raw_reg
    prefix: '${spec(software)}'
    path_type: registry
  "on":
    accessor: registry
    prefix: HKEY_LOCAL_MACHINE\\Software
    path_type: registry
- type: mount
  description: Map User hive for bob
  from:
    accessor: raw_reg
    prefix: '${spec(ntuser)}'
    path_type: registry
  "on":
    accessor: registry
    prefix: HKEY_USERS\\bob
    path_type: registry
`;
  const configFile = join(dir, 'remap.yaml');
  writeFileSync(configFile, text);
  return { dir, drive, software, ntuser, config: text, configFile };
}
