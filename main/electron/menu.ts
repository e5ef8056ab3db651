/**
 * Turns the menu data (menu-template.ts) into Electron's application menu: command items call
 * `onCommand`, which main.ts pushes to the focused window as `app:menu`.
 */
import { Menu, type MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../ipc/contract.ts';
import type { MenuEntry, MenuSection } from './menu-template.ts';

function item(e: MenuEntry, onCommand: (command: MenuCommand) => void): MenuItemConstructorOptions {
  switch (e.kind) {
    case 'separator':
      return { type: 'separator' };
    case 'role':
      return { role: e.role };
    case 'command':
      return { label: e.label, accelerator: e.accelerator, click: () => onCommand(e.command) };
  }
}

/** Makes `sections` the application menu. */
export function installMenu(sections: readonly MenuSection[], onCommand: (command: MenuCommand) => void): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(sections.map((s): MenuItemConstructorOptions =>
    s.role ? { label: s.label, role: s.role } : { label: s.label, submenu: s.items.map((e) => item(e, onCommand)) })));
}
