// In-app help (renderer/lib/help/): the shortcut sheet opens with `?` only outside text fields,
// each shortcut it lists is one the code really handles (checked against the handlers' source),
// and every view has a note pointing at a manual page that exists.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isTextTarget, opensSheet, SHORTCUTS } from '../../renderer/lib/help/shortcuts.ts';
import { VIEW_HELP } from '../../renderer/lib/help/views.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const src = (p: string) => readFileSync(`${root}${p}`, 'utf8');

describe('the shortcut sheet', () => {
  test('? opens it outside text fields only, and not with Ctrl, Alt or Meta', () => {
    const key = (target: unknown, extra: Partial<{ ctrlKey: boolean; altKey: boolean; metaKey: boolean }> = {}) =>
      opensSheet({ key: '?', ctrlKey: false, altKey: false, metaKey: false, target, ...extra });
    assert.equal(key({ tagName: 'BODY' }), true);
    assert.equal(key({ tagName: 'DIV' }), true, 'a grid');
    assert.equal(key({ tagName: 'BUTTON' }), true);
    assert.equal(key({ tagName: 'INPUT', type: 'checkbox' }), true);
    assert.equal(key(null), true);
    assert.equal(key({ tagName: 'INPUT' }), false, 'a text input types the ?');
    assert.equal(key({ tagName: 'INPUT', type: 'search' }), false);
    assert.equal(key({ tagName: 'TEXTAREA' }), false);
    assert.equal(key({ tagName: 'SELECT' }), false);
    assert.equal(key({ tagName: 'DIV', isContentEditable: true }), false, 'a CodeMirror editor');
    assert.equal(key({ tagName: 'BODY' }, { ctrlKey: true }), false);
    assert.equal(opensSheet({ key: '/', ctrlKey: false, altKey: false, metaKey: false, target: null }), false);
    assert.equal(isTextTarget({ tagName: 'input', type: 'NUMBER' }), true);
  });

  test('the keys it lists are handled where it says', () => {
    const all = SHORTCUTS.flatMap((g) => g.shortcuts.map((s) => `${g.title}: ${s.keys}`));
    assert.equal(new Set(all).size, all.length, 'no line twice');
    // Each claim, and the source that makes it true.
    const claims: Array<[string, string, RegExp]> = [
      ['Console and VQL editors: Ctrl+Enter', 'renderer/components/editor/VqlEditor.svelte', /key: 'Mod-Enter'/],
      ['Artifact editor: Ctrl+S', 'renderer/components/editor/Editor.svelte', /key: 'Mod-s'/],
      ['Results tables (console cells, live events): Page Up / Page Down', 'renderer/components/table/ResultsTable.svelte', /PageDown: at \+ 20/],
      ['Results tables (console cells, live events): Esc', 'renderer/components/table/ResultsTable.svelte', /e\.key === 'Escape'\) selected = null/],
      ['Log workbench and monitoring logs grid: Space', 'renderer/components/workbench/WbGrid.svelte', /e\.key === ' '\) \{\s*e\.preventDefault\(\);\s*ontag/],
      ['Log workbench and monitoring logs grid: Enter', 'renderer/components/workbench/WbGrid.svelte', /e\.key === 'Enter'\) \{\s*e\.preventDefault\(\);\s*ondetails/],
      ['Log workbench and monitoring logs grid: Ctrl+Enter (in the SQL box)', 'renderer/components/workbench/SqlPanel.svelte', /e\.key === 'Enter' && \(e\.preventDefault\(\), void run\(\)\)/],
      ['File picker and menus: Backspace', 'renderer/components/workbench/FilePicker.svelte', /ev\.key === 'Backspace'/],
      ['Desktop app menu: Ctrl+O', 'main/electron/menu-template.ts', /'open-csv', 'Open CSV…', 'CmdOrCtrl\+O'/],
      ['Desktop app menu: Ctrl+E / Ctrl+Shift+E', 'main/electron/menu-template.ts', /'CmdOrCtrl\+Shift\+E'/],
      ['Desktop app menu: Ctrl+. or Esc', 'main/electron/menu-template.ts', /'CmdOrCtrl\+\.'/],
    ];
    for (const [claim, file, handler] of claims) {
      assert.ok(all.includes(claim), `the sheet lists ${claim}`);
      assert.match(src(file), handler, `${claim}: handled in ${file}`);
    }
    assert.ok(SHORTCUTS.find((g) => g.title === 'Desktop app menu')?.desktopOnly, 'the menu keys are marked desktop only');
  });
});

describe('help per view', () => {
  test('every view has a few lines and a manual page', () => {
    const tabs = /export type Tab = ([^;]+);/.exec(src('renderer/lib/state/nav.svelte.ts'))![1]!.match(/'(\w+)'/g)!.map((t) => t.slice(1, -1));
    assert.deepEqual(Object.keys(VIEW_HELP).sort(), tabs.sort(), 'one note per view of the app');
    const docs = existsSync(`${root}docs`);
    if (!docs) console.log('# docs/ is absent: the manual pages are not checked');
    for (const [view, h] of Object.entries(VIEW_HELP)) {
      assert.ok(h.lines.length >= 2 && h.lines.length <= 4, `${view}: a few lines`);
      assert.match(h.manual, /^docs\/[a-z0-9-]+\.md$/);
      if (docs) assert.ok(existsSync(`${root}${h.manual}`), `${view}: ${h.manual} exists`);
    }
  });
});
