/**
 * Which files an import reads and in what order: a folder's CSV-like files (hidden files and
 * other types skipped) sorted by name with numbers compared as numbers, so daily files
 * `2024-01-02.csv`, `2024-01-02.1.csv`, `2024-01-10.csv` come in day order, parts after the day.
 */

/** A file to import and the name it is shown under (its path inside a chosen folder). */
export interface NamedFile {
  file: Blob;
  name: string;
}

const CSV_LIKE = /\.(csv|tsv|psv|txt)$/i;

/** Sorts by name: numbers as numbers, `day.csv` before `day.1.csv`. */
export function compareNames(a: string, b: string): number {
  const key = (s: string) => s.replace(/\.csv$/i, '.0.csv');
  return key(a).localeCompare(key(b), 'en', { numeric: true });
}

/**
 * The files to read, in order. `fromFolder`: keep only CSV-like names and skip hidden ones
 * (a folder holds other things); files picked one by one are all read.
 */
export function orderFiles(files: NamedFile[], fromFolder: boolean): NamedFile[] {
  const kept = fromFolder ? files.filter((f) => CSV_LIKE.test(f.name) && !f.name.split('/').some((p) => p.startsWith('.'))) : files;
  return [...kept].sort((a, b) => compareNames(a.name, b.name));
}

/** The name an export of the imported table gets: the file's (or folder's) base name. */
export function exportNameOf(files: NamedFile[]): string {
  const first = files[0]?.name ?? 'import';
  if (files.length > 1 && first.includes('/')) return first.split('/')[0]!;
  return first.split('/').pop()!.replace(/\.[^.]+$/, '') || 'import';
}

/** Minimal FileSystemEntry shapes of a drop (webkitGetAsEntry), to walk dropped folders. */
interface Entry {
  isFile: boolean;
  isDirectory: boolean;
  fullPath: string;
  file?(ok: (f: File) => void, fail: (e: unknown) => void): void;
  createReader?(): { readEntries(ok: (entries: Entry[]) => void, fail: (e: unknown) => void): void };
}

/** The files of a drop: dropped folders are walked (their files named by path). */
export async function droppedFiles(data: DataTransfer): Promise<{ files: NamedFile[]; hasFolder: boolean }> {
  const entries: Entry[] = [];
  for (const item of Array.from(data.items ?? [])) {
    const entry = (item as unknown as { webkitGetAsEntry?: () => Entry | null }).webkitGetAsEntry?.();
    if (entry) entries.push(entry);
  }
  if (entries.length === 0) return { files: Array.from(data.files).map((f) => ({ file: f, name: f.name })), hasFolder: false };
  const files: NamedFile[] = [];
  for (const e of entries) await walk(e, files);
  return { files, hasFolder: entries.some((e) => e.isDirectory) };
}

async function walk(entry: Entry, out: NamedFile[]): Promise<void> {
  if (entry.isFile && entry.file) {
    const file = await new Promise<File>((ok, fail) => entry.file!(ok, fail));
    out.push({ file, name: entry.fullPath.replace(/^\//, '') });
  } else if (entry.isDirectory && entry.createReader) {
    const reader = entry.createReader();
    // readEntries returns at most 100 entries per call: read until it returns none.
    for (;;) {
      const batch = await new Promise<Entry[]>((ok, fail) => reader.readEntries(ok, fail));
      if (batch.length === 0) break;
      for (const e of batch) await walk(e, out);
    }
  }
}
