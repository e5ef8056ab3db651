/**
 * A SQL box result (`table:sql`, at most a few thousand rows) as a TableSource, so the page's
 * results table (components/table/ResultsTable.svelte) shows it with its sort, filters, copy
 * and export. Nested values arrive as JSON text and are parsed, so they show and copy as JSON;
 * the engine's big integers stay as their digits. No DOM.
 */
import type { TableSqlResult } from '../../../main/ipc/contract.ts';
import type { Cell, ColumnInfo, TableSource } from '../table/source.ts';

export class SqlResultSource implements TableSource {
  readonly columns: readonly ColumnInfo[];
  private readonly cells: Cell[][];

  constructor(result: TableSqlResult) {
    // Names repeated in a result (SELECT a, a) keep their own columns: the layout numbers them.
    this.columns = result.columns.map((c) => ({ name: c.name, type: c.type }));
    const json = result.columns.map((c) => c.type === 'json');
    this.cells = result.cells.map((row) => row.map((v, i) => (json[i] && typeof v === 'string' ? parse(v) : v)));
  }

  get rowCount(): number {
    return this.cells.length;
  }

  cell(row: number, col: number): Cell {
    return this.cells[row]?.[col] ?? null;
  }

  subscribe(): () => void {
    return () => {};
  }
}

function parse(text: string): Cell {
  try {
    return JSON.parse(text) as Cell;
  } catch {
    return text;
  }
}
