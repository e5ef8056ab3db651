/**
 * `parse_xml(file, accessor)`: an XML document as nested dicts, in the shape Velociraptor
 * gives (its mxj library with the attribute prefix `Attr`):
 *
 * - one top-level key, the root element's local name (namespace prefixes are dropped);
 * - an element with only text is that text, trimmed; an empty element is "";
 * - an element with attributes or children is a dict: attributes as `Attr<name>`, text
 *   beside them as `#text`;
 * - repeated sibling elements are a list (a single one is not);
 * - every value is a string; keys are sorted (Go maps); comments and processing
 *   instructions are ignored.
 *
 * The parser is fast-xml-parser (pure JavaScript). The document is checked first, so that
 * malformed XML is an error naming the line and column rather than a partial result. A file
 * with a UTF-16 byte order mark (Windows task files) is decoded as UTF-16, where Velociraptor
 * would fail.
 */
import { VDict, type FunctionDef, type Value } from '../../vql/index.ts';
import { readAll } from '../files/accessors.ts';
import { accessorOrLog } from '../files/read.ts';
import { errorText, fileError } from './common.ts';

/** fast-xml-parser, loaded on the first parse (the CLI's start-up does not pay for it). */
let xmlLib: Promise<{ parser: import('fast-xml-parser').XMLParser; validate: typeof import('fast-xml-parser').XMLValidator.validate }> | undefined;

const PARSER_OPTIONS = {
  ignoreAttributes: false,
  attributeNamePrefix: 'Attr',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  textNodeName: '#text',
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: false,
} as const;

function xml() {
  xmlLib ??= import('fast-xml-parser').then((m) => ({ parser: new m.XMLParser(PARSER_OPTIONS), validate: m.XMLValidator.validate }));
  return xmlLib;
}

/** Text of an XML file: UTF-8 (BOM dropped) or UTF-16 by its byte order mark. */
export function xmlText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  return new TextDecoder().decode(bytes);
}

/** fast-xml-parser's output as VQL values: dicts with sorted keys, strings. */
function toVql(v: unknown): Value {
  if (Array.isArray(v)) return v.map(toVql);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return new VDict(Object.keys(o).sort().map((k) => [k, toVql(o[k])]));
  }
  if (v === null || v === undefined) return '';
  return String(v);
}

/** Parses XML text; throws an Error with the line and column of the first mistake. */
export async function parseXmlText(text: string): Promise<Value> {
  const { parser, validate } = await xml();
  const ok = validate(text);
  if (ok !== true) throw new Error(`invalid XML at line ${ok.err.line}, column ${ok.err.col}: ${ok.err.msg}`);
  return toVql(parser.parse(text));
}

export const parseXml: FunctionDef = {
  name: 'parse_xml',
  version: 2,
  doc: 'Parse an XML document into dicts: attributes as Attr<name>, text beside children as #text, repeated elements as lists, values strings.',
  args: {
    file: { type: 'any', required: true, doc: 'The XML file (with accessor=data, the XML text itself)' },
    accessor: { type: 'string', doc: 'How to read it: auto (default), file, data, scope...', default: 'auto' },
  },
  async run(call) {
    const { args, scope } = call;
    const log = call.log.bind(call);
    const accessor = accessorOrLog(scope, args.accessor, 'parse_xml', log);
    if (!accessor) return null;
    let bytes: Uint8Array;
    try {
      bytes = await readAll(accessor, args.file, scope);
    } catch (e) {
      log('warn', fileError('file', accessor, args.file, `Unable to open file: ${errorText(e)}`));
      return null;
    }
    try {
      return await parseXmlText(xmlText(bytes));
    } catch (e) {
      log('error', fileError('file', accessor, args.file, errorText(e)));
      return null;
    }
  },
};
