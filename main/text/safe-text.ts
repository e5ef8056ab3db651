/**
 * Text made safe for where it is going, in one place for the CLI, the app's exports and tests.
 * Pure (no Node, no DOM): the renderer bundles it too.
 *
 * - Terminals: evidence is hostile text. A process name or log line holding ESC or OSC
 *   sequences would, printed raw, recolour the terminal, rewrite earlier lines, set the window
 *   title, or (in some terminals) write files or paste into the shell; bidirectional overrides
 *   make text read differently than it is (CVE-2021-42574, "Trojan Source"). `terminalSafe`
 *   shows every such character as a visible `\u001b`-style escape instead.
 * - Spreadsheets: a cell starting with `=`, `+`, `-`, `@`, tab or CR is run as a formula (OWASP
 *   "CSV injection"). `neutralizeFormula` prefixes it with `'`.
 */

/**
 * C0 controls but tab, LF and CR; DEL; C1 controls (0x80-0x9f: 0x9b is a one-character CSI);
 * the bidirectional embeddings, overrides and isolates; line and paragraph separators.
 */
const UNSAFE_FOR_TERMINAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with each control, C1 or bidi character shown as `\uXXXX` (tab, LF, CR kept). */
export function terminalSafe(text: string): string {
  UNSAFE_FOR_TERMINAL.lastIndex = 0;
  if (!UNSAFE_FOR_TERMINAL.test(text)) return text;
  return text.replace(UNSAFE_FOR_TERMINAL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** `'=1+2'` -> `"'=1+2"`: text a spreadsheet would run as a formula, made literal. */
export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}
