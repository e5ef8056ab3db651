/**
 * A record's parsed BinXml (binxml.ts) rendered as golang/evtx's JSON: substitution values put in
 * their places (an optional substitution whose value is null left out, a BinXml value rendered
 * in place), then elements turned into dicts (elementValue). A record that would render to more
 * than MAX_NODES elements (nested templates can multiply them) is an error, never a hang.
 */
import { VDict } from '../../../vql/index.ts';
import { Fragment, MAX_DEPTH, type ChunkParser, type ElementNode, type Node } from './binxml.ts';
import { EvtxFormatError } from './format.ts';

/** The most elements one record may render to. */
const MAX_NODES = 100_000;

/** A rendered element: what golang/evtx's JSON is made from. */
interface Out {
  readonly name: string;
  readonly hasAttrs: boolean;
  readonly attrs: Array<[string, unknown]>;
  readonly children: Out[];
  readonly text: unknown[];
}

/** Renders fragment nodes with their substitution values into elements. */
class Renderer {
  private count = 0;

  render(nodes: readonly Node[], values: readonly unknown[], into: Out, depth: number): void {
    if (depth > MAX_DEPTH) throw new EvtxFormatError('BinXml nested too deep while rendering');
    for (const n of nodes) {
      switch (n.k) {
        case 'el':
          into.children.push(this.element(n, values, depth));
          break;
        case 'text':
          into.text.push(n.v);
          break;
        case 'sub': {
          const v = n.index < values.length ? values[n.index] : null;
          if (v instanceof Fragment) this.render(v.nodes, [], into, depth + 1);
          else if (v !== null && v !== undefined) into.text.push(v);
          else if (!n.optional) into.text.push(null);
          break;
        }
        case 'inst':
          this.render(n.template, n.values, into, depth + 1);
          break;
      }
    }
  }

  /** An attribute's value: one value or substitution as it is (the usual case), else joined text. */
  private attrValue(parts: readonly Node[], values: readonly unknown[], depth: number): unknown {
    const only = parts.length === 1 ? parts[0]! : null;
    if (only?.k === 'text') return only.v;
    if (only?.k === 'sub') {
      const v = values[only.index];
      return v instanceof Fragment ? null : v;
    }
    const holder: Out = { name: '', hasAttrs: false, attrs: [], children: [], text: [] };
    this.render(parts, values, holder, depth + 1);
    return textValue(holder.text);
  }

  private element(el: ElementNode, values: readonly unknown[], depth: number): Out {
    if (++this.count > MAX_NODES) throw new EvtxFormatError(`record renders to more than ${MAX_NODES} elements`);
    const out: Out = { name: el.name, hasAttrs: el.hasAttrs, attrs: [], children: [], text: [] };
    for (const a of el.attrs) {
      const v = this.attrValue(a.parts, values, depth);
      if (v !== null && v !== undefined) out.attrs.push([a.name, v]);
    }
    this.render(el.content, values, out, depth + 1);
    return out;
  }
}

/** Text parts as one value: a single part keeps its type; several are joined as text. */
function textValue(parts: readonly unknown[]): unknown {
  if (parts.length <= 1) return parts[0] ?? null;
  const present = parts.filter((p) => p !== null && p !== undefined);
  if (present.length === 0) return null;
  if (present.length === 1) return present[0];
  return present.map(partText).join('');
}

function partText(v: unknown): string {
  if (Array.isArray(v)) return v.map(partText).join(',');
  if (typeof v === 'object' && v !== null && 'toJSON' in v) return String((v as { toJSON(): unknown }).toJSON());
  return String(v);
}

/** `xmlns` and `xmlns:*` attributes are not part of the data (golang/evtx drops them). */
function isNamespace(name: string): boolean {
  return name === 'xmlns' || name.startsWith('xmlns:');
}

/** Adds `value` under `key`; a key seen before (in `lists`) collects its values in a list. */
function addMember(d: VDict, lists: Set<string>, key: string, value: unknown): void {
  if (!d.map.has(key)) d.map.set(key, value);
  else if (lists.has(key)) (d.map.get(key) as unknown[]).push(value);
  else {
    d.map.set(key, [d.map.get(key), value]);
    lists.add(key);
  }
}

/**
 * An element as golang/evtx's JSON: an element with attributes or children is a dict
 * (attributes first, then children by name; a repeated child name gives a list; its own text
 * under `Value`); an element without either is its text (typed when it is one value). A
 * `<Data Name="X">` child becomes member X with its text; unnamed Data children are a list
 * under `Data`. `xmlns` attributes are left out.
 */
function elementValue(o: Out): unknown {
  // EventID is always {Value, Qualifiers?}: artifacts read System.EventID.Value whether or not the
  // template declares the Qualifiers attribute.
  if (!o.hasAttrs && o.children.length === 0 && o.name !== 'EventID') return textValue(o.text);
  const d = new VDict();
  for (const [k, v] of o.attrs) if (!isNamespace(k)) d.map.set(k, v);
  let data: unknown[] | null = null;
  const lists = new Set<string>();
  for (const c of o.children) {
    if (c.name === 'Data') {
      const named = c.attrs.find(([k]) => k === 'Name');
      if (named && typeof named[1] === 'string') {
        d.map.set(named[1], c.children.length === 0 && c.attrs.length === 1 ? textValue(c.text) : elementValue(c));
        continue;
      }
      if (!named) {
        if (!data) d.map.set('Data', (data = []));
        data.push(elementValue(c));
        continue;
      }
    }
    addMember(d, lists, c.name, elementValue(c));
  }
  const text = textValue(o.text);
  if (text !== null && !(typeof text === 'string' && text.trim() === '' && o.children.length > 0)) d.map.set('Value', text);
  return d;
}

/**
 * A record's BinXml (at `pos`, up to `end`) as the members of its `<Event>` element:
 * `System`, `EventData` or `UserData`..., as golang/evtx gives them.
 */
export function parseRecordEvent(chunk: ChunkParser, pos: number, end: number): VDict {
  const [nodes] = chunk.parseFragment(pos, end, 0);
  const root: Out = { name: '', hasAttrs: false, attrs: [], children: [], text: [] };
  new Renderer().render(nodes, [], root, 0);
  const event = root.children.find((c) => c.name === 'Event') ?? root.children[0];
  if (!event) throw new EvtxFormatError('the record holds no element');
  const v = elementValue(event);
  return v instanceof VDict ? v : new VDict([['Value', v]]);
}
