/**
 * An artifact's description as the library row shows it: the first paragraph on one line
 * (YAML descriptions are wrapped at ~80 columns, so the first line alone stops mid-sentence),
 * and whether there is more to read (then the row offers to expand it).
 */

/**
 * The row's one-line summary, the whole text as it reads expanded (each paragraph's wrapped
 * lines joined, paragraphs kept apart), and whether the whole says more than the summary.
 */
export function describe(description: string, shortChars = 90): { summary: string; full: string; more: boolean } {
  const text = description.replace(/\r\n?/g, '\n').trim();
  const paragraphs = text ? text.split(/\n\s*\n/).map((p) => p.split('\n').map((l) => l.trim()).filter(Boolean).join(' ')) : [];
  const summary = paragraphs[0] ?? '';
  return { summary, full: paragraphs.join('\n\n'), more: paragraphs.length > 1 || summary.length > shortChars };
}
