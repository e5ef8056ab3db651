/**
 * The error of the NTFS readers: damaged or truncated on-disk structures. `detail` says what is
 * wrong, `where` names the structure (a file, an MFT entry, an INDX record, an offset...).
 */
export class NtfsError extends Error {
  constructor(
    readonly detail: string,
    readonly where?: string,
  ) {
    super(where ? `ntfs: ${where}: ${detail}` : `ntfs: ${detail}`);
    this.name = 'NtfsError';
  }
}
