/**
 * Application-menu commands (Electron's `app:menu` push) routed to the component they are
 * meant for: every component that can carry a command registers it with the element it lives
 * in; a command goes to the visible target holding the keyboard focus, else to the last
 * visible one registered (the table or cell the user is looking at). No Svelte, testable in Node.
 */
import type { MenuCommand } from '../../../main/ipc/contract.ts';

/** What the registry needs of a DOM element (so tests can pass plain objects). */
export interface CommandElement {
  readonly isConnected: boolean;
  contains(other: unknown): boolean;
  getClientRects(): { length: number };
}

interface Target {
  el: () => CommandElement | null | undefined;
  run: () => void;
}

const targets = new Map<MenuCommand, Target[]>();

/** Registers `run` for `command` while `el()` is on screen; returns the unregister function. */
export function onCommand(command: MenuCommand, el: Target['el'], run: () => void): () => void {
  const t: Target = { el, run };
  const list = targets.get(command) ?? [];
  list.push(t);
  targets.set(command, list);
  return () => {
    const i = list.indexOf(t);
    if (i >= 0) list.splice(i, 1);
  };
}

/** Registers several commands for one element at once; returns one function unregistering them all. */
export function onCommands(el: Target['el'], runs: Partial<Record<MenuCommand, () => void>>): () => void {
  const offs = Object.entries(runs).map(([command, run]) => onCommand(command as MenuCommand, el, run!));
  return () => offs.forEach((off) => off());
}

function visible(el: CommandElement | null | undefined): el is CommandElement {
  // Hidden tabs (the `hidden` attribute) have no layout boxes.
  return !!el && el.isConnected && el.getClientRects().length > 0;
}

/** Runs `command` on its target; false when nothing on screen can carry it. */
export function dispatchCommand(command: MenuCommand, focused: unknown): boolean {
  const shown = (targets.get(command) ?? []).filter((t) => visible(t.el()));
  if (shown.length === 0) return false;
  const target = shown.find((t) => focused != null && t.el()!.contains(focused)) ?? shown[shown.length - 1]!;
  target.run();
  return true;
}
