// timestamp() and timestamp_format() as Velociraptor reads and writes times (VQL-FUNCTIONS.md
// 5.1): every argument, the integer heuristic, Go base prefixes, date strings in PARSE_TZ's
// zone, Go layouts, and the reference's golden examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collect, createRegistry, toJSON } from '../../main/vql/index.ts';
import { dateparse } from '../../main/vql/time/dateparse.ts';
import { formatGoLayout, parseGoLayout } from '../../main/vql/time/go-layout.ts';
import { goParseInt } from '../../main/vql/time/parse.ts';

async function run(text: string, vars: Record<string, unknown> = {}): Promise<{ rows: Array<Record<string, unknown>>; logs: string[] }> {
  const logs: string[] = [];
  const rows = await collect(text, { registry: createRegistry(), vars, log: (l, m) => logs.push(`${l}: ${m}`) });
  return { rows: JSON.parse(toJSON(rows)), logs };
}

async function value(expr: string, vars: Record<string, unknown> = {}): Promise<unknown> {
  return (await run(`SELECT ${expr} AS X FROM scope()`, vars)).rows[0]!.X;
}

const BRISBANE = { PARSE_TZ: 'Australia/Brisbane' };

test('golden examples of the reference (PARSE_TZ = Australia/Brisbane, UTC+10)', async () => {
  assert.equal(await value("timestamp(string='March 3 2019')", BRISBANE), '2019-03-02T14:00:00Z');
  assert.equal(await value('timestamp(string="2021-10-01T10:53:32")', BRISBANE), '2021-10-01T00:53:32Z');
  assert.equal(await value('timestamp(string="2021-10-01T10:53:32Z")', BRISBANE), '2021-10-01T10:53:32Z');
  for (const e of ['1630414425', '1630414425000', '1630414425000000']) {
    assert.equal(await value(`timestamp(epoch=${e})`, BRISBANE), '2021-08-31T12:53:45Z', e);
  }
  assert.equal(await value('timestamp(string="8/30/2021 6:01:28 PM", format="1/2/2006 3:04:05 PM")', BRISBANE), '2021-08-30T08:01:28Z');
});

test('PARSE_TZ set in the query with LET, TZ as a fallback, an unknown zone logged and read as UTC', async () => {
  const r = await run('LET PARSE_TZ <= "America/New_York" SELECT timestamp(string="2024-01-15 12:00:00") AS W, timestamp(string="2024-07-15 12:00:00") AS S FROM scope()');
  assert.deepEqual(r.rows[0], { W: '2024-01-15T17:00:00Z', S: '2024-07-15T16:00:00Z' }, 'EST in winter, EDT in summer');
  assert.equal(await value('timestamp(string="2024-01-15 12:00")', { TZ: 'Asia/Kolkata' }), '2024-01-15T06:30:00Z');
  const bad = await run('SELECT timestamp(string="2024-01-15 12:00") AS X FROM scope()', { PARSE_TZ: 'Mars/Olympus' });
  assert.equal(bad.rows[0]!.X, '2024-01-15T12:00:00Z');
  assert.match(bad.logs.join('\n'), /Unable to load timezone "Mars\/Olympus"/);
  assert.equal(await value('timestamp(string="2024-01-15 12:00:00 +0200")', BRISBANE), '2024-01-15T10:00:00Z', 'an offset of its own wins');
});

test('cocoatime, mactime and winfiletime, each only when positive, in that order', async () => {
  assert.equal(await value('timestamp(cocoatime=1)'), '2001-01-01T00:00:01Z');
  assert.equal(await value('timestamp(mactime=1)'), '1904-01-01T00:00:01Z');
  assert.equal(await value('timestamp(winfiletime=132223104000000000)'), '2020-01-01T00:00:00Z');
  assert.equal(await value('timestamp(winfiletime=132223104009999999)'), '2020-01-01T00:00:00Z', 'whole seconds');
  assert.equal(await value('timestamp(cocoatime=0, epoch=10)'), '1970-01-01T00:00:10Z');
  assert.equal(await value('timestamp(cocoatime=1, mactime=1, epoch=10)'), '2001-01-01T00:00:01Z');
});

test('the generic conversion: the integer heuristic, Go base prefixes, floats, empty and null', async () => {
  const cases: Array<[string, unknown]> = [
    ['timestamp(epoch=20000000000)', '2603-10-11T11:33:20Z'], // exactly 2e10: still seconds
    ['timestamp(epoch=20000000001)', '1970-08-20T11:33:20.001Z'], // above: milliseconds
    ['timestamp(epoch=1.5)', '1970-01-01T00:00:01.5Z'],
    ['timestamp(epoch=0)', '0001-01-01T00:00:00Z'],
    ['timestamp(epoch="")', '0001-01-01T00:00:00Z'],
    ['timestamp(epoch="2014")', '1970-01-01T00:33:34Z'],
    ['timestamp(epoch="0x10")', '1970-01-01T00:00:16Z'],
    ['timestamp(epoch="017")', '1970-01-01T00:00:15Z'],
    ['timestamp(epoch=-1)', '1969-12-31T23:59:59Z'],
    ['timestamp(epoch=TRUE)', '1970-01-01T00:00:01Z'],
    ['timestamp(epoch=NULL)', null],
    ['timestamp()', null],
    ['timestamp(epoch="not a date")', null],
    ['timestamp(string="019")', null],
  ];
  for (const [expr, expected] of cases) assert.equal(await value(expr), expected, expr);
});

test('dateparse families', () => {
  const iso = (s: string) => {
    const t = dateparse(s);
    if (!t) return null;
    const d = new Date(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second));
    return d.toISOString().slice(0, 19) + (t.offset !== undefined ? `@${t.offset}` : '');
  };
  const cases: Array<[string, string | null]> = [
    ['2006-01-02T15:04:05Z', '2006-01-02T15:04:05@0'],
    ['2006-01-02 15:04:05.123456 -0700', '2006-01-02T15:04:05@-25200'],
    ['2006-01-02 15:04:05 +0000 UTC', '2006-01-02T15:04:05@0'],
    ['2006-01', '2006-01-01T00:00:00'],
    ['2006/01/02 15:04', '2006-01-02T15:04:00'],
    ['2006:01:02 15:04:05', '2006-01-02T15:04:05'],
    ['07/08/2019', '2019-07-08T00:00:00'],
    ['25/07/2019', '2019-07-25T00:00:00'],
    ['7.8.2019', '2019-07-08T00:00:00'],
    ['02 Jan 2006', '2006-01-02T00:00:00'],
    ['Mon, 02 Jan 2006 15:04:05 MST', '2006-01-02T15:04:05'],
    ['Mon, 02 Jan 2006 15:04:05 -0700', '2006-01-02T15:04:05@-25200'],
    ['Monday, 02-Jan-06 15:04:05 GMT', '2006-01-02T15:04:05@0'],
    ['Mon Jan  2 15:04:05 2006', '2006-01-02T15:04:05'],
    ['Mon Jan  2 15:04:05 MST 2006', '2006-01-02T15:04:05'],
    ['Mon Jan 02 15:04:05 -0700 2006', '2006-01-02T15:04:05@-25200'],
    ['January 2, 2006 3:04pm', '2006-01-02T15:04:00'],
    ['Jan 2 2006', '2006-01-02T00:00:00'],
    ['02/Jan/2006:15:04:05 -0700', '2006-01-02T15:04:05@-25200'],
    ['2006年01月02日', '2006-01-02T00:00:00'],
    ['060102 15:04:05', '2006-01-02T15:04:05'],
    ['2006-02-30', null],
    ['13/13/2019', null],
    ['hello', null],
  ];
  for (const [s, expected] of cases) assert.equal(iso(s), expected, s);
});

test('Go layouts: parse and format round trip; Go base prefixes', () => {
  const t = parseGoLayout('Mon, 02 Jan 2006 15:04:05.000 -0700', 'Tue, 10 Nov 2009 23:00:00.123 +0130')!;
  assert.deepEqual({ ...t }, { year: 2009, month: 11, day: 10, hour: 23, minute: 0, second: 0, nano: 123_000_000, offset: 5400 });
  assert.equal(parseGoLayout('2006-01-02', '2009-13-01'), null);
  assert.equal(parseGoLayout('15:04:05', '23:00:00 extra'), null);
  assert.deepEqual({ ...parseGoLayout('15:04:05', '23:00:00.25')! }.nano, 250_000_000, 'a fraction after seconds');
  const wall = new Date(Date.UTC(2009, 10, 10, 23, 4, 5));
  assert.equal(formatGoLayout('Monday January _2 2006 03:04:05.999 PM Z07:00 MST', wall, 120_000_000, 0, 'UTC'), 'Tuesday November 10 2009 11:04:05.12 PM Z UTC');
  assert.equal(formatGoLayout('2006-01-02T15:04:05-07:00', wall, 0, -18000, 'EST'), '2009-11-10T23:04:05-05:00');
  assert.equal(goParseInt('0x1F'), 31n);
  assert.equal(goParseInt('0b101'), 5n);
  assert.equal(goParseInt('0o17'), 15n);
  assert.equal(goParseInt('017'), 15n);
  assert.equal(goParseInt('019'), null);
  assert.equal(goParseInt('1_000'), 1000n);
});

test('timestamp_format: layouts by name or text, in the parse zone', async () => {
  assert.equal(await value('timestamp_format(time=timestamp(epoch=1630414425))'), '2021-08-31T12:53:45Z');
  assert.equal(await value('timestamp_format(time=timestamp(epoch=1630414425), format="Kitchen")'), '12:53PM');
  assert.equal(await value('timestamp_format(time=1630414425, format="2006-01-02 15:04:05 MST")'), '2021-08-31 12:53:45 UTC');
  assert.equal(await value('timestamp_format(time=1630414425)', BRISBANE), '2021-08-31T22:53:45+10:00');
  assert.equal(await value('timestamp_format(time="nonsense")'), null);
});

test('a time compared with a date string reads the string in the parse zone', async () => {
  assert.equal(await value('timestamp(epoch=1630414425) > "2021-08-31 22:53:44"', BRISBANE), true);
  assert.equal(await value('timestamp(epoch=1630414425) < "2021-08-31 22:53:44"', BRISBANE), false);
});
