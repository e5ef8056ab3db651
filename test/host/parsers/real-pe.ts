/** Real PE files found on the test machine, for the tests that check parsers against them. */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Real PE files of this machine, at most `max`: the Windows binaries some npm packages ship
 * (electron-winstaller's signed tools and DLLs, win32 prebuilt .node addons), Python's
 * launchers and installers...
 */
export function realPeFiles(max: number): string[] {
  const roots = [join(import.meta.dirname, '../../../node_modules'), '/root/.pyenv', '/usr/lib', '/usr/share', '/opt', '/usr/local/lib'];
  const names = ['*.exe', '*.dll', '*.sys', '*.efi', '*.node'].flatMap((n, i) => (i ? ['-o', '-iname', n] : ['-iname', n]));
  const r = spawnSync('find', [...roots, '-xdev', '-type', 'f', '(', ...names, ')', '-size', '+2k'], {
    encoding: 'utf8',
    timeout: 20000,
    maxBuffer: 16 << 20,
  });
  const found = (r.stdout ?? '').split('\n').filter(Boolean);
  // One file per name and size (the same launcher is in every Python version).
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of found) {
    const name = `${f.slice(f.lastIndexOf('/') + 1)}:${statSync(f).size}`;
    if (seen.has(name)) continue;
    seen.add(name);
    out.push(f);
    if (out.length >= max) break;
  }
  return out;
}
