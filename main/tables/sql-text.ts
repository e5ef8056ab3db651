/**
 * Quoting for SQL that this module family writes itself (never for the SQL box, which runs the
 * user's text as it is): identifiers in double quotes, strings in single quotes. Every name
 * from a file (a column header) and every value from the renderer (a filter operand) goes
 * through one of these.
 */

/** `a"b` -> `"a""b"`: any text as a DuckDB identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `it's` -> `'it''s'`: any text as a DuckDB string literal (NUL characters dropped: DuckDB strings cannot hold them in literals). */
export function lit(text: string): string {
  return `'${text.replace(/\0/g, '').replace(/'/g, "''")}'`;
}

/** A finite number as a SQL literal (DOUBLE), `NULL` otherwise. */
export function num(n: number): string {
  if (!Number.isFinite(n)) return 'NULL';
  return `CAST(${JSON.stringify(n)} AS DOUBLE)`;
}

