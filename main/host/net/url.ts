/**
 * `url(parse=)` and `url(scheme=, host=, path=, query=, fragment=)` (Velociraptor's
 * vql/functions/url.go): a Go `*url.URL` (go-url.ts), parsed from text or built from parts.
 *
 * - `parse`: Go's url.Parse. A URL that does not parse logs `url: parse "x": ...` and gives
 *   NULL.
 * - Building: the parts as given (the path is escaped when printed); `query` is a dict whose
 *   values (a string, or a list for a repeated key) become RawQuery with Go's Values.Encode
 *   (keys sorted).
 *
 * Members are Go's fields (Scheme, Opaque, User, Host, Path, RawPath, OmitHost, ForceQuery,
 * RawQuery, Fragment, RawFragment), which are also what the value serializes to, and Go's
 * methods without arguments: String (the URL text), Hostname, Port, Query (a dict of lists),
 * EscapedPath, EscapedFragment, RequestURI, IsAbs, Redacted. `str()` and `format("%v")` give
 * the URL text, like Go's Stringer.
 */
import { ABSENT, GET_MEMBER, VDict, type Absent, type FunctionDef, type Value } from '../../vql/index.ts';
import { textOf } from '../files/text.ts';
import {
  emptyURL, encodeQuery, escapedFragment, escapedPath, hostname, parseQuery, parseURL, port, requestURI, urlString,
  userString, type GoURL, type Userinfo,
} from './go-url.ts';

/** Go's *url.Userinfo: serializes as `{}` (no exported fields); Username, Password, String. */
class UserValue {
  constructor(readonly info: Userinfo) {}
  toJSON(): VDict {
    return new VDict();
  }
  toString(): string {
    return userString(this.info);
  }
  [GET_MEMBER](name: string): Value | Absent {
    switch (name) {
      case 'Username':
        return this.info.username;
      case 'Password':
        return this.info.password ?? '';
      case 'String':
        return this.toString();
      default:
        return ABSENT;
    }
  }
}

const FIELDS = ['Scheme', 'Opaque', 'User', 'Host', 'Path', 'RawPath', 'OmitHost', 'ForceQuery', 'RawQuery', 'Fragment', 'RawFragment'] as const;

/** A Go *url.URL value. */
export class URLValue {
  constructor(readonly url: GoURL) {}
  toString(): string {
    return urlString(this.url);
  }
  /** The struct's fields, as Go's encoding/json writes a *url.URL. */
  toJSON(): VDict {
    const d = new VDict();
    for (const f of FIELDS) d.set(f, this.field(f));
    return d;
  }
  private field(name: (typeof FIELDS)[number]): Value {
    if (name === 'User') return this.url.User ? new UserValue(this.url.User) : null;
    return this.url[name];
  }
  [GET_MEMBER](name: string): Value | Absent {
    if ((FIELDS as readonly string[]).includes(name)) return this.field(name as (typeof FIELDS)[number]);
    const u = this.url;
    switch (name) {
      case 'String':
        return this.toString();
      case 'Hostname':
        return hostname(u);
      case 'Port':
        return port(u);
      case 'Query': {
        const d = new VDict();
        const q = parseQuery(u.RawQuery);
        // Go's url.Values is a map: sorted keys.
        for (const k of [...q.keys()].sort()) d.set(k, q.get(k)!);
        return d;
      }
      case 'EscapedPath':
        return escapedPath(u);
      case 'EscapedFragment':
        return escapedFragment(u);
      case 'RequestURI':
        return requestURI(u);
      case 'IsAbs':
        return u.Scheme !== '';
      case 'Redacted':
        return u.User?.password !== undefined ? urlString({ ...u, User: { username: u.User.username, password: 'xxxxx' } }) : this.toString();
      default:
        return ABSENT;
    }
  }
}

function queryValues(q: VDict): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of q.entries()) {
    const list = Array.isArray(v) ? v.map(textOf) : [textOf(v)];
    out.set(k, list);
  }
  return out;
}

export const url: FunctionDef = {
  name: 'url',
  doc: 'Parse a URL (parse=) or build one from parts (scheme=, host=, path=, query=, fragment=): members Scheme, Host, Path, RawQuery, Fragment..., and String, Hostname, Port, Query.',
  args: {
    scheme: { type: 'string', doc: 'The scheme (https, file...)' },
    host: { type: 'string', doc: 'The host, with an optional :port' },
    path: { type: 'string', doc: 'The path (unescaped; it is escaped when the URL is printed)' },
    query: { type: 'any', doc: 'A dict of query parameters (a list value repeats the key)' },
    fragment: { type: 'string', doc: 'The fragment (after #)' },
    parse: { type: 'string', doc: 'A URL to parse (the other arguments are then ignored)' },
  },
  onArgError: false,
  run(call) {
    const { args } = call;
    const parse = typeof args.parse === 'string' ? args.parse : '';
    if (parse !== '') {
      try {
        return new URLValue(parseURL(parse));
      } catch (e) {
        call.log('error', `argument parse: ${(e as Error).message}`);
        return null;
      }
    }
    const u = emptyURL();
    u.Scheme = (args.scheme as string | undefined) ?? '';
    u.Host = (args.host as string | undefined) ?? '';
    u.Path = (args.path as string | undefined) ?? '';
    u.Fragment = (args.fragment as string | undefined) ?? '';
    if (args.query instanceof VDict) u.RawQuery = encodeQuery(queryValues(args.query));
    else if (args.query !== undefined && args.query !== null) {
      call.log('error', `argument query: expected a dict of parameters, got ${textOf(args.query)}`);
    }
    return new URLValue(u);
  },
};
