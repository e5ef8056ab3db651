/**
 * Builds a CodeMirror 6 editor: artifact YAML (VQL nested in query fields) or plain VQL, with
 * live validation (problems from main as underlines, after ~300 ms of quiet), completion from
 * the engine's declarations, and extra key bindings (Ctrl-S, Ctrl-Enter). Loaded with dynamic
 * import() by the editor components, so CodeMirror stays out of the initial bundle.
 */
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection } from '@codemirror/view';
import { EditorState, Prec, type Extension } from '@codemirror/state';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { syntaxHighlighting, defaultHighlightStyle, bracketMatching, indentOnInput } from '@codemirror/language';
import { autocompletion, completionKeymap, closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import { linter, lintGutter, lintKeymap, setDiagnostics } from '@codemirror/lint';
import type { CompletionEntry, Problem } from '../../../main/ipc/contract.ts';
import { languageFor } from './languages.ts';
import { vqlCompletionSource } from './completion.ts';
import { problemsToDiagnostics } from './diagnostics.ts';

/** How an editor is set up. */
export interface EditorOptions {
  parent: HTMLElement;
  doc: string;
  mode: 'yaml' | 'vql';
  /** Accessible name of the editable content (e.g. "VQL"). */
  label: string;
  /** Problems of a text (from main); null when it could not be checked. */
  check: (text: string) => Promise<readonly Problem[] | null>;
  entries: () => Promise<readonly CompletionEntry[]>;
  onChange: (text: string) => void;
  /** Extra bindings, e.g. `{ key: 'Mod-s', run: save }`; they win over the defaults. */
  keys?: ReadonlyArray<{ key: string; run: () => void }>;
}

/** What a component keeps of its editor. */
export interface EditorHandle {
  readonly view: EditorView;
  /** Replaces the whole text (a newly opened artifact). */
  setText(text: string): void;
  /** Underlines problems found outside the linter (a failed run). */
  showProblems(problems: readonly Problem[]): void;
  destroy(): void;
}

const theme = EditorView.theme({
  '&': { fontSize: '13px', border: '1px solid var(--line)', borderRadius: '4px', background: 'var(--panel)' },
  '&.cm-focused': { outline: '2px solid color-mix(in srgb, var(--accent) 40%, transparent)' },
  '.cm-scroller': { fontFamily: 'var(--mono)', overflow: 'auto' },
  '.cm-completionInfo': { whiteSpace: 'pre-wrap', maxWidth: '480px' },
});
// The artifact editor fills its pane; a console cell grows with its query up to a limit.
const sizes = {
  yaml: EditorView.theme({ '&': { height: '100%' } }),
  vql: EditorView.theme({ '&': { maxHeight: '320px' }, '.cm-content, .cm-gutter': { minHeight: '52px' } }),
};

/** Creates the editor inside `o.parent`. */
export function createEditor(o: EditorOptions): EditorHandle {
  const extensions: Extension[] = [
    lineNumbers(), highlightActiveLineGutter(), history(), drawSelection(), indentOnInput(), bracketMatching(),
    closeBrackets(), highlightActiveLine(), syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    languageFor(o.mode, { autocomplete: vqlCompletionSource(o.entries) }),
    autocompletion({ activateOnTyping: true }),
    linter(async (view) => {
      const problems = await o.check(view.state.doc.toString());
      return problems ? problemsToDiagnostics(view.state.doc, problems) : [];
    }, { delay: 300 }),
    lintGutter(),
    Prec.highest(keymap.of((o.keys ?? []).map((k) => ({ key: k.key, run: () => (k.run(), true), preventDefault: true })))),
    keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap, indentWithTab]),
    EditorView.contentAttributes.of({ 'aria-label': o.label }),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) o.onChange(u.state.doc.toString());
    }),
    theme,
    sizes[o.mode],
  ];
  const view = new EditorView({ parent: o.parent, state: EditorState.create({ doc: o.doc, extensions }) });
  return {
    view,
    setText(text) {
      if (text !== view.state.doc.toString()) view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    showProblems(problems) {
      view.dispatch(setDiagnostics(view.state, problemsToDiagnostics(view.state.doc, problems)));
    },
    destroy: () => view.destroy(),
  };
}
