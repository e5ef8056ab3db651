/**
 * What stops an import before the parser sees a file that is not a line-oriented text file:
 * a NUL byte (no text file has one: a binary, a disk image, a sparse file), a start that is
 * mostly control characters or invalid UTF-8, and a line longer than MAX_LINE_BYTES. Checked
 * on the bytes as they are read, in the worker, before they are decoded: without it a 300 MB
 * file with no newline became 16 MiB records re-parsed from their start at every piece
 * (minutes of work) and giant strings sent to the page. Each refusal says where (byte offset,
 * line) and what to do; the rows read before it are kept.
 */

/**
 * The longest line (bytes between two line breaks) an import reads: 16 MiB. A CSV record is a
 * line, or a few lines for a quoted field with line breaks in it; a longer line is a file that
 * is not CSV (a binary, a dump, one huge JSON document), not data worth a table cell.
 */
export const MAX_LINE_BYTES = 16 * 2 ** 20;

/** The start of a file that is sniffed for binary content (control characters, invalid UTF-8). */
export const SNIFF_BYTES = 64 * 2 ** 10;

/** The share of control characters and invalid UTF-8 in the sniffed start above which a file is not text. */
const MAX_NON_TEXT_SHARE = 0.3;

/** An import stopped because the file is not CSV; the message is for the user, as is. */
export class CsvRefusal extends Error {
  override readonly name = 'CsvRefusal';
}

/** `16 MiB`, or `1000 bytes` for the small limits of tests. */
const size = (n: number) => (n >= 2 ** 20 && n % 2 ** 20 === 0 ? `${n / 2 ** 20} MiB` : `${n} bytes`);

/** Checks the bytes of one file in order as they are read. */
export class ByteGuard {
  /** Bytes of the current line so far, and the offset where it starts. */
  private lineBytes = 0;
  private lineStart = 0;
  /** Line breaks seen: LFs, and CRs while the file has had no LF. */
  private lf = 0;
  private cr = 0;
  private sniffed = false;

  constructor(
    private readonly name: string,
    private readonly encoding: 'utf-8' | 'utf-16le' | 'utf-16be',
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {}

  /** Checks `bytes`, which start at byte `offset` of the file; throws CsvRefusal. */
  check(bytes: Uint8Array, offset: number): void {
    // UTF-16 text has zero bytes in every ASCII character: its NUL characters are found after decoding (checkText).
    if (this.encoding === 'utf-8') {
      const nul = bytes.indexOf(0);
      if (nul >= 0) throw this.binary(offset + nul);
    }
    if (!this.sniffed) {
      this.sniffed = true;
      this.sniff(bytes.subarray(0, SNIFF_BYTES), offset);
    }
    this.lines(bytes, offset);
  }

  /** The NUL check for UTF-16 files, on decoded text: `unitsBefore` code units came before it. */
  checkText(text: string, unitsBefore: number, bomBytes: number): void {
    if (this.encoding === 'utf-8') return;
    const nul = text.indexOf('\0');
    if (nul >= 0) throw this.binary(bomBytes + 2 * (unitsBefore + nul));
  }

  private binary(at: number): CsvRefusal {
    return new CsvRefusal(`file ${this.name} looks binary: NUL byte at offset ${at} (a text file has none): it is not a CSV file, so the import stopped there`);
  }

  /** Refuses a start that is mostly control characters or invalid UTF-8 (UTF-8 files only). */
  private sniff(head: Uint8Array, offset: number): void {
    if (this.encoding !== 'utf-8' || head.length === 0) return;
    // Not fatal: invalid sequences become U+FFFD and are counted. A cut sequence at the end is one.
    const text = new TextDecoder('utf-8').decode(head);
    let odd = 0;
    let first = -1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      // Tab, LF, VT, FF, CR and ESC (colour codes in logs) are text; other C0 controls and U+FFFD are not.
      if ((c < 0x20 && (c < 0x09 || c > 0x0d) && c !== 0x1b) || c === 0xfffd) {
        odd++;
        if (first < 0) first = i;
      }
    }
    if (odd > 8 && odd > text.length * MAX_NON_TEXT_SHARE) {
      const at = offset + new TextEncoder().encode(text.slice(0, first)).length;
      throw new CsvRefusal(
        `file ${this.name} does not look like text: ${odd} of its first ${text.length} characters are control characters or invalid UTF-8 ` +
          `(the first at byte ${at}): it is not a CSV file, so nothing was imported (save it as UTF-8 CSV, or pick the CSV file)`,
      );
    }
  }

  /**
   * Counts lines and refuses one longer than the limit. Lines end at LF; a file with no LF so
   * far (classic Mac) has its lines end at CR.
   */
  private lines(bytes: Uint8Array, offset: number): void {
    const brk = this.lf === 0 && bytes.indexOf(0x0a) < 0 ? 0x0d : 0x0a;
    let prev = -1;
    for (let i = bytes.indexOf(brk); i >= 0; i = bytes.indexOf(brk, i + 1)) {
      const length = prev < 0 ? this.lineBytes + i : i - prev - 1;
      if (length > this.maxLineBytes) throw this.tooLong();
      if (brk === 0x0a) this.lf++;
      else this.cr++;
      prev = i;
      this.lineStart = offset + i + 1;
    }
    this.lineBytes = prev < 0 ? this.lineBytes + bytes.length : bytes.length - prev - 1;
    if (this.lineBytes > this.maxLineBytes) throw this.tooLong();
  }

  private tooLong(): CsvRefusal {
    // The line being read is the one after the breaks counted so far (LF files; CR-only files count CRs).
    const line = (this.lf > 0 ? this.lf : this.cr) + 1;
    const at = this.lineStart + this.maxLineBytes;
    return new CsvRefusal(
      `file ${this.name}: line ${line} is longer than ${size(this.maxLineBytes)} at byte ${at} (it starts at byte ${this.lineStart}): ` +
        'this is not a line-oriented CSV file, so the import stopped there',
    );
  }
}
