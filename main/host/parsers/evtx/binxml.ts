/**
 * BinXml, the binary XML of EVTX records (MS-EVEN6 2.2.12, libyal's EVTX notes): parsing the
 * tokens of a chunk into a small tree (render.ts turns a record's tree into golang/evtx's JSON).
 *
 * A record's BinXml is a fragment header (0x0F) and a template instance (0x0C): the id and
 * chunk offset of a template definition (inline the first time it is used in the chunk, then
 * referenced by offset), followed by the instance's substitution values (count, then size and
 * type of each, then the values). A template definition is itself a fragment: elements
 * (0x01/0x41 open, 0x06/0x46 attributes, 0x02 close start, 0x03 close empty, 0x04 close) whose
 * attribute values and content are value tokens (0x05), CDATA (0x07), character and entity
 * references (0x08, 0x09) and substitutions (0x0D normal, 0x0E optional: left out when the
 * value is null). Element and attribute names are chunk offsets of name strings, inline on
 * first use. A substitution value of type BinXml (0x21) is a nested fragment (EventData and
 * UserData often are), rendered in place.
 *
 * Templates are parsed once per chunk and cached by offset. A template that refers back to one
 * being parsed, or nesting deeper than MAX_DEPTH, is an error of that record, never a hang.
 */
import { EvtxFormatError } from './format.ts';
import { T_ANSI, T_ARRAY, T_BINXML, T_NULL, T_STRING, arrayValue, fixedSize, scalarValue, utf16 } from './values.ts';

/** How deep templates, BinXml values and elements may nest. */
export const MAX_DEPTH = 64;

/** A parsed BinXml fragment: elements, text and substitutions. */
export type Node = ElementNode | TextNode | SubNode | InstanceNode;

export interface ElementNode {
  readonly k: 'el';
  readonly name: string;
  /** The element declared attributes (it renders as a dict even when they are all null). */
  readonly hasAttrs: boolean;
  readonly attrs: ReadonlyArray<{ readonly name: string; readonly parts: readonly Node[] }>;
  readonly content: readonly Node[];
}

export interface TextNode {
  readonly k: 'text';
  readonly v: unknown;
}

export interface SubNode {
  readonly k: 'sub';
  readonly index: number;
  readonly optional: boolean;
}

export interface InstanceNode {
  readonly k: 'inst';
  readonly template: readonly Node[];
  readonly values: readonly unknown[];
}

/** A BinXml substitution value: its parsed fragment. */
export class Fragment {
  constructor(readonly nodes: readonly Node[]) {}
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The BinXml of one chunk: its bytes, and the names and templates parsed so far. */
export class ChunkParser {
  private readonly view: DataView;
  private readonly names = new Map<number, string>();
  private readonly templates = new Map<number, readonly Node[]>();
  /** Templates being parsed (a reference to one of them is a loop). */
  private readonly parsing = new Set<number>();

  constructor(readonly b: Uint8Array) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  private fail(message: string, at: number): never {
    throw new EvtxFormatError(`${message} at chunk offset 0x${at.toString(16)}`);
  }

  private need(at: number, n: number, end: number): void {
    if (at + n > end) this.fail(`truncated BinXml (${n} bytes needed, ${Math.max(0, end - at)} left)`, at);
  }

  private u16(at: number): number {
    return this.view.getUint16(at, true);
  }

  private u32(at: number): number {
    return this.view.getUint32(at, true);
  }

  /** The name string at `offset`: next offset (4), hash (2), length (2), UTF-16, NUL. */
  private name(offset: number): string {
    const known = this.names.get(offset);
    if (known !== undefined) return known;
    if (offset + 8 > this.b.length) this.fail(`name offset 0x${offset.toString(16)} is outside the chunk`, offset);
    const n = this.u16(offset + 6);
    if (offset + 8 + 2 * n > this.b.length) this.fail(`name of ${n} characters runs past the chunk`, offset);
    const s = utf16(this.b, offset + 8, offset + 8 + 2 * n);
    this.names.set(offset, s);
    return s;
  }

  /** Reads a name reference at `at`; a name defined right there is skipped. Returns [name, next]. */
  private nameRef(at: number, end: number): [string, number] {
    this.need(at, 4, end);
    const offset = this.u32(at);
    let next = at + 4;
    const name = this.name(offset);
    if (offset === next) next += 8 + 2 * this.u16(offset + 6) + 2;
    return [name, next];
  }

  /**
   * Parses a fragment at `pos` (before `end`): an optional fragment header, then elements and
   * template instances up to the end-of-stream token or `end`. Returns the nodes and where the
   * fragment ended.
   */
  parseFragment(pos: number, end: number, depth: number): [Node[], number] {
    if (depth > MAX_DEPTH) this.fail('BinXml nested too deep (a template or value reference loop?)', pos);
    const nodes: Node[] = [];
    while (pos < end) {
      const token = this.b[pos]!;
      switch (token & 0x0f) {
        case 0x00:
          return [nodes, pos + 1];
        case 0x0f:
          this.need(pos, 4, end);
          pos += 4;
          break;
        case 0x0c: {
          const [inst, next] = this.instance(pos, end, depth);
          nodes.push(inst);
          pos = next;
          // A record's fragment ends with its instance (its values are the last bytes).
          if (pos >= end || this.b[pos] !== 0x0f) return [nodes, pos];
          break;
        }
        case 0x01: {
          const [el, next] = this.element(pos, end, depth);
          nodes.push(el);
          pos = next;
          break;
        }
        default:
          this.fail(`unexpected BinXml token 0x${token.toString(16)} in a fragment`, pos);
      }
    }
    return [nodes, pos];
  }

  /** The parsed body of the template defined at `offset` (cached). */
  private template(offset: number, depth: number): readonly Node[] {
    const known = this.templates.get(offset);
    if (known) return known;
    if (this.parsing.has(offset)) this.fail(`template reference loop: the template at 0x${offset.toString(16)} refers to itself`, offset);
    if (offset + 24 > this.b.length) this.fail(`template offset 0x${offset.toString(16)} is outside the chunk`, offset);
    const size = this.u32(offset + 20);
    const start = offset + 24;
    if (start + size > this.b.length) this.fail(`template of ${size} bytes runs past the chunk`, offset);
    this.parsing.add(offset);
    try {
      const [nodes] = this.parseFragment(start, start + size, depth + 1);
      this.templates.set(offset, nodes);
      return nodes;
    } finally {
      this.parsing.delete(offset);
    }
  }

  /** A template instance at `pos`: its template (inline or by offset) and its values. */
  private instance(pos: number, end: number, depth: number): [InstanceNode, number] {
    this.need(pos, 10, end);
    const defOffset = this.u32(pos + 6);
    let p = pos + 10;
    if (defOffset === p) {
      // Defined here: its header (next offset, GUID, size) and body are skipped over.
      this.need(p, 24, end);
      p += 24 + this.u32(p + 20);
      if (p > end) this.fail('inline template definition runs past its record', pos);
    }
    const template = this.template(defOffset, depth);
    this.need(p, 4, end);
    const count = this.u32(p);
    p += 4;
    this.need(p, 4 * count, end);
    const decl: Array<[number, number]> = [];
    for (let i = 0; i < count; i++, p += 4) decl.push([this.u16(p), this.b[p + 2]!]);
    const values: unknown[] = [];
    for (const [size, type] of decl) {
      this.need(p, size, end);
      values.push(this.value(p, size, type, depth));
      p += size;
    }
    return [{ k: 'inst', template, values }, p];
  }

  /** A substitution value of `size` bytes. */
  private value(at: number, size: number, type: number, depth: number): unknown {
    if (type === T_NULL) return null;
    if (size === 0) return type === T_STRING || type === T_ANSI ? '' : null;
    if (type === T_BINXML) return new Fragment(this.parseFragment(at, at + size, depth + 1)[0]);
    try {
      return type & T_ARRAY ? arrayValue(this.b, this.view, at, size, type) : scalarValue(this.b, this.view, at, size, type);
    } catch (e) {
      if (e instanceof EvtxFormatError) this.fail(e.message, at);
      throw e;
    }
  }

  /** An element at `pos`: its name, attributes and content up to its close token. */
  private element(pos: number, end: number, depth: number): [ElementNode, number] {
    if (depth > MAX_DEPTH) this.fail('elements nested too deep', pos);
    const token = this.b[pos]!;
    this.need(pos, 11, end);
    let [name, p] = this.nameRef(pos + 7, end);
    const attrs: Array<{ name: string; parts: Node[] }> = [];
    const hasAttrs = (token & 0x40) !== 0;
    if (hasAttrs) {
      p += 4; // the attribute list's size
      while (p < end && (this.b[p]! & 0x0f) === 0x06) {
        const [attrName, next] = this.nameRef(p + 1, end);
        const [parts, after] = this.valueParts(next, end, depth);
        attrs.push({ name: attrName, parts });
        p = after;
      }
    }
    this.need(p, 1, end);
    const close = this.b[p]! & 0x0f;
    if (close === 0x03) return [{ k: 'el', name, hasAttrs, attrs, content: [] }, p + 1];
    if (close !== 0x02) this.fail(`expected the end of the start tag of <${name}>, found token 0x${this.b[p]!.toString(16)}`, p);
    p++;
    const content: Node[] = [];
    for (;;) {
      this.need(p, 1, end);
      const t = this.b[p]! & 0x0f;
      if (t === 0x04) return [{ k: 'el', name, hasAttrs, attrs, content }, p + 1];
      if (t === 0x01) {
        const [child, next] = this.element(p, end, depth + 1);
        content.push(child);
        p = next;
      } else if (t === 0x0c) {
        const [inst, next] = this.instance(p, end, depth + 1);
        content.push(inst);
        p = next;
      } else if (t === 0x0a) {
        p = this.nameRef(p + 1, end)[1]; // processing instruction target: not rendered
      } else if (t === 0x0b) {
        this.need(p, 3, end);
        p += 3 + 2 * this.u16(p + 1);
      } else {
        const [parts, next] = this.valueParts(p, end, depth);
        if (next === p) this.fail(`unexpected BinXml token 0x${this.b[p]!.toString(16)} in <${name}>`, p);
        content.push(...parts);
        p = next;
      }
    }
  }

  /** Consecutive value tokens (value, CDATA, references, substitutions) at `p`. */
  private valueParts(p: number, end: number, depth: number): [Node[], number] {
    const parts: Node[] = [];
    while (p < end) {
      const t = this.b[p]! & 0x0f;
      if (t === 0x05) {
        this.need(p, 2, end);
        const type = this.b[p + 1]!;
        const [v, next] = this.inlineValue(p + 2, type, end, depth);
        parts.push({ k: 'text', v });
        p = next;
      } else if (t === 0x07) {
        this.need(p, 3, end);
        const n = this.u16(p + 1);
        this.need(p + 3, 2 * n, end);
        parts.push({ k: 'text', v: utf16(this.b, p + 3, p + 3 + 2 * n).replace(/\0+$/, '') });
        p += 3 + 2 * n;
      } else if (t === 0x08) {
        this.need(p, 3, end);
        parts.push({ k: 'text', v: String.fromCharCode(this.u16(p + 1)) });
        p += 3;
      } else if (t === 0x09) {
        const [ref, next] = this.nameRef(p + 1, end);
        parts.push({ k: 'text', v: ENTITIES[ref] ?? `&${ref};` });
        p = next;
      } else if (t === 0x0d || t === 0x0e) {
        this.need(p, 4, end);
        parts.push({ k: 'sub', index: this.u16(p + 1), optional: t === 0x0e });
        p += 4;
      } else {
        break;
      }
    }
    return [parts, p];
  }

  /** The value of a value token (0x05): strings carry their length, other types are fixed. */
  private inlineValue(at: number, type: number, end: number, depth: number): [unknown, number] {
    if (type === T_STRING) {
      this.need(at, 2, end);
      const n = this.u16(at);
      this.need(at + 2, 2 * n, end);
      return [utf16(this.b, at + 2, at + 2 + 2 * n), at + 2 + 2 * n];
    }
    const size = fixedSize(type);
    if (size === undefined) this.fail(`value token of type 0x${type.toString(16)} (no fixed size)`, at);
    this.need(at, size, end);
    return [this.value(at, size, type, depth), at + size];
  }
}
