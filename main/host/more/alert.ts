/**
 * `alert(name=, dedup=, condition=, ...)` (Velociraptor's alert function): raises an alert
 * from a query. Velociraptor's client writes it to the flow's log at the ALERT level, from
 * where the server forwards it to its alert queue (`Server.Internal.Alerts`). Here there is
 * no server: the alert is one line of the query's log, `ALERT:` followed by the alert as JSON
 * (`{"name", "timestamp", "artifact", "flow_id", "event_data"}`), at the warning level so it
 * stands out in the console, in `vql` output, in a collection's log and in the collector's log.
 *
 * - Every argument other than `name`, `dedup` and `condition` goes into `event_data`, in the
 *   order given (`alert(name="Mutant", Name=Name, Exe=Exe)`).
 * - `condition`: when given and false, nothing is raised.
 * - `dedup`: an alert of the same name is raised at most once in this many seconds (0 or
 *   absent: 7200, two hours, as Velociraptor; a negative number: never suppressed). The memory
 *   is per query session, so an event artifact under `vql monitor` keeps it while it runs.
 * - Returns TRUE when the alert was raised, FALSE when the condition or dedup held it back
 *   (`Windows.Events.Mutants` keeps it as `AlertSent`).
 */
import { VDict, VTime, toJSON, truthy, type FunctionDef, type Value } from '../../vql/index.ts';
import { artifactStack } from '../../artifacts/run.ts';
import { seenWithin } from '../files/log.ts';

/** Velociraptor's default: one alert of a name per two hours. */
const DEFAULT_DEDUP_SECONDS = 7200;
const NAMED = new Set(['name', 'dedup', 'condition']);
const SEEN = Symbol('host-alert-dedup');

export const alert: FunctionDef = {
  name: 'alert',
  doc: 'Raise an alert: an `ALERT:` line with the alert as JSON in the query log (extra arguments are its event data); returns TRUE when raised. The same name is raised at most once per `dedup` seconds (default 7200; negative: always).',
  freeArgs: true,
  args: {
    name: { type: 'string', required: true, doc: 'The name of the alert' },
    dedup: { type: 'int', doc: 'Suppress alerts of the same name for this many seconds (default 7200; negative: never)' },
    condition: { type: 'any', doc: 'When given, the alert is raised only if it is true' },
  },
  async run(call) {
    const { args, scope } = call;
    if ('condition' in args && !(await truthy(args.condition ?? null, scope))) return false;
    const name = args.name as string;
    const dedup = Number(args.dedup ?? 0) === 0 ? DEFAULT_DEDUP_SECONDS : Number(args.dedup);
    if (dedup > 0 && seenWithin(scope.env, SEEN, name, dedup)) return false;
    const data = new VDict();
    for (const [k, v] of Object.entries(args)) if (!NAMED.has(k)) data.set(k, v ?? null);
    const flow = await scope.lookup('_SessionId');
    const message = new VDict([
      ['name', name],
      ['timestamp', VTime.fromMillis(Date.now())],
      ['artifact', artifactStack(scope).at(-1) ?? ''],
      ['flow_id', typeof flow === 'string' ? flow : ''],
      ['event_data', data as Value],
    ]);
    scope.log('warn', `ALERT:${toJSON(message)}`);
    return true;
  },
};
