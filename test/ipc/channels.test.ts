// The IPC allow-lists (main/ipc/channels.ts) against the contract itself: the typecheck
// already ties them to `keyof Invoke` etc.; these read main/ipc/contract.ts with the TypeScript
// parser and compare with the running service, so a drift shows up at run time too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import {
  INVOKE_CHANNELS, MENU_COMMANDS, PUSH_CHANNELS, SEND_CHANNELS, isInvokeChannel, isMenuCommand, isPushChannel, isSendChannel,
} from '../../main/ipc/channels.ts';
import { AppService } from '../../main/app/service.ts';

const source = ts.createSourceFile('contract.ts', readFileSync('main/ipc/contract.ts', 'utf8'), ts.ScriptTarget.ES2022, true);

/** Member names of an interface of the contract. */
function members(name: string): string[] {
  const decl = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
  assert.ok(decl, `interface ${name} in the contract`);
  return decl.members.map((m) => (m.name && ts.isStringLiteral(m.name) ? m.name.text : m.name?.getText() ?? '')).sort();
}

/** The string literals of a union type alias of the contract. */
function unionOf(name: string): string[] {
  const decl = source.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === name);
  assert.ok(decl && ts.isUnionTypeNode(decl.type), `type ${name} is a union in the contract`);
  return decl.type.types.map((t) => ((t as ts.LiteralTypeNode).literal as ts.StringLiteral).text).sort();
}

const sorted = (xs: readonly string[]) => [...xs].sort();

test('the allow-lists are exactly the contract\'s channels', () => {
  assert.deepEqual(sorted(INVOKE_CHANNELS), members('Invoke'));
  assert.deepEqual(sorted(SEND_CHANNELS), members('Send'));
  assert.deepEqual(sorted(PUSH_CHANNELS), members('Push'));
  assert.deepEqual(sorted(MENU_COMMANDS), unionOf('MenuCommand'));
  assert.ok(INVOKE_CHANNELS.length >= 19 && PUSH_CHANNELS.includes('app:menu'));
});

test('the service answers every request channel and every message channel', () => {
  const s = new AppService({ userArtifacts: join(mkdtempSync(join(tmpdir(), 'vql-ch-')), 'artifacts'), push: () => {} });
  try {
    assert.deepEqual(sorted(Object.keys(s.handlers)), sorted(INVOKE_CHANNELS));
    assert.deepEqual(sorted(Object.keys(s.sendHandlers)), sorted(SEND_CHANNELS));
  } finally {
    s.cancelAll();
  }
});

test('the guards accept the listed channels and nothing else', () => {
  for (const c of INVOKE_CHANNELS) assert.ok(isInvokeChannel(c), c);
  for (const c of SEND_CHANNELS) assert.ok(isSendChannel(c), c);
  for (const c of PUSH_CHANNELS) assert.ok(isPushChannel(c), c);
  for (const c of MENU_COMMANDS) assert.ok(isMenuCommand(c), c);
  for (const bad of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'vql:run ', 'VQL:RUN', '', 42, null, undefined, {}, ['vql:run']]) {
    assert.equal(isInvokeChannel(bad), false, String(bad));
    assert.equal(isSendChannel(bad), false, String(bad));
    assert.equal(isPushChannel(bad), false, String(bad));
    assert.equal(isMenuCommand(bad), false, String(bad));
  }
  // A channel of one kind is not one of another.
  assert.equal(isSendChannel('vql:run'), false);
  assert.equal(isInvokeChannel('vql:cancel'), false);
  assert.equal(isInvokeChannel('vql:rows'), false);
});
