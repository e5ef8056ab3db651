import { VTime } from '../values/types.ts';
import type { PluginDef } from '../registry.ts';
import { sleep } from '../eval/stream.ts';
import { toTime } from '../eval/coerce.ts';

/**
 * `clock(period, ms, start)`: an event plugin that emits the current time every interval
 * until cancelled (VELOCIRAPTOR.md 4.2). Rows are times: `SELECT Unix FROM clock()`.
 * Without `start` the first row comes after one interval.
 */
export const clock: PluginDef = {
  name: 'clock',
  doc: 'Emit a time row every period seconds plus ms milliseconds (default 1 s), forever. Columns: Unix, UnixNano, UnixMilli, String, Year, Month, Day, Hour, Minute, Second...',
  category: 'event',
  args: {
    period: { type: 'int', doc: 'Seconds between rows' },
    ms: { type: 'int', doc: 'Milliseconds between rows (added to period)' },
    start: { type: 'any', doc: 'Emit the first row at this time (epoch seconds, a time or a date string), then every interval' },
  },
  async *run({ args, signal, log }) {
    const period = Number(args.period ?? 0);
    const ms = Number(args.ms ?? 0);
    let interval = period * 1000 + ms;
    if (interval <= 0) interval = 1000;
    if (args.start !== undefined && args.start !== null) {
      const start = toTime(args.start);
      if (!start) log('warn', 'start is not a time; ignoring it');
      else {
        if (!(await sleep(start.millis - Date.now(), signal))) return;
        yield VTime.now();
      }
    }
    for (;;) {
      if (!(await sleep(interval, signal))) return;
      yield VTime.now();
    }
  },
};
