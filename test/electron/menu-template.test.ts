// The application menu as data (main/electron/menu-template.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escCommand, menuTemplate, type KeyInput, type MenuEntry, type MenuSection } from '../../main/electron/menu-template.ts';
import { MENU_COMMANDS, isMenuCommand } from '../../main/ipc/channels.ts';

const entries = (m: MenuSection[]): MenuEntry[] => m.flatMap((s) => s.items);
const commands = (m: MenuSection[]) => entries(m).flatMap((e) => (e.kind === 'command' ? [e] : []));
const roles = (m: MenuSection[], label: string) => m.find((s) => s.label === label)!.items.flatMap((e) => (e.kind === 'role' ? [e.role] : []));

for (const platform of ['linux', 'win32', 'darwin'] as const) {
  for (const isPackaged of [false, true]) {
    test(`${platform}${isPackaged ? ', packaged' : ''}: every command item is a MenuCommand, and each appears once`, () => {
      const m = menuTemplate({ platform, isPackaged });
      const cmds = commands(m).map((c) => c.command);
      for (const c of cmds) assert.ok(isMenuCommand(c), c);
      assert.deepEqual([...cmds].sort(), [...MENU_COMMANDS].sort());
      const accels = commands(m).flatMap((c) => (c.accelerator ? [c.accelerator] : []));
      assert.equal(new Set(accels).size, accels.length, `duplicate accelerator in ${accels.join(', ')}`);
    });
  }
}

test('File and Query carry the documented items and shortcuts', () => {
  const m = menuTemplate({ platform: 'linux', isPackaged: true });
  const labels = (label: string) => m.find((s) => s.label === label)!.items.flatMap((e) => (e.kind === 'command' ? [`${e.label}|${e.accelerator ?? ''}`] : []));
  assert.deepEqual(labels('File'), [
    'Open CSV…|CmdOrCtrl+O', 'Open folder of CSV files…|CmdOrCtrl+Shift+O', 'Import artifact YAML…|',
    'New artifact|CmdOrCtrl+N', 'Save|CmdOrCtrl+S', 'Export CSV|CmdOrCtrl+E', 'Export JSON|CmdOrCtrl+Shift+E',
  ]);
  assert.deepEqual(labels('Query'), ['Run|CmdOrCtrl+Enter', 'Stop (Esc)|CmdOrCtrl+.']);
  assert.deepEqual(m.map((s) => s.label), ['File', 'Edit', 'Query', 'View', 'Window']);
  assert.deepEqual(roles(m, 'Edit'), ['undo', 'redo', 'cut', 'copy', 'paste', 'selectAll']);
  assert.equal(m.find((s) => s.label === 'Window')!.role, 'windowMenu');
});

test('platform and packaging: the macOS app menu, Quit or Close, no reload or devtools when packaged', () => {
  const mac = menuTemplate({ platform: 'darwin', isPackaged: true });
  assert.equal(mac[0]!.role, 'appMenu');
  assert.ok(roles(mac, 'File').includes('close'));
  assert.ok(roles(menuTemplate({ platform: 'win32', isPackaged: true }), 'File').includes('quit'));
  const packaged = roles(menuTemplate({ platform: 'linux', isPackaged: true }), 'View');
  const dev = roles(menuTemplate({ platform: 'linux', isPackaged: false }), 'View');
  for (const r of ['reload', 'forceReload', 'toggleDevTools'] as const) {
    assert.ok(!packaged.includes(r), r);
    assert.ok(dev.includes(r), r);
  }
  assert.ok(packaged.includes('zoomIn') && packaged.includes('togglefullscreen'));
});

test('a bare Esc key press is Stop; anything else is not a command', () => {
  const key = (over: Partial<KeyInput>): KeyInput => ({ type: 'keyDown', key: 'Escape', control: false, meta: false, alt: false, shift: false, ...over });
  assert.equal(escCommand(key({})), 'stop');
  assert.equal(escCommand(key({ type: 'keyUp' })), null);
  assert.equal(escCommand(key({ shift: true })), null);
  assert.equal(escCommand(key({ control: true })), null);
  assert.equal(escCommand(key({ key: 'Enter' })), null);
});
