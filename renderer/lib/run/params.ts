/**
 * The run form's model: which widget each artifact parameter gets (by its declared type), the
 * widget's starting value from the parameter's default, and the `args` text sent with
 * `artifacts:collect` (only parameters the user changed, so defaults stay exactly as written).
 */
import type { ArtifactDetail } from '../../../main/ipc/contract.ts';

/** One parameter as `artifacts:get` describes it. */
export type Parameter = ArtifactDetail['parameters'][number];

/** The widget a parameter is edited with. */
export type Widget = 'checkbox' | 'int' | 'float' | 'select' | 'multiselect' | 'datetime' | 'textarea' | 'text' | 'hidden';

/** Widget values: text for most, a boolean for checkboxes, a list for multiple choices. */
export type WidgetValue = string | boolean | string[];

/** Types whose values are several lines (a table, a document, a list, rules). */
const TEXTAREA = new Set(['csv', 'json', 'json_array', 'regex_array', 'yara', 'yaml', 'xml', 'starlark', 'artifactset', 'multiline']);
const BOOL_TEXT = /^(Y|TRUE|YES|OK)$/i;

/**
 * The widget for a parameter's type (case-insensitive; unknown types are plain text). One-line
 * values (string, regex, an untyped parameter) get a one-line input, unless the default itself
 * spans lines (then a text area keeps its line breaks).
 */
export function widgetFor(p: Parameter): Widget {
  const t = p.type.toLowerCase();
  if (t === 'bool') return 'checkbox';
  if (t === 'int' || t === 'int64' || t === 'integer') return 'int';
  if (t === 'float') return 'float';
  if (t === 'multichoice' && p.choices?.length) return 'multiselect';
  if (t === 'choices' || p.choices?.length) return 'select';
  if (t === 'timestamp') return 'datetime';
  if (t === 'hidden') return 'hidden';
  return TEXTAREA.has(t) || p.default.includes('\n') ? 'textarea' : 'text';
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** RFC 3339 or epoch-seconds text as a `datetime-local` value (local time), or ''. */
export function toDatetimeLocal(text: string): string {
  const t = text.trim();
  if (!t) return '';
  const d = /^-?\d+(\.\d+)?$/.test(t) ? new Date(Number(t) * 1000) : new Date(t);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function multiDefault(text: string): string[] {
  const t = text.trim();
  if (!t) return [];
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v)) return v.map(String);
  } catch {
    // Not JSON: the command line's comma-separated form (cliArgValue accepts it too).
  }
  return t.split(',').map((x) => x.trim()).filter(Boolean);
}

/** The widget's starting value for a parameter's default. */
export function initialValue(p: Parameter): WidgetValue {
  switch (widgetFor(p)) {
    case 'checkbox':
      return BOOL_TEXT.test(p.default.trim());
    case 'datetime':
      return toDatetimeLocal(p.default);
    case 'multiselect':
      return multiDefault(p.default);
    default:
      return p.default;
  }
}

/** A widget value as the parameter text the artifact runner converts. */
export function argText(p: Parameter, value: WidgetValue): string {
  if (typeof value === 'boolean') return value ? 'Y' : 'N';
  if (Array.isArray(value)) return JSON.stringify(value);
  if (widgetFor(p) === 'datetime' && value) {
    // datetime-local is the user's local time; the runner wants RFC 3339.
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? value : d.toISOString();
  }
  return value;
}

/** The `args` of a run: the parameters whose widget value differs from the default's. */
export function changedArgs(params: readonly Parameter[], values: Readonly<Record<string, WidgetValue>>): Record<string, string> {
  const args: Record<string, string> = {};
  for (const p of params) {
    const v = values[p.name];
    if (v === undefined || JSON.stringify(v) === JSON.stringify(initialValue(p))) continue;
    args[p.name] = argText(p, v);
  }
  return args;
}
