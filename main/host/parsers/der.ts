/**
 * A small DER reader and the X.509 value decoders that parse_pe's Authenticode signatures
 * (pe/authenticode.ts) and parse_x509 (x509.ts) share: elements, OIDs, INTEGERs, strings,
 * times, and names printed as Go's pkix.Name.String(): RDNs in reverse order, joined by ",",
 * known types by their short names (CN, O, OU, L, ST, C, ...), others as a dotted OID and `#hex`.
 */

/** A DER element: its tag, where its content is, and the bytes. */
export interface Der {
  tag: number;
  /** Constructed (contains elements). */
  constructed: boolean;
  /** Where the element's tag is. */
  header: number;
  start: number;
  end: number;
  bytes: Uint8Array;
}

export class DerError extends Error {}

/** The element at `pos` (definite lengths only, as DER; BER indefinite lengths are refused). */
export function der(bytes: Uint8Array, pos = 0, limit = bytes.length): Der & { next: number } {
  if (pos + 2 > limit) throw new DerError('truncated DER element');
  const tag = bytes[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported');
  let len = bytes[pos + 1]!;
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError(n === 0 ? 'indefinite length (BER) is not supported' : 'DER length too large');
    if (p + n > limit) throw new DerError('truncated DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[p + i]!;
    p += n;
  }
  if (p + len > limit) throw new DerError('DER element runs past its container');
  return { tag, constructed: (tag & 0x20) !== 0, header: pos, start: p, end: p + len, bytes, next: p + len };
}

/** The elements inside a constructed element. */
export function children(e: Der): Der[] {
  const out: Der[] = [];
  for (let p = e.start; p < e.end; ) {
    const c = der(e.bytes, p, e.end);
    out.push(c);
    p = c.next;
    if (out.length > 100000) throw new DerError('too many DER elements');
  }
  return out;
}

/** The content bytes of an element (without tag and length). */
export function content(e: Der): Uint8Array {
  return e.bytes.subarray(e.start, e.end);
}

/** The whole encoding of an element (tag and length included). */
export function encoding(e: Der): Uint8Array {
  return e.bytes.subarray(e.header, e.end);
}

export function oid(e: Der): string {
  const b = content(e);
  if (b.length === 0) return '';
  const parts: number[] = [];
  let v = 0;
  for (const c of b) {
    v = v * 128 + (c & 0x7f);
    if (!(c & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join('.');
}

/** An INTEGER's value (two's complement sign). */
export function integer(e: Der): bigint {
  const b = content(e);
  if (b.length === 0) return 0n;
  let v = 0n;
  for (const c of b) v = (v << 8n) | BigInt(c);
  if (b[0]! & 0x80) v -= 1n << BigInt(b.length * 8);
  return v;
}

/** An INTEGER as Go's big.Int.String() (decimal, two's complement sign). */
export function integerText(e: Der): string {
  return integer(e).toString();
}

export function hexOf(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** String types: UTF8String, PrintableString, IA5String, T61String, BMPString, UniversalString. */
export function stringText(e: Der): string {
  const b = content(e);
  switch (e.tag & 0x1f) {
    case 0x1e: {
      // BMPString: big-endian UTF-16.
      const sw = Buffer.from(b);
      if (sw.length % 2) return sw.toString('latin1');
      return Buffer.from(sw).swap16().toString('utf16le');
    }
    case 0x1c: {
      let s = '';
      for (let i = 0; i + 3 < b.length; i += 4) s += String.fromCodePoint(((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0);
      return s;
    }
    case 0x14:
      return Buffer.from(b).toString('latin1');
    default:
      return Buffer.from(b).toString('utf8');
  }
}

/** UTCTime / GeneralizedTime as an RFC 3339 string. */
export function timeText(e: Der): string {
  const s = Buffer.from(content(e)).toString('latin1');
  const m = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/.exec(s);
  if (!m) return s;
  let year = m[1]!;
  if (year.length === 2) year = (Number(year) >= 50 ? '19' : '20') + year;
  return `${year}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}Z`;
}

/** The short names Go's pkix.Name.String() prints, by attribute type OID. */
export const DN_SHORT_NAMES: ReadonlyMap<string, string> = new Map([
  ['2.5.4.6', 'C'], ['2.5.4.10', 'O'], ['2.5.4.11', 'OU'], ['2.5.4.3', 'CN'], ['2.5.4.5', 'SERIALNUMBER'],
  ['2.5.4.7', 'L'], ['2.5.4.8', 'ST'], ['2.5.4.9', 'STREET'], ['2.5.4.17', 'POSTALCODE'],
]);

/** RFC 4514 escaping, as Go's pkix attribute value printing. */
export function escapeDn(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const special = ',+"\\<>;'.includes(c) || (i === 0 && (c === ' ' || c === '#')) || (i === s.length - 1 && c === ' ');
    out += special ? '\\' + c : c;
  }
  return out;
}

/** A Name (RDNSequence) as Go's pkix.Name.String(). */
export function nameText(e: Der): string {
  const rdns = children(e).map((set) =>
    children(set)
      .map((atv) => {
        const [type, value] = children(atv);
        if (!type || !value) return '';
        const id = oid(type);
        const short = DN_SHORT_NAMES.get(id);
        if (!short) {
          // Go prints unknown attribute types with the value's DER in hex.
          return `${id}=#${hexOf(encoding(value))}`;
        }
        return `${short}=${escapeDn(stringText(value))}`;
      })
      .join('+'),
  );
  return rdns.reverse().join(',');
}
