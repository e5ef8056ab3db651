/**
 * A state whose syntax tree is complete. A new EditorState parses for a few ms only (a view
 * finishes in the background); ensureSyntaxTree finishes the parse, and one empty transaction
 * makes the state carry that tree (syntaxTree() and languageDataAt() read it).
 */
import { ensureSyntaxTree } from '@codemirror/language';
import type { EditorState } from '@codemirror/state';

/** `state` with its whole document parsed (nested VQL included). */
export function parsed(state: EditorState): EditorState {
  if (!ensureSyntaxTree(state, state.doc.length, 10_000)) throw new Error('the document did not parse within 10 s');
  return state.update({}).state;
}
