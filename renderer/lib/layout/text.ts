/**
 * Where long names may wrap: artifact names (`Windows.Events.ProcessCreation`) and paths break
 * after a dot or slash, so a narrow card shows whole words (BreakName.svelte puts a <wbr> after
 * each part). No DOM: tested in Node.
 */

/** `name` cut after each `.`, `/` and `\` (the parts joined give the name back). */
export function nameParts(name: string): string[] {
  return name.match(/[^./\\]*(?:[./\\]+|$)/g)?.filter((p) => p !== '') ?? [name];
}
