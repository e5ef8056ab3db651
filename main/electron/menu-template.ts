/**
 * The application menu as plain data: items carry a MenuCommand (pushed to the focused window
 * as `app:menu`) or a standard Electron role. main/electron/menu.ts turns it into an Electron
 * Menu; tests read it directly.
 */
import type { MenuCommand } from '../ipc/contract.ts';
import { APP_NAME } from './policy.ts';

/** The Electron roles this menu uses (a subset of MenuItemConstructorOptions['role']). */
export type MenuRole =
  | 'undo' | 'redo' | 'cut' | 'copy' | 'paste' | 'selectAll' | 'quit' | 'close'
  | 'reload' | 'forceReload' | 'toggleDevTools' | 'resetZoom' | 'zoomIn' | 'zoomOut' | 'togglefullscreen'
  | 'appMenu' | 'windowMenu';

/** One menu item: a command for the renderer, a standard role, or a separator. */
export type MenuEntry =
  | { readonly kind: 'command'; readonly command: MenuCommand; readonly label: string; readonly accelerator?: string }
  | { readonly kind: 'role'; readonly role: MenuRole }
  | { readonly kind: 'separator' };

/** A top-level menu: its items, or a role that brings its own (macOS app menu, Window). */
export interface MenuSection {
  readonly label: string;
  readonly role?: MenuRole;
  readonly items: readonly MenuEntry[];
}

const cmd = (command: MenuCommand, label: string, accelerator?: string): MenuEntry =>
  ({ kind: 'command', command, label, ...(accelerator ? { accelerator } : {}) });
const role = (r: MenuRole): MenuEntry => ({ kind: 'role', role: r });
const sep: MenuEntry = { kind: 'separator' };

/**
 * The menu for a platform. Reload and the developer tools appear only in development: a reload
 * would throw away the analyst's open results, and a packaged app has no use for devtools.
 */
export function menuTemplate(o: { platform: NodeJS.Platform; isPackaged: boolean }): MenuSection[] {
  const mac = o.platform === 'darwin';
  const sections: MenuSection[] = [];
  if (mac) sections.push({ label: APP_NAME, role: 'appMenu', items: [] });
  sections.push(
    {
      label: 'File',
      items: [
        cmd('open-csv', 'Open CSV…', 'CmdOrCtrl+O'),
        cmd('open-folder', 'Open folder of CSV files…', 'CmdOrCtrl+Shift+O'),
        cmd('open-artifact', 'Import artifact YAML…'),
        sep,
        cmd('new-artifact', 'New artifact', 'CmdOrCtrl+N'),
        cmd('save', 'Save', 'CmdOrCtrl+S'),
        sep,
        cmd('export-csv', 'Export CSV', 'CmdOrCtrl+E'),
        cmd('export-json', 'Export JSON', 'CmdOrCtrl+Shift+E'),
        sep,
        role(mac ? 'close' : 'quit'),
      ],
    },
    { label: 'Edit', items: [role('undo'), role('redo'), sep, role('cut'), role('copy'), role('paste'), role('selectAll')] },
    // Stop's Esc is not a menu accelerator (that would take Esc from the editor): see escCommand.
    { label: 'Query', items: [cmd('run', 'Run', 'CmdOrCtrl+Enter'), cmd('stop', 'Stop (Esc)', 'CmdOrCtrl+.')] },
    {
      label: 'View',
      items: [
        ...(o.isPackaged ? [] : [role('reload'), role('forceReload'), role('toggleDevTools'), sep]),
        role('resetZoom'), role('zoomIn'), role('zoomOut'), sep, role('togglefullscreen'),
      ],
    },
    { label: 'Window', role: 'windowMenu', items: [] },
  );
  return sections;
}

/** The parts of a keyboard event (Electron's `before-input-event` Input) that select a command. */
export interface KeyInput {
  readonly type: string;
  readonly key: string;
  readonly control: boolean;
  readonly meta: boolean;
  readonly alt: boolean;
  readonly shift: boolean;
}

/**
 * The command of a key press the menu cannot carry: a bare Esc is Stop. The key still reaches
 * the page (the editor closes its completion list with it), so this is observed, not captured.
 */
export function escCommand(input: KeyInput): MenuCommand | null {
  const bare = !input.control && !input.meta && !input.alt && !input.shift;
  return input.type === 'keyDown' && input.key === 'Escape' && bare ? 'stop' : null;
}
