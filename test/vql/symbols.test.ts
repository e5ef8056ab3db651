// A symbol that is not in scope but is a field of a row's column says where it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, createRegistry } from '../../main/vql/index.ts';

async function logsOf(text: string): Promise<string[]> {
  const logs: string[] = [];
  await collect(text, { registry: createRegistry(), log: (l, m) => logs.push(`${l}: ${m}`) });
  return logs;
}

test('a missing symbol that is a nested field: did you mean Column.Field', async () => {
  const logs = await logsOf('LET X = SELECT dict(RSS=5, VMS=6) AS MemoryInfo, 1 AS Pid FROM scope() SELECT Pid, RSS FROM X');
  assert.ok(logs.includes('warn: Symbol RSS not found: did you mean MemoryInfo.RSS? (RSS is a field of the column MemoryInfo)'), logs.join('\n'));
  const plain = await logsOf('LET X = SELECT 1 AS Pid FROM scope() SELECT Nope FROM X');
  assert.ok(plain.includes('warn: Symbol Nope not found'), plain.join('\n'));
});
