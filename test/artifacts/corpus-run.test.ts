// The corpus artifacts that use only what this engine implements must also run: each runs
// with its defaults and preconditions evaluated; event artifacts for one second. The only
// errors allowed are execve() or shell_session() being off (running programs needs the user's permission), what
// an artifact logs when its programs therefore could not run, and FetchBinary's one message for a tool that is
// not in the tools folder (a program this machine lacks, as rpm would be), whose download failed (test runs
// reach no site but this machine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runOne, runnableArtifacts } from '../../scripts/corpus-run.ts';

// Narrower than the defaults where the default costs minutes here and proves nothing more:
// scanning every process's memory with yara (400 MiB per node process at about 80 MB/s).
const TEST_PARAMETERS: Record<string, Record<string, string>> = {
  'Linux.Detection.Yara.Process': { PidRegex: `^${process.pid}$` },
  // It leaves out its own process (ours): pid 1 alone (readable or not, a warning at most).
  'Windows.Carving.CobaltStrike': { PidRegex: '^1$' },
};

const CORPUS = fileURLToPath(new URL('../../../shared/velociraptor-artifacts/', import.meta.url));

if (!existsSync(CORPUS)) {
  test('corpus artifacts run', (t) => t.skip(`../shared/velociraptor-artifacts is absent (${CORPUS} not found): corpus not run`));
} else {
  const { repo, runnable, total } = runnableArtifacts(CORPUS);
  test(`corpus artifacts run: ${runnable.length} of ${total} use only what we implement`, async (t) => {
    assert.ok(runnable.length >= 30, `expected at least 30 runnable corpus artifacts, found ${runnable.length}`);
    for (const a of runnable) {
      await t.test(a.artifact.name, async () => {
        const r = await runOne(repo, a, 1, CORPUS, TEST_PARAMETERS[a.artifact.name]);
        // An artifact whose programs could not run may report that itself (Linux.Remediation.Quarantine:
        // "nftables is not installed") - a consequence of execve() being off, not a failure.
        const refused = r.errors.some((e) => /^(execve|shell_session)\(\) is disabled/.test(e))
          || (r.errors.length === 1 && /^Generic\.Utils\.FetchBinary: tool \S+ is not available: .* Put the file at .*, or give --tool \S+=PATH$/.test(r.errors[0]!));
        const unexpected = refused ? [] : r.errors;
        assert.deepEqual(unexpected, [], `${a.artifact.name} logged errors`);
      });
    }
  });
}
