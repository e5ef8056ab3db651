// The events file's problems keep the file:line:column promise: syntax (with a hint when the
// fault is a key without ':' above where the parser noticed), shape, and what needs the
// artifacts (unknown, not an event artifact, unknown parameter), each with a did-you-mean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEvents, parseEventsText, type EventArtifactInfo } from '../../main/collector/events-file.ts';
import { formatProblem } from '../../main/artifacts/index.ts';

const KNOWN: Record<string, EventArtifactInfo> = {
  'Generic.Client.Stats': { type: 'client_event', parameters: ['Frequency'] },
  'Linux.Events.ProcessExecutions': { type: 'client_event', parameters: ['TargetGlob'] },
  'Generic.Client.Info': { type: 'client', parameters: [] },
};
const check = (text: string) => {
  const load = parseEventsText(text, 'events.yaml');
  assert.ok(load.config, load.problems.map(formatProblem).join('\n'));
  return checkEvents(load.config, (n) => KNOWN[n], () => Object.keys(KNOWN)).map(formatProblem);
};

test('an unknown artifact, a CLIENT artifact, an unknown parameter: each at its line and column, with did-you-mean', () => {
  const text = [
    'Events:', //                                  1
    '  artifacts:', //                             2
    '  - Generic.Client.Stat', //                  3
    '  - Generic.Client.Info', //                  4
    '  - Linux.Events.ProcessExecutions', //       5
    '  version: 1', //                             6
    '  parameters:', //                            7
    '    Generic.Client.Stat:', //                 8
    '      Frequency: 5', //                       9
    '    Linux.Events.ProcessExecutions:', //      10
    '      TargetGlb: /usr/**', //                 11
    '',
  ].join('\n');
  assert.deepEqual(check(text), [
    'events.yaml:3:5: error: unknown artifact Generic.Client.Stat (did you mean Generic.Client.Stats?)',
    'events.yaml:4:5: error: Generic.Client.Info is a CLIENT artifact: only event artifacts (CLIENT_EVENT) run in the collector; collect it with vql artifacts collect',
    'events.yaml:11:7: error: Linux.Events.ProcessExecutions has no parameter TargetGlb (did you mean TargetGlob?); its parameters: TargetGlob',
  ]);
});

test('parameters under a misspelt name (not in artifacts:) say where, and which listed name was meant', () => {
  const load = parseEventsText('Events:\n  artifacts:\n  - Generic.Client.Stats\n  version: 1\n  parameters:\n    Generic.Client.Stat:\n      Frequency: 5\n', 'events.yaml');
  assert.equal(load.config, undefined);
  assert.deepEqual(load.problems.map(formatProblem), [
    'events.yaml:6:5: error: parameters are given for Generic.Client.Stat, which is not in artifacts: (did you mean Generic.Client.Stats?)',
  ]);
});

test('a key without its colon: the YAML error says which line to look at', () => {
  const load = parseEventsText('Events:\n  artifacts:\n  - Generic.Client.Stats\n  version 1\n  parameters:\n    Generic.Client.Stats:\n      Frequency: 5\n', 'events.yaml');
  assert.equal(load.problems.length, 1);
  const p = load.problems[0]!;
  assert.match(formatProblem(p), /^events\.yaml:\d+:\d+: error: YAML: .*the problem may start on line 4: 'version' looks like a key without ':'/);
});
