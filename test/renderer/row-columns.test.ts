// Rows of objects as table cells: first-seen column order, type from the first non-null value,
// epoch times in time-named columns as timestamp columns in milliseconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RowSource } from '../../renderer/lib/table/source.ts';
import { cellText } from '../../renderer/lib/table/cell-text.ts';

test("Generic.Client.Stats' Timestamp (epoch seconds, a float) is a timestamp column shown as ISO", () => {
  const s = new RowSource();
  s.append([{ Timestamp: 1796191199.904, CPU: 2.86, RSS: 205533184, _ts: 1796191199, Pid: 1234567890 }]);
  assert.deepEqual(s.columns.map((c) => `${c.name}:${c.type}`), ['Timestamp:timestamp', 'CPU:number', 'RSS:number', '_ts:timestamp', 'Pid:number']);
  assert.equal(s.cell(0, 0), 1796191199904);
  assert.equal(cellText(s.cell(0, 0), 'timestamp'), '2026-12-02T05:59:59.904Z');
  assert.equal(s.cell(0, 4), 1234567890, 'an epoch-sized number in a column not named like a time stays a number');
});

test('epoch milliseconds; a null first value leaves the type open; other values pass through', () => {
  const s = new RowSource();
  s.append([{ EventTime: null, Name: 'a' }, { EventTime: 1714550400000, Name: 'b' }, { EventTime: 'not yet', Name: 'c' }]);
  assert.equal(s.columns[0]!.type, 'timestamp');
  assert.equal(s.cell(1, 0), 1714550400000);
  assert.equal(s.cell(2, 0), 'not yet', 'a later non-number is kept as it is');
  s.clear();
  s.append([{ EventTime: 5 }]);
  assert.equal(s.columns[0]!.type, 'number', 'clear forgets the old types');
});
