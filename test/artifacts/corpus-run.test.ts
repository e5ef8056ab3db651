// The corpus artifacts that use only what this engine implements must also run: each runs
// with its defaults and preconditions evaluated; event artifacts for one second. The only
// error allowed is execve() being off (running programs needs the user's permission).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runOne, runnableArtifacts } from '../../scripts/corpus-run.ts';

const CORPUS = fileURLToPath(new URL('../../../shared/velociraptor-artifacts/', import.meta.url));

if (!existsSync(CORPUS)) {
  test('corpus artifacts run', (t) => t.skip(`../shared/velociraptor-artifacts is absent (${CORPUS} not found): corpus not run`));
} else {
  const { repo, runnable, total } = runnableArtifacts(CORPUS);
  test(`corpus artifacts run: ${runnable.length} of ${total} use only what we implement`, async (t) => {
    assert.ok(runnable.length >= 30, `expected at least 30 runnable corpus artifacts, found ${runnable.length}`);
    for (const a of runnable) {
      await t.test(a.artifact.name, async () => {
        const r = await runOne(repo, a, 1, CORPUS);
        const unexpected = r.errors.filter((e) => !e.startsWith('execve() is disabled'));
        assert.deepEqual(unexpected, [], `${a.artifact.name} logged errors`);
      });
    }
  });
}
