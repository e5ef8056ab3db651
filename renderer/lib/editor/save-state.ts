/**
 * What the artifact editor says about saving, derived from the text on screen so that it stays
 * true as the user types: a failed save's message applies to the text that failed (once the
 * text changes, the live check and its count take over), the "built-in" label belongs to the
 * built-in artifact's own name (not to a copy renamed to Custom.*), and a name that another
 * artifact already has is said before Save, which then asks before replacing it. Pure, so the
 * wording and the rules are tested without a DOM.
 */
import type { ArtifactSummary } from '../../../main/ipc/contract.ts';

/** A message of the editor; an error remembers the text it was about. */
export interface EditorMessage {
  error: boolean;
  text: string;
  /** The YAML the message is about (errors): shown only while the editor holds this text. */
  forText?: string;
}

/** Whether `m` is still true of `text`: errors only while the text is the one that failed. */
export function messageApplies(m: EditorMessage | null, text: string): boolean {
  return !!m && (!m.error || m.forText === undefined || m.forText === text);
}

/** The built-in label shows only while the name in the text is the built-in artifact's own. */
export function showsBuiltIn(builtIn: boolean, name: string | null, savedName: string | null): boolean {
  return builtIn && name !== null && name === savedName;
}

/**
 * The `replace` of a save: the artifact that was opened may be replaced without asking when the
 * name in the text is still its name; any other existing name needs the user's yes.
 */
export function replaceOnSave(name: string | null, savedName: string | null): string | undefined {
  return name !== null && name === savedName ? name : undefined;
}

/**
 * A note about the name in the text when another artifact has it (one that is not the artifact
 * opened): saving would replace it (after a question) or is refused for a built-in.
 */
export function nameClash(name: string | null, savedName: string | null, list: readonly ArtifactSummary[]): { builtIn: boolean; text: string } | null {
  if (!name || name === savedName) return null;
  const other = list.find((a) => a.name === name);
  if (!other) return null;
  if (other.builtIn) return { builtIn: true, text: `${name} is a built-in artifact: rename this one (e.g. Custom.${name}) to save it` };
  return { builtIn: false, text: `${name} already exists (${other.file}): Save will show the changes and ask before replacing it` };
}
