// esedbexport (libesedb, Debian package libesedb-utils) as an oracle: exports every table of a
// database and compares its cells with what parse_ese() gives, in libesedb's text forms.
//
// Where libesedb 20181229 cannot say (checked in its source), a cell is not compared with it
// but must be of the known kind, and the suites check those values against what the writer wrote:
// - long values: libesedb builds the keys of long-value tree entries from the wrong bytes
//   (libesedb_page_tree.c appends the value's first bytes, its key size included, instead of
//   the local key), so every long value is "unable to retrieve" and exported empty;
// - fixed columns that are NULL: libesedb does not read the NULL bitmap and exports the zero bytes;
// - IEEESingle: exported as 0.000000 whatever the value;
// - multi-valued columns that are not text: exported empty.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OracleTable {
  name: string;
  header: string[];
  rows: string[][];
}

/** Every table esedbexport writes for `file` (and what it said on stderr). */
export function esedbExport(file: string): { tables: Map<string, OracleTable>; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ese-oracle-'));
  try {
    let stderr = '';
    try {
      execFileSync('esedbexport', ['-t', join(dir, 'x'), file], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      stderr = String((e as { stderr?: Buffer }).stderr ?? e);
      throw new Error(`esedbexport failed on ${file}: ${stderr}`);
    }
    const out = join(dir, 'x.export');
    const tables = new Map<string, OracleTable>();
    for (const f of readdirSync(out)) {
      const name = f.replace(/\.\d+$/, '');
      const lines = readFileSync(join(out, f), 'utf8').split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      const header = lines.shift()!.split('\t');
      tables.set(name, { name, header, rows: lines.map((l) => l.split('\t')) });
    }
    return { tables, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface CatalogColumn {
  Table: string;
  Column: string;
  JetType: string;
  Space: string;
}

/** How a value of parse_ese() (its JSON form) reads in esedbexport's output. */
function oracleText(v: unknown, type: string): string {
  if (v === null || v === undefined) return '';
  switch (type) {
    case 'Bit':
      return v ? 'true' : 'false';
    case 'Currency':
      return BigInt.asUintN(64, BigInt(v as number)).toString();
    case 'IEEEDouble':
      return (v as number).toFixed(6);
    case 'GUID': {
      const h = String(v).replace(/[{}-]/g, '').toLowerCase();
      const b = Buffer.from(h, 'hex');
      b.subarray(0, 4).reverse();
      b.subarray(4, 6).reverse();
      b.subarray(6, 8).reverse();
      return b.toString('hex');
    }
    case 'Text':
    case 'LongText':
      return Array.isArray(v) ? v.join('; ') : String(v);
    default:
      return Array.isArray(v) ? v.join('; ') : String(v);
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The time (ms) of an OLE date as libesedb prints it: converted to a FILETIME and printed as
 * `May 01, 2024 07:59:59.231231068` (its conversion is off by up to a second: the tests allow
 * that), or when it cannot, its 64 bits as two hex words, `(0xHIGH 0xLOW)`.
 */
function oracleDate(cell: string): number | null {
  const h = /^\(0x([0-9a-f]{8}) 0x([0-9a-f]{8})\)$/.exec(cell);
  if (h) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(parseInt(h[2]!, 16), 0);
    b.writeUInt32LE(parseInt(h[1]!, 16), 4);
    const days = b.readDoubleLE(0);
    const whole = Math.trunc(days);
    return Math.round((whole - 25569) * 86_400_000 + Math.abs(days - whole) * 86_400_000);
  }
  const m = /^([A-Z][a-z]{2}) (\d\d), (\d{4}) (\d\d):(\d\d):(\d\d)\.(\d{9})$/.exec(cell);
  if (!m) return null;
  return Date.UTC(Number(m[3]), MONTHS.indexOf(m[1]!), Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6])) + Number(m[7]) / 1e6;
}

export interface Comparison {
  compared: number;
  /** Cells libesedb cannot say, by reason (see the header of this file). */
  skipped: Record<string, number>;
  mismatches: string[];
}

const ZERO = /^(0|false|0\.000000|(00)+|\(0x00000000 0x00000000\)|)$/;

/**
 * Compares the rows parse_ese() gave for `table` (JSON form) with esedbexport's, cell by cell,
 * in column order; `columns` is parse_ese_catalog()'s rows for the table.
 */
/** Rows as plain objects from their JSON, big integers kept as their digits. */
export function plainRows(json: string): Array<Record<string, unknown>> {
  return JSON.parse(json.replace(/([:[,])(-?\d{16,})(?=[,}\]])/g, '$1"$2"')) as Array<Record<string, unknown>>;
}

export function compareTable(oracle: OracleTable, rows: Array<Record<string, unknown>>, columns: CatalogColumn[], lvThreshold: number): Comparison {
  const res: Comparison = { compared: 0, skipped: {}, mismatches: [] };
  const skip = (why: string) => (res.skipped[why] = (res.skipped[why] ?? 0) + 1);
  const byName = new Map(columns.map((c) => [c.Column, c]));
  if (oracle.rows.length !== rows.length) res.mismatches.push(`${oracle.name}: esedbexport has ${oracle.rows.length} rows, parse_ese ${rows.length}`);
  const names = columns.map((c) => c.Column);
  if (oracle.header.join('\t') !== names.join('\t')) res.mismatches.push(`${oracle.name}: columns differ: ${oracle.header.join(',')} vs ${names.join(',')}`);
  rows.forEach((row, r) => {
    const cells = oracle.rows[r] ?? [];
    oracle.header.forEach((name, c) => {
      const cell = cells[c] ?? '';
      const col = byName.get(name);
      const v = row[name];
      if (!col) return;
      const where = `${oracle.name} row ${r} ${name}`;
      if (col.Space === 'Fixed' && (v === null || v === undefined)) {
        if (ZERO.test(cell)) skip('fixed NULL (libesedb ignores the NULL bitmap)');
        else res.mismatches.push(`${where}: parse_ese NULL, esedbexport ${JSON.stringify(cell)}`);
        return;
      }
      if (col.JetType === 'IEEESingle' && cell === '0.000000') {
        skip('IEEESingle (libesedb exports 0.000000)');
        return;
      }
      if (Array.isArray(v) && col.JetType !== 'Text' && col.JetType !== 'LongText' && cell === '') {
        skip('multi-valued non-text (libesedb exports nothing)');
        return;
      }
      if ((col.JetType === 'LongText' || col.JetType === 'LongBinary') && cell === '' && v !== null) {
        const size = col.JetType === 'LongBinary' ? String(v).length / 2 : Buffer.byteLength(String(v), 'utf16le');
        if (size > lvThreshold - 8) {
          skip('long value (libesedb 20181229 cannot look long values up)');
          return;
        }
      }
      if (typeof v === 'string' && col.JetType.endsWith('Text') && cell !== v && cell.length * 2 === v.length && Buffer.from(cell, 'utf16le').toString('latin1') === v) {
        skip('7-bit ASCII of even length (libesedb reads it as UTF-16)');
        return;
      }
      res.compared++;
      if (col.JetType === 'DateTime') {
        const t = oracleDate(cell);
        const mine = Date.parse(String(v));
        if (t === null || !(Math.abs(t - mine) < 1000)) res.mismatches.push(`${where}: parse_ese ${JSON.stringify(v)}, esedbexport ${cell}`);
        return;
      }
      if (col.JetType === 'LongLong' && /^[A-Z][a-z]{2} \d\d, /.test(cell)) {
        // esedbexport prints some SRUM columns it knows (ConnectStartTime...) as FILETIMEs.
        const ms = Number((BigInt(String(v)) - 116444736000000000n) / 10000n);
        if (oracleDate(cell) !== ms) res.mismatches.push(`${where}: parse_ese ${JSON.stringify(v)} (FILETIME ${new Date(ms).toISOString()}), esedbexport ${cell}`);
        return;
      }
      const mine = oracleText(v, col.JetType);
      if (mine !== cell) res.mismatches.push(`${where}: parse_ese ${JSON.stringify(mine)}, esedbexport ${JSON.stringify(cell)}`);
    });
  });
  return res;
}
