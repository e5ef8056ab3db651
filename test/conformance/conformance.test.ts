// The conformance vectors of ../shared (vfilter core cases, and Velociraptor's portable golden
// tests) run through scripts/conformance/harness.ts. A case may only fail if it is listed with
// its reason in known-divergences.json; a listed case that passes must be removed from the list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadCases, runCase } from '../../scripts/conformance/harness.ts';

const shared = fileURLToPath(new URL('../../../shared/', import.meta.url));
const known: Record<string, string> = JSON.parse(readFileSync(new URL('./known-divergences.json', import.meta.url), 'utf8'));

const suites = [
  { name: 'vfilter conformance', cases: `${shared}vql/conformance/cases.json`, fixtures: `${shared}vql/conformance/fixtures.json` },
  { name: 'Velociraptor golden testcases', cases: `${shared}velociraptor-testcases/cases.json`, skipMissing: true },
];

for (const suite of suites) {
  if (!existsSync(suite.cases)) {
    test(suite.name, (t) => t.skip(`../shared is absent (${suite.cases} not found): conformance vectors not run`));
    continue;
  }
  const cases = loadCases(suite.cases);
  const fixtures = suite.fixtures ? JSON.parse(readFileSync(suite.fixtures, 'utf8')) : undefined;
  test(`${suite.name}: ${cases.length} cases`, async (t) => {
    for (const c of cases) {
      await t.test(`${c.id} ${c.name}`, async (st) => {
        const r = await runCase(c, { fixtures, skipMissing: suite.skipMissing });
        if (r.status === 'skip') return st.skip(r.detail);
        if (known[c.id]) {
          assert.equal(r.status, 'fail', `${c.id} now passes: remove it from known-divergences.json`);
          return st.skip(`known divergence: ${known[c.id]}`);
        }
        assert.equal(r.status, 'pass', r.detail);
      });
    }
  });
}
