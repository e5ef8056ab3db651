// The workbench grid's cell text (lib/workbench/cells.ts): numbers rounded for the eye and
// percent columns as percents, as in the page's other tables; the whole value where it matters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TableColumn } from '../../main/ipc/contract.ts';
import { cellDisplay, cellFullText } from '../../renderer/lib/workbench/cells.ts';

const col = (name: string, type: TableColumn['type']): TableColumn => ({ name, type, sqlType: type === 'number' ? 'DOUBLE' : 'VARCHAR' });

test('the grid rounds floats and shows *Percent columns as percents; the full text keeps the value', () => {
  assert.equal(cellDisplay(1.1800000000000002, col('CPU', 'number')), '1.18');
  assert.equal(cellFullText(1.1800000000000002, col('CPU', 'number')), '1.1800000000000002');
  assert.equal(cellDisplay(0.0118, col('CPUPercent', 'number')), '1.18%');
  assert.equal(cellFullText(0.0118, col('CPUPercent', 'number')), '0.0118');
  assert.equal(cellDisplay(60007919, col('RSS', 'number')), '60007919', 'integers as they are');
  assert.equal(cellDisplay('0.5', col('Note', 'text')), '0.5', 'text is never rounded');
  assert.equal(cellDisplay(null, col('CPU', 'number')), '');
});
