/**
 * `node --import tsx scripts/bench-pack-import.ts [--root DIR] [--shape S] [--entries N] [--entry-bytes B]`:
 * how long importing the worst pack the limits allow holds the app's main thread. Builds a
 * pack of as many just-under-the-limit artifacts as the total limit allows (from the
 * DEFAULT_ZIP_LIMITS of the checkout at --root, so an older checkout can be measured the same
 * way), imports it through AppService's `packs:import` (as Electron's main process and the web
 * host do) under test/helpers/loop-probe.ts, and prints the longest block of the event loop,
 * the wall time and the process's peak RSS (it includes the pack built for the run).
 * Shapes: `exprs` (one SELECT of many expressions: the slowest VQL to parse per byte),
 * `text` (a long description: fast to parse, and deflate shrinks it about 50 times, under the
 * zip-bomb ratio, like the reported pack of four 49 MiB files in 2.7 MB),
 * `params` (thousands of parameters), `lets` (thousands of LET statements), `tiny` (the most
 * entries allowed, each a small artifact).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { zipSync, strToU8 } from 'fflate';
import { probeLoop } from '../test/helpers/loop-probe.ts';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const root = resolve(arg('--root') ?? new URL('..', import.meta.url).pathname);
const shape = arg('--shape') ?? 'exprs';

const load = (p: string) => import(pathToFileURL(join(root, p)).href);
const { DEFAULT_ZIP_LIMITS } = await load('main/artifacts/pack-zip.ts');
const { AppService } = await load('main/app/service.ts');

/** An artifact named `name` of about `bytes` bytes of the chosen shape. */
function artifactText(name: string, bytes: number): string {
  const head = `name: ${name}\nsources:\n- query: |\n`;
  switch (shape) {
    case 'params': {
      const items: string[] = [];
      for (let size = 0, i = 0; size < bytes - 200; i++) {
        const p = `- name: P${i}\n  default: x\n`;
        items.push(p);
        size += p.length;
      }
      return `name: ${name}\nparameters:\n${items.join('')}sources:\n- query: SELECT * FROM info()\n`;
    }
    case 'lets': {
      const lines: string[] = [];
      for (let size = 0, i = 0; size < bytes - 200; i++) {
        const l = `    LET X${i} = SELECT * FROM info() WHERE OS = "linux"\n`;
        lines.push(l);
        size += l.length;
      }
      return `${head}${lines.join('')}    SELECT * FROM X0\n`;
    }
    case 'text': {
      // Lines drawn at random from a pool of 64: deflate shrinks it about 50 times, under the
      // zip-bomb ratio (200) of the limits.
      let seed = 7;
      const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
      const pool = Array.from({ length: 64 }, () => {
        let l = ' ';
        while (l.length < 70) l += ' ' + Math.floor(rnd() * 36 ** 4).toString(36);
        return l + '\n';
      });
      const lines: string[] = [];
      for (let size = 0; size < bytes - 200; ) {
        const l = pool[Math.floor(rnd() * 64)]!;
        lines.push(l);
        size += l.length;
      }
      return `name: ${name}\ndescription: |\n${lines.join('')}sources:\n- query: SELECT * FROM info()\n`;
    }
    case 'tiny':
      return `${head}    SELECT 1 AS One FROM scope()\n`;
    default: {
      const terms: string[] = [];
      for (let size = 0, i = 0; size < bytes - 200; i++) {
        const t = `a${i % 100}+1`;
        terms.push(t);
        size += t.length + 2;
      }
      return `${head}    SELECT ${terms.join(', ')} FROM info()\n`;
    }
  }
}

const limits = DEFAULT_ZIP_LIMITS as { maxEntries: number; maxEntryBytes: number; maxTotalBytes: number; maxZipBytes: number };
const entryBytes = Number(arg('--entry-bytes') ?? (shape === 'tiny' ? 64 : limits.maxEntryBytes - 4096));
const entries = Number(arg('--entries') ?? (shape === 'tiny' ? limits.maxEntries - 1 : Math.floor(limits.maxTotalBytes / (entryBytes + 4096))));
const files: Record<string, Uint8Array> = {};
let yamlBytes = 0;
for (let i = 0; i < entries; i++) {
  const bytes = strToU8(artifactText(`Custom.Bench.A${i}`, entryBytes));
  yamlBytes += bytes.length;
  files[`Custom/Bench/A${i}.yaml`] = bytes;
}
const zip = zipSync(files, { level: 6 });
const b64 = Buffer.from(zip).toString('base64');
console.log(`root ${root}`);
console.log(`pack: ${entries} ${shape} entries of ~${(entryBytes / 2 ** 20).toFixed(2)} MiB, ${(yamlBytes / 2 ** 20).toFixed(1)} MiB of YAML, zip ${(zip.length / 2 ** 20).toFixed(2)} MiB`);

const dir = mkdtempSync(join(tmpdir(), 'vql-bench-pack-import-'));
const service = new AppService({ userArtifacts: join(dir, 'artifacts'), push: () => {}, isolation: 'inline' });
const t0 = performance.now();
const probe = await probeLoop(() => service.invoke('packs:import', b64));
const wall = performance.now() - t0;
// The process's peak (a sampling timer could not run while the loop was blocked).
const peakRss = process.resourceUsage().maxRSS * 1024;
const r = probe.value as { ok: boolean; value?: { imported: unknown[]; problems: Array<{ file: string; message: string }> }; error?: { message: string } };
const outcome = r.ok ? `${r.value!.imported.length} imported, ${r.value!.problems.length} problems${r.value!.problems[0] ? ` (first: ${r.value!.problems[0].message.slice(0, 120)})` : ''}` : `refused: ${r.error!.message}`;
console.log(`result: ${outcome}`);
console.log(`files in the folder: ${readdirSync(join(dir, 'artifacts')).length}`);
console.log(`longest main-thread block: ${probe.blockMs} ms (cpu ${probe.cpuBlockMs ?? '?'} ms, wall gap ${probe.gapMs} ms); loop busy ${probe.activeMs} ms; wall ${wall.toFixed(0)} ms; peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
service.cancelAll();
rmSync(dir, { recursive: true, force: true });
