// The manual's links (test/docs/links.ts): every relative link of README.md and docs/*.md points
// to a file that exists, and to a heading or <a id> of that page when it names one; every
// picture of docs/screenshots/ a page shows exists, or (not produced yet) is skipped with a
// notice naming the e2e test that writes it. The checker itself is tested first on pages written
// here, so a checker that finds nothing cannot pass for a manual without broken links.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { anchors, checkPage, extractLinks, manualPages, shotWriter, slug } from './links.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('the link checker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vql-docs-links-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("GitHub's slugs: lower case, punctuation and backticks dropped, spaces to '-'", () => {
    assert.equal(slug('When vql serve stops or restarts'), 'when-vql-serve-stops-or-restarts');
    assert.equal(slug("The live view starts from today's log"), 'the-live-view-starts-from-todays-log');
    assert.equal(slug('More of library: ip, cidr_contains, file_nocase'), 'more-of-library-ip-cidr_contains-file_nocase');
    assert.deepEqual([...anchors('# A `b` c\n## Same\n## Same\n```\n# not a heading\n```\n<a id="x-1"></a>\n')], ['a-b-c', 'same', 'same-1', 'x-1']);
  });

  test('links are found with their line, not inside code', () => {
    const text = 'See [a](a.md) and\n![pic](screenshots/p.png), `[no](x.md)`\n```\n[no](y.md)\n```\n[b `c`](b.md#h) [web](https://example.com)\n';
    assert.deepEqual(extractLinks(text), [
      { target: 'a.md', line: 1, image: false },
      { target: 'screenshots/p.png', line: 2, image: true },
      { target: 'b.md#h', line: 6, image: false },
      { target: 'https://example.com', line: 6, image: false },
    ]);
  });

  test('a missing file, a missing anchor and an unproduced picture are each reported', () => {
    mkdirSync(join(dir, 'docs', 'screenshots'), { recursive: true });
    mkdirSync(join(dir, 'test', 'e2e'), { recursive: true });
    writeFileSync(join(dir, 'test', 'e2e', 'views.test.ts'), "await app.docsShot('views-1440x900');\n");
    writeFileSync(join(dir, 'docs', 'screenshots', 'here.png'), '');
    writeFileSync(join(dir, 'docs', 'b.md'), '# B\n## Has it\n');
    writeFileSync(
      join(dir, 'docs', 'a.md'),
      '# A\n[ok](b.md#has-it) [self](#a) ![ok](screenshots/here.png)\n[gone](c.md)\n[no anchor](b.md#lacks-it)\n' +
        '![later](screenshots/views-1440x900.png)\n![never](screenshots/nobody-1440x900.png)\n',
    );
    const problems = checkPage(dir, join('docs', 'a.md'));
    assert.deepEqual(
      problems.map((p) => [p.kind, p.line, p.target]),
      [
        ['broken', 3, 'c.md'],
        ['broken', 4, 'b.md#lacks-it'],
        ['unshot', 5, 'screenshots/views-1440x900.png'],
        ['broken', 6, 'screenshots/nobody-1440x900.png'],
      ],
    );
    assert.match(problems[2]!.message, /run test\/e2e\/views\.test\.ts/);
    assert.match(problems[3]!.message, /no e2e test writes it/);
  });

  test("a picture named from a template (docsShot(`${shot}-${w}x${h}`)) is found by its prefix", () => {
    const e2e = join(dir, 'test', 'e2e');
    writeFileSync(join(e2e, 'layout.test.ts'), "await checkFit('Packs', 'packs', grid);\nawait app.docsShot(`${shot}-${size.width}x${size.height}`);\n");
    assert.equal(shotWriter('packs-1024x700', e2e), 'layout.test.ts');
    assert.equal(shotWriter('views-1440x900', e2e), 'views.test.ts');
    assert.equal(shotWriter('unknown-1440x900', e2e), null);
  });
});

describe('the manual: README.md and docs/*.md', () => {
  const pages = manualPages(root);

  test('the README and the table of contents are there', () => {
    assert.ok(pages.includes('README.md'), 'README.md');
    assert.ok(pages.includes(join('docs', 'README.md')), 'docs/README.md, the table of contents');
  });

  test('every page is reachable from the table of contents', () => {
    const toc = extractLinks(readText(join(root, 'docs', 'README.md'))).map((l) => l.target.split('#')[0]);
    const unlisted = pages.filter((p) => p.startsWith('docs') && p !== join('docs', 'README.md') && !toc.includes(p.slice('docs/'.length)));
    assert.deepEqual(unlisted, [], 'pages docs/README.md does not link to');
  });

  for (const page of pages) {
    test(`${page}: every relative link and picture resolves`, (t) => {
      const problems = checkPage(root, page);
      assert.deepEqual(problems.filter((p) => p.kind === 'broken').map((p) => p.message), []);
      // Pictures not produced yet: every other link of the page was checked; say which e2e
      // test writes each, and mark the page's test skipped rather than passed.
      const unshot = problems.filter((p) => p.kind === 'unshot');
      if (unshot.length) {
        console.log(unshot.map((p) => `# ${p.message}`).join('\n'));
        t.skip(`${unshot.length} picture(s) not produced yet: ${unshot.map((p) => p.message).join('; ')}`);
      }
    });
  }
});

function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
