/**
 * The one size limit of an artifact file, wherever it comes from: a pack zip, the user's
 * folder, a `--definitions` folder, the editor, the CLI. Checked before any YAML is parsed,
 * and on disk before the file is read (stat first), so one huge file can neither block the
 * process nor slow every start. Velociraptor itself accepts up to 50 MiB per file, but its
 * definitions are tiny: the largest of its 211 built-in artifacts (Windows.Carving.CobaltStrike)
 * is 39 KB, so 1 MiB leaves a margin of 25 times while keeping the worst file's load (YAML,
 * schema and VQL parse) to a fraction of a second.
 */

/** The most bytes (UTF-8) an artifact definition may have: 1 MiB. */
export const MAX_ARTIFACT_BYTES = 2 ** 20;

/** `1.5 MiB`, `900 KiB`, `12 bytes`: a size for messages. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    const x = bytes / size;
    if (x >= 1) return `${+x.toFixed(x < 10 ? 2 : 1)} ${unit}`;
  }
  return `${bytes} bytes`;
}

/**
 * Why an artifact of `bytes` bytes is refused, or undefined when it is within the limit.
 * Example: `artifactSizeProblem(50 * 2 ** 20)` -> `the file is 50 MiB (52428800 bytes), more
 * than the 1 MiB (1048576 bytes) an artifact definition may be (...)`. Callers say what was not done.
 */
export function artifactSizeProblem(bytes: number, limit: number = MAX_ARTIFACT_BYTES): string | undefined {
  if (bytes <= limit) return undefined;
  return `the file is ${formatSize(bytes)} (${bytes} bytes), more than the ${formatSize(limit)} (${limit} bytes) an artifact definition may be ` +
    "(Velociraptor's largest is under 40 KiB; split it, or move large data out of the YAML)";
}

/** The UTF-8 size of a text (native, no copy: fast even for the huge texts it refuses). */
export function utf8Size(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
