/**
 * The keyboard shortcuts of the app, as the shortcut sheet (`?`, components/help) lists them.
 * Collected from the code that handles them (each group names its source), so the sheet says
 * what the keys really do: when a handler changes, change its line here. The desktop menu's
 * accelerators (main/electron/menu-template.ts) exist only in the Electron app and are listed
 * apart. Pure: tested in plain Node.
 */

export interface Shortcut {
  /** Key names joined by `+` (`Ctrl+Enter`); Ctrl is Cmd (⌘) on macOS. */
  keys: string;
  what: string;
}

export interface ShortcutGroup {
  /** Where the keys work. */
  title: string;
  shortcuts: Shortcut[];
  /** Only in the desktop (Electron) app, not in the page `vql serve` shows. */
  desktopOnly?: boolean;
}

export const SHORTCUTS: readonly ShortcutGroup[] = [
  {
    // components/help/ShortcutSheet.svelte
    title: 'Anywhere',
    shortcuts: [
      { keys: '?', what: 'Show this sheet (when the focus is not in a text field)' },
      { keys: 'Esc', what: 'Close this sheet, a help note, a menu or a dialog' },
    ],
  },
  {
    // components/editor/VqlEditor.svelte, lib/editor/setup.ts (CodeMirror's keymaps)
    title: 'Console and VQL editors',
    shortcuts: [
      { keys: 'Ctrl+Enter', what: 'Run the console cell' },
      { keys: 'Ctrl+Space', what: 'Complete plugin, function and argument names' },
      { keys: 'Ctrl+Z / Ctrl+Shift+Z', what: 'Undo / redo' },
      { keys: 'Tab / Shift+Tab', what: 'Indent / unindent the selected lines' },
    ],
  },
  {
    // components/editor/Editor.svelte
    title: 'Artifact editor',
    shortcuts: [
      { keys: 'Ctrl+S', what: 'Save the artifact (asks first when it would replace another)' },
      { keys: 'Ctrl+Space', what: 'Complete names inside query fields' },
    ],
  },
  {
    // components/table/ResultsTable.svelte
    title: 'Results tables (console cells, live events)',
    shortcuts: [
      { keys: '↑ / ↓', what: 'Select the row above / below' },
      { keys: 'Page Up / Page Down', what: 'Move the selection 20 rows' },
      { keys: 'Home / End', what: 'Select the first / last row' },
      { keys: 'Ctrl+C', what: 'Copy the selected row as JSON' },
      { keys: 'Esc', what: 'Clear the selection' },
    ],
  },
  {
    // components/workbench/WbGrid.svelte, WbToolbar.svelte, SqlPanel.svelte
    title: 'Log workbench and monitoring logs grid',
    shortcuts: [
      { keys: '↑ / ↓ / Page Up / Page Down / Home / End', what: 'Move the selection' },
      { keys: 'Space', what: 'Tag or untag the selected row' },
      { keys: 'Enter', what: 'Show the selected row in the details pane' },
      { keys: 'Ctrl+C', what: 'Copy the selected row as JSON (when no text is selected)' },
      { keys: 'Enter (in a filter or the search box)', what: 'Apply it now, without waiting' },
      { keys: 'Ctrl+Enter (in the SQL box)', what: 'Run the SQL' },
    ],
  },
  {
    // components/workbench/FilePicker.svelte, Menu.svelte
    title: 'File picker and menus',
    shortcuts: [
      { keys: '↑ / ↓ / Home / End', what: 'Move in the list or the menu (Page Up / Page Down too in the file picker)' },
      { keys: 'Enter', what: 'Open the folder or pick the file' },
      { keys: 'Backspace', what: 'Go up to the parent folder (file picker)' },
      { keys: 'Esc / Tab', what: 'Close the menu' },
    ],
  },
  {
    // main/electron/menu-template.ts
    title: 'Desktop app menu',
    desktopOnly: true,
    shortcuts: [
      { keys: 'Ctrl+O', what: 'Open CSV…' },
      { keys: 'Ctrl+Shift+O', what: 'Open folder of CSV files…' },
      { keys: 'Ctrl+N', what: 'New artifact' },
      { keys: 'Ctrl+S', what: 'Save' },
      { keys: 'Ctrl+E / Ctrl+Shift+E', what: 'Export CSV / Export JSON of the table on screen' },
      { keys: 'Ctrl+Enter', what: 'Run' },
      { keys: 'Ctrl+. or Esc', what: 'Stop' },
    ],
  },
];

/**
 * Whether a key press belongs to a text field rather than to the app: inputs (but not
 * checkboxes, radios and buttons), text areas, selects and editable content (the CodeMirror
 * editors). `?` there types a question mark.
 */
export function isTextTarget(el: { tagName?: string; isContentEditable?: boolean; type?: string } | null | undefined): boolean {
  if (!el) return false;
  if (el.isContentEditable) return true;
  const tag = (el.tagName ?? '').toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file', 'image'].includes((el.type ?? 'text').toLowerCase());
}

/** Whether a key press opens the shortcut sheet: `?` with no Ctrl, Alt or Meta, outside a text field. */
export function opensSheet(e: { key: string; ctrlKey: boolean; altKey: boolean; metaKey: boolean; target: unknown }): boolean {
  return e.key === '?' && !e.ctrlKey && !e.altKey && !e.metaKey && !isTextTarget(e.target as Parameters<typeof isTextTarget>[0]);
}
