// Measures artifact packs: exporting Velociraptor's corpus (../shared, 211 artifacts; the
// built-in artifacts when it is absent) with a prefix, importing the zip back, and refusing a
// 60 MiB zip bomb. Prints the median of 5 runs of each.
// Usage: node --import tsx scripts/bench-packs.ts
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { Repository } from '../main/artifacts/index.ts';
import { buildPack } from '../main/artifacts/pack.ts';
import { importPack } from '../main/artifacts/pack-import.ts';
import { medianMs } from './bench-stats.ts';

/** Median of 5 timed runs. */
const timed = (run: () => unknown) => medianMs(run, 5);

const corpus = fileURLToPath(new URL('../../shared/velociraptor-artifacts/', import.meta.url));
const repo = existsSync(corpus) ? new Repository({ builtinDir: null, definitions: [corpus] }) : new Repository();
const names = repo.names();
const tmp = mkdtempSync(join(tmpdir(), 'vql-bench-packs-'));

let pack = buildPack(repo, { names, prefix: 'Custom.' });
const exportMs = timed(() => (pack = buildPack(repo, { names, prefix: 'Custom.' })));
let i = 0;
const importMs = timed(() => {
  const r = importPack(pack.zip!, { dir: join(tmp, `in${i++}`), lookup: () => undefined });
  if (r.imported.length !== pack.entries.length) throw new Error(`imported ${r.imported.length} of ${pack.entries.length}`);
});
const bomb = zipSync({ 'bomb.yaml': new Uint8Array(60 * 2 ** 20).fill(0x20) });
const bombMs = timed(() => {
  const r = importPack(bomb, { dir: join(tmp, 'bomb'), lookup: () => undefined });
  if (!r.problems.length) throw new Error('the bomb was not refused');
});
rmSync(tmp, { recursive: true, force: true });
console.log(`artifacts: ${names.length} (${existsSync(corpus) ? 'the corpus' : 'the built-ins'}), packed ${pack.entries.length}, refused ${pack.refused.length}, warnings ${pack.warnings.length}`);
console.log(`export with prefix: ${exportMs.toFixed(0)} ms, zip ${(pack.zip!.length / 1024).toFixed(0)} KiB`);
console.log(`import (validate and write): ${importMs.toFixed(0)} ms`);
console.log(`60 MiB bomb (${(bomb.length / 1024).toFixed(0)} KiB zip) refused in ${bombMs.toFixed(0)} ms`);
