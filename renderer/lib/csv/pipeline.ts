/**
 * The whole import as the worker runs it, without the worker: read each Blob slice by slice
 * (never the whole file as one string), decode it (UTF-8, or UTF-16 by its BOM; a UTF-8 BOM is
 * dropped), feed the importer and post its batches with progress. Node's Blob behaves the same,
 * so tests run exactly this code. The bytes pass the guard (guard.ts) before they are decoded:
 * a binary file or a line over MAX_LINE_BYTES stops the import with the reason, and the rows
 * before it are kept.
 */
import { encodingOf } from './detect.ts';
import { ByteGuard, CsvRefusal } from './guard.ts';
import { CsvImporter } from './importer.ts';
import type { ColumnBatch, StartMessage, WorkerMessage } from './types.ts';

/** Read and parse sizes in bytes. */
export interface PieceSizes {
  /** Read from the file at a time. */
  read: number;
  /**
   * Parsed at a time. Small pieces keep papaparse's strings short-lived (collected young, which
   * made parsing about 2x faster than 4 MB pieces).
   */
  piece: number;
  /** The first piece of a file, smaller still, so the first rows show at once. */
  first: number;
}

export const DEFAULT_SIZES: PieceSizes = { read: 4 << 20, piece: 256 << 10, first: 64 << 10 };

/** Posts a message with the buffers it may transfer. */
export type Post = (msg: WorkerMessage, transfer: Transferable[]) => void;

/** Imports the files in order as one table, posting `file`, `batch` and finally `done` messages. */
export async function runImport(files: StartMessage['files'], post: Post, sizes: PieceSizes = DEFAULT_SIZES): Promise<void> {
  const t0 = performance.now();
  const total = files.reduce((n, f) => n + f.file.size, 0);
  let done = 0;
  const importer = new CsvImporter();
  for (let index = 0; index < files.length; index++) {
    const { file, name } = files[index]!;
    importer.beginFile(name);
    const firstRow = importer.rows;
    let announced = false;
    const emit = (text: string, final: boolean, bytes: number): void => {
      done += bytes;
      const batch = importer.push(text, final);
      // Announced once the importer has seen enough of the file to know its delimiter.
      if (!announced && importer.detected) {
        announced = true;
        post({ type: 'file', index, name, firstRow, delimiter: importer.delimiter }, []);
      }
      if (batch) post({ ...batch, bytesDone: done, bytesTotal: total }, transferables(batch.cells));
    };
    try {
      await readBlob(file, emit, sizes, name);
    } catch (e) {
      const kept = importer.rows ? `; the ${importer.rows.toLocaleString('en')} rows before it are kept` : '';
      if (e instanceof CsvRefusal) throw new CsvRefusal(`${e.message}${kept}`);
      throw new Error(`${name}: could not be read (${e instanceof Error ? e.message : String(e)})${kept || '; the rows before it are kept'}`);
    }
  }
  post({ type: 'done', rows: importer.rows, problems: importer.problemCount, ms: performance.now() - t0 }, []);
}

/**
 * Feeds a file's text piece by piece to `emit` (the last call has `final`). Throws CsvRefusal
 * (guard.ts) at the first piece of a file that is not line-oriented text.
 */
export async function readBlob(file: Blob, emit: (text: string, final: boolean, bytes: number) => void, sizes: PieceSizes = DEFAULT_SIZES, name = 'the file'): Promise<void> {
  const head = new Uint8Array(await file.slice(0, 2).arrayBuffer());
  const encoding = encodingOf(head);
  const decoder = new TextDecoder(encoding);
  const guard = new ByteGuard(name, encoding);
  const bomBytes = encoding === 'utf-8' ? 0 : 2;
  let units = 0;
  let piece = sizes.first;
  for (let pos = 0; pos < file.size; pos += sizes.read) {
    const buf = new Uint8Array(await file.slice(pos, pos + sizes.read).arrayBuffer());
    for (let off = 0; off < buf.length; off += piece, piece = sizes.piece) {
      const part = buf.subarray(off, off + piece);
      const last = pos + off + part.length >= file.size;
      guard.check(part, pos + off);
      const text = decoder.decode(part, { stream: !last });
      guard.checkText(text, units, bomBytes);
      units += text.length;
      emit(text, last, part.length);
      if (last) return;
    }
  }
  emit(decoder.decode(), true, 0); // an empty file, or one that got shorter while being read
}

function transferables(cells: ColumnBatch[]): Transferable[] {
  const out: Transferable[] = [];
  for (const c of cells) {
    if (c.rep === 'f64') out.push(c.values.buffer);
    else if (c.rep === 'dict') out.push(c.codes.buffer);
  }
  return out;
}
