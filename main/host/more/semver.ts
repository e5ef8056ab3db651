/**
 * `semver(version=)` (Velociraptor's vql/functions/semver.go, Masterminds/semver): a semantic
 * version that compares with version strings: `semver(version=Version) >= "2.5"`.
 *
 * - Versions are read loosely: an optional `v`, then 1 to 3 numbers (missing ones are 0, so
 *   `1.1` is `1.1.0`), an optional `-prerelease` and `+build` part.
 * - `=`, `<`, `>`, `<=`, `>=` (and `!=`) against a string parse the string the same way, or
 *   against another semver(); precedence is SemVer 2.0's (a prerelease sorts before its
 *   release, build metadata is ignored). An operand that is not a valid version string (an
 *   empty or bad string, a number) makes every comparison false.
 * - The value prints and serializes as the normalized version (`1` gives `1.0.0`); members
 *   Major, Minor, Patch, Prerelease, Metadata, Original, String.
 * - A version that does not parse logs an error naming it and gives NULL.
 */
import { ABSENT, GET_MEMBER, MEMBERS, type Absent, type FunctionDef, type HostObject, type ProtocolHandler, type Registry, type Value } from '../../vql/index.ts';

const LOOSE = /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;

const SEMVER_MEMBERS = ['Major', 'Minor', 'Patch', 'Prerelease', 'Metadata', 'Original', 'String'];

export class SemVer implements HostObject {
  constructor(
    readonly major: bigint,
    readonly minor: bigint,
    readonly patch: bigint,
    readonly pre: string,
    readonly metadata: string,
    readonly original: string,
  ) {}

  /** Parses a version string, or null when it is not one. */
  static parse(text: string): SemVer | null {
    const m = LOOSE.exec(text);
    if (!m) return null;
    const pre = m[5] ?? '';
    // A numeric prerelease identifier must not have leading zeros (SemVer 2.0).
    if (pre && pre.split('.').some((p) => /^0[0-9]+$/.test(p))) return null;
    const n = (s: string | undefined) => BigInt(s ? s.replace('.', '') : '0');
    return new SemVer(n(m[1]), n(m[2]), n(m[3]), pre, m[8] ?? '', text);
  }

  toString(): string {
    let s = `${this.major}.${this.minor}.${this.patch}`;
    if (this.pre) s += '-' + this.pre;
    if (this.metadata) s += '+' + this.metadata;
    return s;
  }
  toJSON(): string {
    return this.toString();
  }
  [MEMBERS](): readonly string[] {
    return SEMVER_MEMBERS;
  }
  [GET_MEMBER](name: string): Value | Absent {
    switch (name) {
      case 'Major':
        return Number(this.major);
      case 'Minor':
        return Number(this.minor);
      case 'Patch':
        return Number(this.patch);
      case 'Prerelease':
        return this.pre;
      case 'Metadata':
        return this.metadata;
      case 'Original':
        return this.original;
      case 'String':
        return this.toString();
      default:
        return ABSENT;
    }
  }
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePre(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1; // a release sorts after its prereleases
  if (b === '') return -1;
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const pn = /^[0-9]+$/.test(p);
    const qn = /^[0-9]+$/.test(q);
    if (pn && qn) {
      const c = cmpBig(BigInt(p), BigInt(q));
      if (c) return c;
    } else if (pn !== qn) {
      return pn ? -1 : 1;
    } else if (p !== q) {
      return p < q ? -1 : 1;
    }
  }
  return 0;
}

/** SemVer precedence: -1, 0 or 1 (build metadata ignored). */
export function compareSemVer(a: SemVer, b: SemVer): number {
  return cmpBig(a.major, b.major) || cmpBig(a.minor, b.minor) || cmpBig(a.patch, b.patch) || comparePre(a.pre, b.pre);
}

/** The version an operand stands for, or null (not a version string or semver()). */
function operand(v: Value): SemVer | null {
  if (v instanceof SemVer) return v;
  if (typeof v === 'string') return SemVer.parse(v);
  return null;
}

function handler(name: string, test: (c: number) => boolean): ProtocolHandler {
  return {
    name,
    applies: (a, b) => a instanceof SemVer || b instanceof SemVer,
    apply(a, b) {
      const x = operand(a);
      const y = operand(b);
      if (!x || !y) return false;
      return test(compareSemVer(x, y));
    },
  };
}

/** Teaches `=`, `<` and `>` (and so `<=`, `>=`, `!=`) about semver() values. */
export function installSemverProtocols(registry: Registry): void {
  registry.protocols.eq.push(handler('semver = version', (c) => c === 0));
  registry.protocols.lt.push(handler('semver < version', (c) => c < 0));
  registry.protocols.gt.push(handler('semver > version', (c) => c > 0));
}

export const semver: FunctionDef = {
  name: 'semver',
  doc: 'A semantic version that compares with version strings: semver(version="1.2.3") >= "1.2" (missing parts are 0; invalid operands compare false).',
  args: {
    version: { type: 'string', required: true, doc: 'The version text (1, 1.2, 1.2.3, v1.2.3-rc.1+build)' },
  },
  run(call) {
    const text = String(call.args.version ?? '');
    const v = SemVer.parse(text);
    if (!v) {
      call.log('error', `argument version: ${JSON.stringify(text)} is not a semantic version (like 1.2.3)`);
      return null;
    }
    return v;
  },
};
