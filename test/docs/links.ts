/**
 * The manual's links, checked: every relative link of a Markdown page (README.md, docs/*.md)
 * must point to a file that exists and, when it names an anchor (`page.md#heading`), to a heading
 * of that page (GitHub's slugs) or an `<a id="...">`. Pictures under docs/screenshots/ are written
 * by the end-to-end tests (`app.docsShot(name)`), so a missing one is reported with the e2e test
 * that writes it, to be produced by running that test, rather than as a broken link.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** A link found in a page: its target as written, the line it is on (1-based), image or not. */
export interface Link {
  target: string;
  line: number;
  image: boolean;
}

/** What is wrong with one link, or a picture not produced yet. */
export interface LinkProblem {
  page: string;
  line: number;
  target: string;
  /** `broken`: a file or anchor that does not exist; `unshot`: a screenshot an e2e test writes. */
  kind: 'broken' | 'unshot';
  message: string;
}

/** The text with fenced code blocks and inline code spans blanked (same length, same lines). */
export function withoutCode(text: string): string {
  const lines = text.split('\n');
  let fence: string | null = null;
  const out = lines.map((line) => {
    const m = /^\s*(```+|~~~+)/.exec(line);
    if (fence) {
      if (m && m[1]!.startsWith(fence)) fence = null;
      return ' '.repeat(line.length);
    }
    if (m) {
      fence = m[1]!;
      return ' '.repeat(line.length);
    }
    return line;
  });
  // Inline code: `x` and ``x``, possibly over a line break (wrapped text), blanked to 'x'.
  return out.join('\n').replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (s) => s.replace(/[^\n]/g, 'x'));
}

/** Every inline link and image of a Markdown text (not inside code). */
export function extractLinks(text: string): Link[] {
  const plain = withoutCode(text);
  const links: Link[] = [];
  const re = /(!?)\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
  for (let m = re.exec(plain); m; m = re.exec(plain)) {
    const line = plain.slice(0, m.index).split('\n').length;
    // The target is read from the original text (code blanking never touches it: it is not code).
    links.push({ target: m[2]!, line, image: m[1] === '!' });
  }
  return links;
}

/** GitHub's anchor for a heading's text: lower case, punctuation dropped, spaces to '-'. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a page: its headings' slugs (repeats get -1, -2...) and `<a id>`/`name`. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fence: string | null = null;
  for (const line of text.split('\n')) {
    const f = /^\s*(```+|~~~+)/.exec(line);
    if (fence) {
      if (f && f[1]!.startsWith(fence)) fence = null;
      continue;
    }
    if (f) {
      fence = f[1]!;
      continue;
    }
    const h = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      // A heading's code spans keep their words; a link keeps its text.
      const base = slug(h[1]!.replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'));
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const a of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(a[1]!);
  }
  return out;
}

/**
 * Which e2e test writes the screenshot `name` (without `.png`): the test file that spells the
 * name, or that builds it from its prefix (`docsShot(\`${shot}-${w}x${h}\`)` with `'packs'`).
 */
export function shotWriter(name: string, e2eDir: string): string | null {
  if (!existsSync(e2eDir)) return null;
  const files = readdirSync(e2eDir).filter((f) => f.endsWith('.ts')).sort();
  const texts = files.map((f) => [f, readFileSync(join(e2eDir, f), 'utf8')] as const).filter(([, t]) => t.includes('docsShot('));
  for (const [f, t] of texts) if (t.includes(`'${name}'`) || t.includes(`"${name}"`) || t.includes(`\`${name}\``)) return f;
  const prefix = name.replace(/-\d+x\d+$/, '');
  for (const [f, t] of texts) {
    if (t.includes(`'${prefix}'`) && /docsShot\(`\$\{/.test(t)) return f;
    if (t.includes(`docsShot(\`${prefix}-\${`)) return f;
  }
  return null;
}

/** The problems of one page's links. `root` is the repository; `page` a path under it. */
export function checkPage(root: string, page: string): LinkProblem[] {
  const path = join(root, page);
  const text = readFileSync(path, 'utf8');
  const problems: LinkProblem[] = [];
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOf = (file: string) => {
    if (!anchorCache.has(file)) anchorCache.set(file, anchors(readFileSync(file, 'utf8')));
    return anchorCache.get(file)!;
  };
  for (const link of extractLinks(text)) {
    const { target, line } = link;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto: ...
    const hash = target.indexOf('#');
    const file = hash < 0 ? target : target.slice(0, hash);
    const anchor = hash < 0 ? '' : decodeURIComponent(target.slice(hash + 1));
    const dest = file === '' ? path : resolve(dirname(path), decodeURIComponent(file));
    const where = relative(root, dest);
    if (!existsSync(dest)) {
      const shots = join(root, 'docs', 'screenshots');
      if (dest.startsWith(shots) && dest.endsWith('.png')) {
        const name = dest.slice(shots.length + 1, -'.png'.length);
        const writer = shotWriter(name, join(root, 'test', 'e2e'));
        problems.push(
          writer
            ? { page, line, target, kind: 'unshot', message: `${page}:${line}: ${where} is not produced yet: run test/e2e/${writer} (it calls app.docsShot('${name}'))` }
            : { page, line, target, kind: 'broken', message: `${page}:${line}: ${where} does not exist, and no e2e test writes it (no app.docsShot('${name}') in test/e2e/): add one, or link another picture` },
        );
      } else {
        problems.push({ page, line, target, kind: 'broken', message: `${page}:${line}: link to ${where}, which does not exist: fix the path` });
      }
      continue;
    }
    if (anchor && statSync(dest).isFile() && dest.endsWith('.md') && !anchorsOf(dest).has(anchor)) {
      problems.push({ page, line, target, kind: 'broken', message: `${page}:${line}: ${where} has no heading or <a id> for #${anchor}: fix the anchor (GitHub's slug of the heading)` });
    }
  }
  return problems;
}

/** README.md and every docs/*.md of the repository, as paths relative to it. */
export function manualPages(root: string): string[] {
  const docs = join(root, 'docs');
  const pages = existsSync(join(root, 'README.md')) ? ['README.md'] : [];
  if (existsSync(docs)) for (const f of readdirSync(docs).sort()) if (f.endsWith('.md')) pages.push(join('docs', f));
  return pages;
}
