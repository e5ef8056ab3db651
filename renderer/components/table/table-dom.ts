/**
 * The results table's contacts with the browser: downloading an export and the clipboard.
 * Kept out of lib/table (pure, tested in Node) and out of the components (markup only).
 */
import { EXPORT_MIME, exportChunks, exportFileName, type ExportFormat } from '../../lib/table/export.ts';
import { cellText, jsonText } from '../../lib/table/cell-text.ts';
import type { TableView } from '../../lib/table/view.ts';

/**
 * Downloads the view as a file through Blob + <a download>. Chunks are produced between
 * macrotasks so a million-row export keeps the page responsive.
 */
export async function downloadView(view: TableView, format: ExportFormat, neutralize: boolean, name: string | undefined): Promise<string> {
  const parts: string[] = [];
  for (const part of exportChunks(view, format, { neutralize })) {
    parts.push(part);
    await new Promise((r) => setTimeout(r, 0));
  }
  const file = exportFileName(name, format);
  const url = URL.createObjectURL(new Blob(parts, { type: EXPORT_MIME[format] }));
  const a = document.createElement('a');
  a.href = url;
  a.download = file;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has taken its copy once the click's task has run.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return file;
}

/** Copies text; false when neither the async clipboard nor the legacy copy command is allowed. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // No permission or an unfocused page: fall through to the legacy path below.
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false; // execCommand is gone in some browsers: the caller tells the user to select and copy
  }
  area.remove();
  return ok;
}

/** Every field of a source row, in display order (hidden columns included), as an object. */
export function rowObject(view: TableView, row: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of view.layout.ordered()) {
    const col = view.source.columns[c];
    const v = view.source.cell(row, c);
    out[col.name] = col.type === 'timestamp' && typeof v === 'number' ? cellText(v, 'timestamp') : v;
  }
  return out;
}

/** The row as pretty JSON for "Copy row". */
export function rowJson(view: TableView, row: number): string {
  return jsonText(rowObject(view, row), 2);
}
