import { VTime, type Value } from '../values/types.ts';
import type { FunctionDef } from '../registry.ts';
import { NAMED_LAYOUTS, formatGoLayout } from '../time/go-layout.ts';
import { parseZone, timeFromAny } from '../time/parse.ts';
import { offsetAt } from '../time/zone.ts';

/** The zone's abbreviation at an instant, as Go prints it (`UTC`, `AEST`, else `+10` or `-0530`). */
function abbreviation(zone: string, utcMs: number, offsetS: number): string {
  if (zone === 'UTC') return 'UTC';
  try {
    const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' }).formatToParts(new Date(utcMs)).find((p) => p.type === 'timeZoneName')?.value ?? '';
    if (/^[A-Z]{2,5}$/.test(name)) return name;
  } catch {
    // An unknown zone was refused by parseZone already: fall through to the numeric form.
  }
  const a = Math.abs(offsetS);
  const hm = `${String(Math.floor(a / 3600)).padStart(2, '0')}${a % 3600 ? String(Math.floor((a % 3600) / 60)).padStart(2, '0') : ''}`;
  return `${offsetS < 0 ? '-' : '+'}${hm}`;
}

/** `timestamp_format(time, format)`: a time as text with a Go layout (or its name), in the parse zone. */
export const timestampFormat: FunctionDef = {
  name: 'timestamp_format',
  doc: 'Format a time (or anything timestamp() reads) with a Go layout or a layout name (RFC3339 (default), RFC3339Nano, Kitchen, DateTime, UnixDate...), in the zone PARSE_TZ names (UTC by default).',
  args: {
    time: { type: 'any', required: true, doc: 'The time (a time, epoch seconds, or a date string)' },
    format: { type: 'string', doc: 'A Go layout such as "2006-01-02 15:04", or a layout name; default RFC3339' },
  },
  async run({ args, scope }) {
    const zone = await parseZone(scope);
    const t: VTime | null = timeFromAny(args.time as Value, zone);
    if (!t) return null;
    const layout = typeof args.format === 'string' && args.format !== '' ? NAMED_LAYOUTS[args.format] ?? args.format : NAMED_LAYOUTS.RFC3339!;
    const ms = Number(t.unixNano / 1_000_000n) - (t.unixNano < 0n && t.unixNano % 1_000_000n !== 0n ? 1 : 0);
    const offsetMs = offsetAt(zone, ms);
    const nano = Number(((t.unixNano % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n);
    return formatGoLayout(layout, new Date(ms + offsetMs), nano, offsetMs / 1000, abbreviation(zone, ms, offsetMs / 1000));
  },
};
