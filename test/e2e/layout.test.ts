// Layouts that fit, in Chromium at 1440x900 and 1024x700: every view of the app with realistic
// content (a day of monitoring rows, live cards with long names and rows arriving, a long
// artifact in the editor with the run form open, the library with the run form, a CSV of 5,000
// rows in the log workbench, console cells with results, the packs list). For each view and
// size, from bounding boxes: the main table or editor starts above the fold and fills the height
// left to it, no toolbar button's text wraps (one line box), nothing is wider than the window;
// the splitters move their panes by drag and by keyboard (and Enter collapses a side pane) and
// the size is remembered in localStorage across a reload. The pictures are the manual's
// (docs/screenshots/<view>-<size>.png).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { MonitoringStore } from '../../main/collector/store.ts';
import { VDict } from '../../main/vql/values/types.ts';
import { e2eSkip, openApp, type App } from './harness.ts';

const SIZES = [{ width: 1440, height: 900 }, { width: 1024, height: 700 }] as const;
type Size = (typeof SIZES)[number];
const T = { timeout: 120_000 };

/** An event artifact with a long name (the live view's cards), collecting a row a second. */
const LONG_EVENT = 'Custom.Windows.EventLogs.PowerShellScriptBlockMonitoring';
const longEvent = `name: ${LONG_EVENT}
description: A clock standing in for a busy event source, with a name as long as Velociraptor's longest.
type: CLIENT_EVENT
sources:
  - query: SELECT Unix AS Timestamp, 'ScriptBlock' AS Kind FROM clock(period=1)
`;

/** A long CLIENT artifact (about 240 lines) with parameters: the editor with the run form. */
const LONG_CLIENT = 'Custom.Linux.Forensics.LongInventory';
function longClient(): string {
  const params = Array.from({ length: 30 }, (_, i) => `  - name: Option${i}\n    description: Option number ${i} of the inventory, which changes nothing.\n    type: ${i % 3 === 0 ? 'bool' : 'string'}\n    default: "${i % 3 === 0 ? 'N' : `value-${i}`}"\n`).join('');
  const fields = Array.from({ length: 80 }, (_, i) => `             '${'x'.repeat(i % 20)}' AS Field${i}`).join(',\n');
  return `name: ${LONG_CLIENT}
description: |
  A long artifact for the layout test: many parameters and a long query, as the artifacts an
  analyst writes tend to become.
type: CLIENT
parameters:
  - name: ProcessRegex
    description: Keep processes whose name matches this regex.
    type: regex
    default: .
${params}sources:
  - query: |
      SELECT Hostname, OS,
${fields}
      FROM info()
`;
}

/** Saves an artifact through the host (as the app does), so every view's list has it at once. */
async function saveArtifact(page: Page, yaml: string): Promise<void> {
  const ok = await page.evaluate(async (text) => {
    const ws = new WebSocket(`ws://${location.host}/ws`, ['vql.v1', `vql.token.${sessionStorage.getItem('vql-workbench.token')}`]);
    await new Promise((r) => ws.addEventListener('open', r));
    ws.send(JSON.stringify({ type: 'invoke', id: 1, channel: 'artifacts:save', args: [text] }));
    const reply = await new Promise<string>((r) => ws.addEventListener('message', (m) => r(String(m.data))));
    ws.close();
    return JSON.parse(reply).result.ok as boolean;
  }, yaml);
  assert.equal(ok, true, 'the artifact was saved');
}

interface Fit {
  /** Buttons whose text takes more than one line (their text and line count). */
  wrapped: string[];
  /** The page's and the view's widths against the window's. */
  scrollWidth: number;
  viewScrollWidth: number;
  /** Elements sticking out of the window on the right. */
  outside: string[];
}

/** What does not fit in the view (`region`): wrapped buttons, horizontal overflow. */
function measure(view: Locator): Promise<Fit> {
  return view.evaluate((root) => {
    // The text of each line an element's text takes (a line starts where a character sits lower).
    const lineTexts = (el: Element): string[] => {
      const out: string[] = [];
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      const range = document.createRange();
      let line = '';
      let last: number | null = null;
      for (let t = walker.nextNode(); t; t = walker.nextNode()) {
        const text = t.textContent ?? '';
        for (let i = 0; i < text.length; i++) {
          range.setStart(t, i);
          range.setEnd(t, i + 1);
          const r = range.getBoundingClientRect();
          if (r.width === 0 && r.height === 0) continue;
          if (last !== null && r.top > last + r.height / 2) (out.push(line), (line = ''));
          line += text[i];
          last = r.top;
        }
      }
      if (line.trim()) out.push(line);
      return out.filter((l) => l.trim());
    };
    const visible = (el: Element) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
    };
    // Toolbar buttons keep one line. Buttons that are entries of a list (artifact names, days)
    // may wrap, but only between words or after a dot or slash, never inside a word.
    const wrapped: string[] = [];
    for (const b of Array.from(root.querySelectorAll('button, label.import'))) {
      if (!visible(b) || !b.textContent?.trim()) continue;
      const lines = lineTexts(b);
      if (lines.length < 2) continue;
      const listEntry = !!b.closest('li');
      if (listEntry && lines.slice(0, -1).every((l) => /[\s./\\]$/.test(l))) continue;
      wrapped.push(`${JSON.stringify(lines)}${listEntry ? ' (inside a word)' : ''}`);
    }
    const outside: string[] = [];
    for (const el of Array.from(root.querySelectorAll('button, input, select, h2, h3, table, [role=grid], [role=separator]'))) {
      if (!visible(el)) continue;
      // Inside a grid, columns beyond its width are the grid's business (it scrolls sideways).
      const scrolled = !!el.parentElement?.closest('[role=grid]');
      const r = el.getBoundingClientRect();
      if (!scrolled && r.right > window.innerWidth + 1) outside.push(`${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 40)}" ends at ${Math.round(r.right)}`);
    }
    // No box but a grid or the code editor scrolls sideways (a table wider than its pane hides its actions).
    for (const el of Array.from(root.querySelectorAll('*'))) {
      if (!visible(el) || el.closest('[role=grid], .cm-editor')) continue;
      const s = getComputedStyle(el);
      if (/(auto|scroll)/.test(s.overflowX) && el.scrollWidth > el.clientWidth + 1) outside.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} scrolls sideways (${el.scrollWidth} > ${el.clientWidth})`);
    }
    return { wrapped, scrollWidth: document.documentElement.scrollWidth, viewScrollWidth: root.scrollWidth, outside };
  });
}

describe('e2e: layouts that fit at 1440x900 and 1024x700', { skip: e2eSkip() }, () => {
  let app: App;
  let page: Page;
  before(async () => {
    app = await openApp('layout', {}, { collector: true });
    page = app.page;
    // A day of Generic.Client.Stats rows, one every 10 s (8,640), and a second artifact.
    const T0 = Date.parse('2024-03-01T00:00:00Z') / 1000;
    const store = new MonitoringStore({ datastore: join(app.dir, 'datastore'), now: () => new Date('2024-03-01T12:00:00Z') });
    const day = Array.from({ length: 8640 }, (_, i) => VDict.fromObject({
      Timestamp: T0 + i * 10, CPU: 1 + i * 0.013, RSS: 60_000_000 + ((i * 7919) % 5_000_000), CPUPercent: ((i * 37) % 100) / 1000, _ts: T0 + i * 10,
    }));
    await store.append('Generic.Client.Stats', day);
    await store.append('Generic.Events.ProcessStart', Array.from({ length: 50 }, (_, i) => VDict.fromObject({ Pid: 1000 + i, Name: `proc${i}`, _ts: T0 + i * 600 })));
    await store.close();
    // A CSV for the log workbench.
    const evidence = join(app.dir, 'evidence');
    mkdirSync(evidence);
    const csv = ['Time,User,Host,EventID,Message', ...Array.from({ length: 5000 }, (_, i) =>
      `${new Date((T0 + i * 17) * 1000).toISOString()},user${i % 13},host-${i % 7}.corp.example,${4624 + (i % 5)},"Logon ${i} from 10.0.${i % 255}.${(i * 7) % 255}"`)].join('\n');
    writeFileSync(join(evidence, 'security-events.csv'), csv + '\n');
    // tsx names the functions of the page.evaluate() callbacks with esbuild's __name helper.
    await app.context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
    await saveArtifact(page, longEvent);
    await saveArtifact(page, longClient());
    await page.reload();
  });
  after(async () => app?.close());

  const view = (name: string) => page.getByRole('region', { name, exact: true });
  const tab = (name: string) => page.getByRole('tab', { name, exact: true }).click();

  /**
   * At each size: `main` starts above the fold and reaches (within `slack` px) the bottom of the
   * window, no button wraps, nothing sticks out; then the manual's picture.
   */
  async function checkFit(name: string, shot: string, main: () => Locator, opts: { slack?: number; minHeight?: (s: Size) => number } = {}) {
    for (const size of SIZES) {
      await page.setViewportSize(size);
      // Two frames for the layout to settle (ResizeObserver, the chart's size).
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const at = `${name} at ${size.width}x${size.height}`;
      await app.screenshot(`${shot}-${size.width}x${size.height}`);
      const box = await main().boundingBox();
      assert.ok(box, `${at}: the main table or editor is on screen`);
      const bottom = box.y + box.height;
      assert.ok(bottom <= size.height + 1, `${at}: it ends inside the window (bottom ${Math.round(bottom)})`);
      assert.ok(bottom >= size.height - (opts.slack ?? 24), `${at}: it fills the height left to it (bottom ${Math.round(bottom)} of ${size.height})`);
      const minHeight = opts.minHeight?.(size) ?? 150;
      assert.ok(box.y + minHeight <= size.height, `${at}: it starts above the fold (y=${Math.round(box.y)})`);
      assert.ok(box.height >= minHeight, `${at}: it has room (${Math.round(box.height)} px high, want ${minHeight})`);
      const fit = await measure(view(name));
      assert.deepEqual(fit.wrapped, [], `${at}: no button's text wraps`);
      assert.deepEqual(fit.outside, [], `${at}: nothing sticks out on the right`);
      assert.ok(fit.scrollWidth <= size.width, `${at}: the page is ${fit.scrollWidth}px wide`);
      await app.docsShot(`${shot}-${size.width}x${size.height}`);
    }
    await page.setViewportSize(SIZES[0]);
  }

  /** Waits until `probe` gives the same answer over three frames in a row (at most about 5 s). */
  async function settled(probe: () => Promise<string>) {
    let last = await probe();
    for (let same = 0, tries = 0; same < 3 && tries < 300; tries++) {
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
      const now = await probe();
      same = now === last ? same + 1 : 0;
      last = now;
    }
  }

  /**
   * The separator `label` moves the first pane (`pane`, left or above it) by drag and by keys;
   * Enter collapses the sized pane when it may (`collapsible`: the first pane is the sized one).
   */
  async function checkSplitter(label: string, pane: () => Locator, axis: 'x' | 'y', opts: { collapsible?: boolean } = {}) {
    const sep = page.getByRole('separator', { name: label });
    const length = async () => {
      const b = (await pane().boundingBox())!;
      return axis === 'x' ? b.width : b.height;
    };
    // The layout settles first (a viewport change reaches the split through a ResizeObserver, a
    // frame later): the drag must start where the separator is, from the size it has.
    await settled(async () => JSON.stringify([await pane().boundingBox(), await sep.boundingBox()]));
    const before = await length();
    const s = (await sep.boundingBox())!;
    const [cx, cy] = [s.x + s.width / 2, s.y + s.height / 2];
    // Drag the separator 80 px right or down: the first pane grows by 80, the second shrinks.
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(cx + (axis === 'x' ? 40 : 0), cy + (axis === 'y' ? 40 : 0), { steps: 4 });
    await page.mouse.move(cx + (axis === 'x' ? 80 : 0), cy + (axis === 'y' ? 80 : 0), { steps: 4 });
    await page.mouse.up();
    await settled(async () => String(await length()));
    const dragged = await length();
    assert.ok(Math.abs(dragged - (before + 80)) <= 2, `${label}: the drag moved the separator by 80 px (${before} → ${dragged})`);
    // The keyboard: an arrow key moves it 16 px, with Shift 64 px; aria-valuenow (the sized pane's size) follows.
    const valueNow = async () => Number(await sep.getAttribute('aria-valuenow'));
    const v0 = await valueNow();
    await sep.focus();
    const back = axis === 'x' ? 'ArrowLeft' : 'ArrowUp';
    await sep.press(back);
    assert.ok(Math.abs((await length()) - (dragged - 16)) <= 1, `${label}: ${back} moves it 16 px`);
    assert.equal(Math.abs((await valueNow()) - v0), 16, `${label}: aria-valuenow follows`);
    await sep.press(`Shift+${back}`);
    const keyed = await length();
    assert.ok(Math.abs(keyed - (dragged - 80)) <= 1, `${label}: Shift+${back} moves it 64 px more (${keyed})`);
    assert.equal(Math.abs((await valueNow()) - v0), 80);
    if (opts.collapsible) {
      await sep.press('Enter');
      assert.ok((await length()) <= 8, `${label}: Enter collapses the pane`);
      assert.equal(await valueNow(), 0);
      await sep.press('Enter');
      assert.ok(Math.abs((await length()) - keyed) <= 1, `${label}: Enter again restores it`);
    }
    return keyed;
  }

  test('Console: cells with results', T, async () => {
    await tab('Console');
    const console_ = view('Console');
    await console_.getByRole('button', { name: 'Run', exact: true }).first().click();
    await console_.getByRole('grid', { name: 'Results' }).getByRole('gridcell').first().waitFor();
    // The console is a notebook: it scrolls; its first cell and results start at the top.
    for (const size of SIZES) {
      await page.setViewportSize(size);
      const box = (await console_.getByRole('grid', { name: 'Results' }).boundingBox())!;
      assert.ok(box.y < size.height * 0.5, `the results start above the fold (y=${box.y})`);
      const fit = await measure(console_);
      assert.deepEqual(fit.wrapped, []);
      assert.deepEqual(fit.outside, []);
      assert.ok(fit.scrollWidth <= size.width);
      await app.docsShot(`console-${size.width}x${size.height}`);
    }
    await page.setViewportSize(SIZES[0]);
  });

  test('Artifacts: the library, and with the run form a splitter between them', T, async () => {
    await tab('Artifacts');
    const lib = view('Artifacts');
    const table = () => lib.getByRole('table', { name: 'Artifacts' });
    await table().getByRole('cell', { name: LONG_CLIENT, exact: true }).waitFor();
    for (const size of SIZES) {
      await page.setViewportSize(size);
      const fit = await measure(lib);
      assert.deepEqual(fit.wrapped, [], `${size.width}: no button wraps`);
      assert.deepEqual(fit.outside, [], `${size.width}: the actions column is inside the window`);
      assert.ok(fit.scrollWidth <= size.width);
      await app.docsShot(`artifacts-${size.width}x${size.height}`);
    }
    await page.setViewportSize(SIZES[0]);
    await lib.getByRole('button', { name: 'Run Generic.System.Pslist' }).click();
    const form = () => lib.getByRole('form', { name: 'Run Generic.System.Pslist' });
    await form().getByRole('button', { name: 'Run', exact: true }).click();
    await form().getByRole('grid', { name: 'Results' }).getByRole('gridcell').first().waitFor({ timeout: 30_000 });
    await checkFit('Artifacts', 'artifacts-run', () => form().getByRole('grid', { name: 'Results' }), { minHeight: (s) => (s.height < 800 ? 90 : 150) });
    // The list keeps rows on screen above the form.
    assert.ok(((await lib.locator('.list').boundingBox())!.height) >= 100);
    await checkSplitter('Resize the artifact list and the run form', () => lib.locator('.list'), 'y');
  });

  test('Editor: a long artifact with the run form open keeps a real editor and a real table', T, async () => {
    await tab('Artifacts');
    await view('Artifacts').getByRole('button', { name: `Open ${LONG_CLIENT}` }).click();
    const ed = view('Editor');
    await ed.getByText('valid', { exact: true }).waitFor({ timeout: 30_000 });
    await ed.getByRole('button', { name: 'Run this artifact' }).click();
    const form = () => ed.getByRole('form', { name: `Run ${LONG_CLIENT}` });
    await form().getByRole('button', { name: 'Run', exact: true }).click();
    await form().getByRole('grid', { name: 'Results' }).getByRole('gridcell').first().waitFor({ timeout: 30_000 });
    const code = () => ed.locator('.cm-editor');
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const lines = await ed.locator('.cm-line').evaluateAll((ls) => ls.filter((l) => {
        const r = l.getBoundingClientRect();
        const host = l.closest('.cm-scroller')!.getBoundingClientRect();
        return r.top >= host.top - 1 && r.bottom <= host.bottom + 1;
      }).length);
      assert.ok(lines >= 10, `${size.width}x${size.height}: the editor shows ${lines} whole lines beside the run form (want 10 or more)`);
    }
    await checkFit('Editor', 'editor-run', () => form(), { slack: 12, minHeight: (s) => (s.height < 800 ? 250 : 350) });
    const grid = (await form().getByRole('grid', { name: 'Results' }).boundingBox())!;
    assert.ok(grid.height >= 60, `the run form's results have room (${grid.height} px)`);
    await checkSplitter('Resize the editor and the run form', code, 'y');
    // Remembered: after a reload the editor keeps the height it was given.
    const height = (await code().boundingBox())!.height;
    assert.ok(await page.evaluate(() => localStorage.getItem('vql-workbench.layout.editor.run')), 'the size is in localStorage');
    await page.reload();
    await tab('Artifacts');
    await view('Artifacts').getByRole('button', { name: `Open ${LONG_CLIENT}` }).click();
    await ed.getByRole('button', { name: 'Run this artifact' }).click();
    await form().waitFor();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    assert.ok(Math.abs((await code().boundingBox())!.height - height) <= 2, 'the editor has the remembered height after a reload');
  });

  test('Live events: several cards with long names, the live view\'s table fills the height', T, async () => {
    await tab('Live events');
    const ev = view('Live events');
    for (const name of ['Generic.Client.Stats', LONG_EVENT]) {
      const card = ev.getByRole('region', { name, exact: true });
      if (name === 'Generic.Client.Stats') {
        await card.getByText('Parameters').click();
        await card.getByLabel('Frequency').fill('1');
      }
      await card.getByRole('button', { name: 'Start', exact: true }).click();
      await card.getByText('running').waitFor({ timeout: 10_000 });
    }
    const live = () => ev.getByRole('region', { name: 'Live rows of Generic.Client.Stats' });
    await ev.getByRole('region', { name: 'Generic.Client.Stats', exact: true }).getByRole('button', { name: 'View', exact: true }).click();
    await ev.getByRole('region', { name: 'Live rows of Generic.Client.Stats' }).getByRole('figure', { name: /Chart: [1-9]\d* points/ }).waitFor({ timeout: 15_000 });
    // The card titles wrap after a dot, never inside a word.
    for (const size of SIZES) {
      await page.setViewportSize(size);
      const title = ev.getByRole('region', { name: LONG_EVENT, exact: true }).locator('.name');
      const words = await title.evaluate((el) => {
        const text = el.textContent!;
        const range = document.createRange();
        const tops: number[] = [];
        const node = [...el.childNodes].flatMap((n) => n.nodeType === 3 ? [n] : [...n.childNodes]).filter((n) => n.nodeType === 3);
        let line = '';
        const out: string[] = [];
        let last: number | null = null;
        for (const t of node) for (let i = 0; i < t.textContent!.length; i++) {
          range.setStart(t, i);
          range.setEnd(t, i + 1);
          const top = Math.round(range.getBoundingClientRect().top);
          if (last !== null && top > last + 4) (out.push(line), (line = ''));
          line += t.textContent![i];
          last = top;
          tops.push(top);
        }
        out.push(line);
        return { text, lines: out };
      });
      assert.equal(words.lines.join(''), LONG_EVENT);
      for (const l of words.lines.slice(0, -1)) assert.match(l, /\.$/, `${size.width}: the title breaks after a dot: ${JSON.stringify(words.lines)}`);
    }
    await page.setViewportSize(SIZES[0]);
    // The long-named card's rows arrive too; the picture shows Generic.Client.Stats with its chart.
    await ev.getByRole('region', { name: LONG_EVENT, exact: true }).getByText(/[1-9]\d* rows today/).waitFor({ timeout: 15_000 });
    await live().getByRole('figure', { name: /Chart: ([6-9]|\d\d+) points/ }).waitFor({ timeout: 15_000 });
    await checkFit('Live events', 'live-events', () => live().getByRole('grid', { name: 'Live rows' }), { minHeight: (s) => (s.height < 800 ? 200 : 300) });
    await checkSplitter('Resize the event artifact list', () => ev.getByRole('region', { name: 'Event artifacts', includeHidden: true }), 'x', { collapsible: true });
    for (const name of ['Generic.Client.Stats', LONG_EVENT]) {
      const card = ev.getByRole('region', { name, exact: true });
      await card.getByRole('button', { name: 'Stop', exact: true }).click();
      await card.getByText('stopped').waitFor({ timeout: 10_000 });
    }
  });

  test('Monitoring logs: a day of rows, the grid below the chart fills the height beside the pickers', T, async () => {
    await tab('Monitoring logs');
    const logs = view('Monitoring logs');
    await logs.getByRole('button', { name: /^Generic\.Client\.Stats/ }).click();
    // The live view's run logged today too: open the day written before.
    await logs.getByRole('navigation', { name: 'Days of Generic.Client.Stats' }).getByRole('button', { name: /^2024-03-01/ }).click();
    await logs.getByRole('button', { name: 'Open', exact: true }).click();
    await page.waitForFunction(() => /8,640 rows · .* loaded in/.test(document.querySelector('[aria-label="Log rows"] [aria-label="Table summary"]')?.textContent?.replace(/\s+/g, ' ') ?? ''), null, { timeout: 30_000 });
    await logs.getByRole('figure', { name: /^Chart: 8,?640 rows/ }).waitFor({ timeout: 30_000 });
    const grid = () => logs.getByRole('grid', { name: 'Log rows' });
    await grid().locator('[role=row][data-row="1"]').waitFor();
    await checkFit('Monitoring logs', 'monitoring-logs', grid, { minHeight: (s) => (s.height < 800 ? 250 : 400) });
    // The pickers sit in one column beside the table, which gets most of the width.
    for (const size of SIZES) {
      await page.setViewportSize(size);
      const g = (await grid().boundingBox())!;
      assert.ok(g.width >= size.width * 0.6, `${size.width}: the grid is ${Math.round(g.width)} px wide`);
    }
    await page.setViewportSize(SIZES[0]);
    await checkSplitter('Resize the artifact and day pickers', () => logs.locator('.side'), 'x', { collapsible: true });
    // Collapsed, the table takes the whole width; the restore button brings the pickers back.
    const sep = page.getByRole('separator', { name: 'Resize the artifact and day pickers' });
    await sep.press('Enter');
    assert.ok((await grid().boundingBox())!.width >= 1440 - 80);
    await app.screenshot('logs-collapsed');
    await logs.getByRole('button', { name: 'Show the artifact and day pickers' }).click();
    assert.ok(((await logs.locator('.side').boundingBox())!.width) > 150);
  });

  test('Logs workbench: a CSV with the side panel; the grid fills the height', T, async () => {
    await tab('Logs workbench');
    const wb = view('Logs workbench');
    await wb.getByRole('button', { name: 'Open file…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Path').fill(join(app.dir, 'evidence', 'security-events.csv'));
    await dialog.getByLabel('Path').press('Enter');
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
    await page.waitForFunction(() => /5,000 rows · .* loaded in/.test(document.querySelector('[aria-label="Logs workbench"] [aria-label="Table summary"]')?.textContent?.replace(/\s+/g, ' ') ?? ''), null, { timeout: 30_000 });
    const grid = () => wb.getByRole('grid', { name: 'Workbench rows' });
    await grid().locator('[role=row][data-row="1"]').waitFor();
    await grid().locator('[role=row][data-row="1"]').click();
    await checkFit('Logs workbench', 'logs-workbench', grid, { minHeight: (s) => (s.height < 800 ? 400 : 600) });
    // The side panel is resized from the separator before it: the grid (the first pane) takes what it leaves.
    await checkSplitter('Resize the side panel', grid, 'x');
    const side = (await wb.getByRole('complementary', { name: 'Side panel' }).boundingBox())!;
    // 320 px at first, 80 less by the drag, 16 + 64 more by the keys.
    assert.ok(Math.abs(side.width - 320) <= 1, `the side panel is ${side.width} px wide`);
    assert.deepEqual(JSON.parse((await page.evaluate(() => localStorage.getItem('vql-workbench.layout.table.side')))!), { size: 320, collapsed: false });
  });

  test('Packs: the list and the import side by side or stacked, without overflow', T, async () => {
    await tab('Packs');
    const packs = view('Packs');
    await packs.getByRole('list', { name: 'Artifacts to pack' }).getByText(LONG_CLIENT).waitFor();
    await packs.getByRole('button', { name: 'Select shown' }).click();
    await checkFit('Packs', 'packs', () => packs.getByRole('list', { name: 'Artifacts to pack' }), { slack: 200, minHeight: () => 100 });
    assert.deepEqual(app.errors, []);
  });
});
