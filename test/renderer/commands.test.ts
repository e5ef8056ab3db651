// Menu commands go to the visible target with the focus, else the last visible one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dispatchCommand, onCommand, onCommands, type CommandElement } from '../../renderer/lib/state/commands.ts';

function el(shown: boolean, children: unknown[] = []): CommandElement {
  return { isConnected: true, contains: (o) => o === undefined ? false : children.includes(o), getClientRects: () => ({ length: shown ? 1 : 0 }) };
}

test('a command reaches the focused visible target, else the last visible, never a hidden one', () => {
  const ran: string[] = [];
  const focus = {};
  const offs = [
    onCommand('export-csv', () => el(true, [focus]), () => ran.push('a')),
    onCommand('export-csv', () => el(true), () => ran.push('b')),
    onCommand('export-csv', () => el(false), () => ran.push('hidden')),
  ];
  assert.equal(dispatchCommand('export-csv', focus), true);
  assert.equal(dispatchCommand('export-csv', null), true);
  assert.deepEqual(ran, ['a', 'b']);
  assert.equal(dispatchCommand('export-json', null), false, 'nothing registered');
  offs.forEach((off) => off());
  assert.equal(dispatchCommand('export-csv', null), false, 'unregistered');
});

test('onCommands registers several commands for one element and unregisters them together', () => {
  const ran: string[] = [];
  const off = onCommands(() => el(true), { run: () => ran.push('run'), stop: () => ran.push('stop') });
  assert.equal(dispatchCommand('run', null), true);
  assert.equal(dispatchCommand('stop', null), true);
  off();
  assert.equal(dispatchCommand('run', null), false);
  assert.deepEqual(ran, ['run', 'stop']);
});
