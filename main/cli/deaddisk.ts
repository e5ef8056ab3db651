/**
 * `vql deaddisk EVIDENCE [--hostname NAME] [--output FILE]`: prints (or writes) the remapping
 * config that runs artifacts against Windows evidence (main/evidence/deaddisk.ts), and says on
 * stderr what it found: the C: volume and the hives it mounts.
 */
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { evidenceRemap, fail } from './flags.ts';
import { evidenceSummary } from '../evidence/deaddisk.ts';

export async function deaddisk(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { hostname: { type: 'string' }, output: { type: 'string' } },
  });
  if (positionals.length !== 1) fail('deaddisk: give one piece of evidence: a disk image (raw, E01, VHDX or VMDK), an NTFS partition image, a folder or a collection zip, e.g. vql deaddisk /case/disk.dd > case.yaml');
  const r = await evidenceRemap(positionals[0]!, values.hostname, 'deaddisk:');
  process.stderr.write(`${r.kind}: ${evidenceSummary(r)}\n`);
  if (values.output) {
    try {
      writeFileSync(values.output, r.yaml);
    } catch (e) {
      fail(`--output ${values.output}: ${(e as Error).message}`);
    }
    process.stderr.write(`wrote ${values.output}: use it with --remap ${values.output}\n`);
  } else process.stdout.write(r.yaml);
  return 0;
}
