/**
 * Velociraptor's escaping of collection-container member names (VELOCIRAPTOR-FORMATS.md 1.3,
 * `utils.SanitizeStringForZip`): each path component is escaped on its own, then the
 * components are joined with `/`. The characters `? " * : | < > % / \` become `%XX`
 * (upper-case hex), a `.` or space at the start or end of a component too, non-ASCII letters
 * stay UTF-8, and a component stops after 1024 bytes. Empty, `.` and `..` components are
 * dropped: an escaped name never climbs out of the folder it is written to, and never holds a
 * separator or a Windows drive colon.
 */

const ESCAPED = new Set(['?', '"', '*', ':', '|', '<', '>', '%', '/', '\\']);
const MAX_COMPONENT_BYTES = 1024;

const hex = (byte: number) => '%' + byte.toString(16).toUpperCase().padStart(2, '0');
const encoder = new TextEncoder();

/** One component, escaped (empty for a component that is dropped). */
export function escapeComponent(component: string): string {
  if (component === '' || component === '.' || component === '..') return '';
  const chars = [...component];
  let out = '';
  let bytes = 0;
  for (let i = 0; i < chars.length && bytes <= MAX_COMPONENT_BYTES; i++) {
    const c = chars[i]!;
    const edge = i === 0 || i === chars.length - 1;
    let piece: string;
    if (ESCAPED.has(c) || (edge && (c === '.' || c === ' '))) piece = hex(c.charCodeAt(0));
    else if (c === '\uFFFD' || (c.length === 1 && c >= '\uD800' && c <= '\uDFFF')) {
      // An undecodable byte (node gives U+FFFD or a lone surrogate): escaped, so the name stays UTF-8.
      piece = [...encoder.encode(c)].map(hex).join('');
    } else piece = c;
    out += piece;
    bytes += encoder.encode(piece).length;
  }
  return out;
}

/** Components escaped and joined with `/`; dropped components leave no trace. */
export function escapeComponents(components: readonly string[]): string {
  return components.map(escapeComponent).filter((c) => c !== '').join('/');
}

/** The components that survive escaping (unescaped), for `Components` / `_Components`. */
export function keptComponents(components: readonly string[]): string[] {
  return components.filter((c) => escapeComponent(c) !== '');
}

/**
 * The reverse (a reader's): `%XX` is a hex byte (case-insensitive; a bad digit counts as 0),
 * a `%` with fewer than two characters after it is dropped, and the bytes are UTF-8.
 */
export function unescapeComponent(text: string): string {
  const bytes: number[] = [];
  const raw = encoder.encode(text);
  const digit = (b: number) => {
    const c = String.fromCharCode(b);
    const v = parseInt(c, 16);
    return Number.isNaN(v) ? 0 : v;
  };
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b !== 0x25) bytes.push(b);
    else if (i + 2 < raw.length) {
      bytes.push(digit(raw[i + 1]!) * 16 + digit(raw[i + 2]!));
      i += 2;
    }
    // else: a `%` too close to the end is dropped.
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
