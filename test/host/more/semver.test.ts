// semver(): Velociraptor's golden vectors (comparisons with full, partial and invalid versions)
// and SemVer precedence, members and bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { query } from './helpers.ts';

test('semver() compares with version strings (golden vectors semver #1, #3, #5)', async () => {
  const { rows, logs } = await query(`SELECT semver(version="1.2.3") = "1.2.3" AS A, semver(version="1.2.3") != "1.0.0" AS B,
    semver(version="1.2.3") > "0.1.0" AS C, semver(version="1.2.3") >= "0.1.0" AS D, semver(version="1.2.3") < "2.0.0" AS E,
    semver(version="1.2.3") <= "2.0.0" AS F,
    semver(version="1.0.0") = "1" AS G, semver(version="1.1.0") = "1.1" AS H, semver(version="1") != "1.0.1" AS I,
    semver(version="2.5.1") >= "2.5" AS J, semver(version="2.5") < "3.0" AS K,
    semver(version="1.0.0") = "" AS L, semver(version="1.0.0") = "invalid" AS M, semver(version="1.0.0") > "invalid" AS N,
    semver(version="1.0.0") < "invalid" AS O, semver(version="1.0.0") = 1 AS P, semver(version="1.0.0") < 2 AS Q FROM scope()`);
  assert.deepEqual(logs, []);
  assert.deepEqual(rows, [{ A: true, B: true, C: true, D: true, E: true, F: true, G: true, H: true, I: true, J: true, K: true, L: false, M: false, N: false, O: false, P: false, Q: false }]);
});

test('semver(): SemVer 2.0 precedence (prereleases, numeric identifiers, build metadata ignored), either side, two semvers', async () => {
  const { rows } = await query(`SELECT semver(version="1.0.0-alpha") < "1.0.0" AS A, semver(version="1.0.0-alpha.1") < "1.0.0-alpha.beta" AS B,
    semver(version="1.0.0-alpha.2") < "1.0.0-alpha.10" AS C, semver(version="1.0.0-rc.1") > "1.0.0-beta.11" AS D,
    semver(version="1.0.0+build.5") = "1.0.0" AS E, "2.0.0" > semver(version="1.10.0") AS F, semver(version="1.10.0") > semver(version="1.9.9") AS G,
    semver(version="v1.2.3") = "1.2.3" AS H, semver(version="1.0.0-alpha") < "1.0.0-alpha.1" AS I FROM scope()`);
  assert.deepEqual(rows, [{ A: true, B: true, C: true, D: true, E: true, F: true, G: true, H: true, I: true }]);
});

test('semver(): prints as the normalized version; members Major, Minor, Patch, Prerelease, Metadata, Original', async () => {
  const { rows } = await query(`LET V = semver(version="v2.5-rc.1+b7")
    SELECT V AS V, str(str=semver(version="1")) AS S, V.Major AS Major, V.Minor AS Minor, V.Patch AS Patch, V.Prerelease AS Pre,
      V.Metadata AS Meta, V.Original AS Orig FROM scope()`);
  assert.deepEqual(rows, [{ V: '2.5.0-rc.1+b7', S: '1.0.0', Major: 2, Minor: 5, Patch: 0, Pre: 'rc.1', Meta: 'b7', Orig: 'v2.5-rc.1+b7' }]);
});

test('semver(): a version that does not parse logs an error naming it and gives NULL', async () => {
  const { rows, logs } = await query(`SELECT semver(version="one.two") AS A, semver(version="1.2.3.4") AS B, semver(version="1.0.0-01") AS C FROM scope()`);
  assert.deepEqual(rows, [{ A: null, B: null, C: null }]);
  assert.deepEqual(logs, [
    'error: semver: argument version: "one.two" is not a semantic version (like 1.2.3)',
    'error: semver: argument version: "1.2.3.4" is not a semantic version (like 1.2.3)',
    'error: semver: argument version: "1.0.0-01" is not a semantic version (like 1.2.3)',
  ]);
});
