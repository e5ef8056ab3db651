// What the editor says about saving stays true of the text on screen: a failed save's message
// goes once the text changes, the built-in label follows the name, a taken name is said before
// Save and only the artifact opened is replaced without a question. Also the library's
// description summary and the console's status after an edit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { messageApplies, nameClash, replaceOnSave, showsBuiltIn } from '../../renderer/lib/editor/save-state.ts';
import { describe as describeText } from '../../renderer/lib/library/description.ts';
import { statusText } from '../../renderer/lib/run/status.ts';
import type { ArtifactSummary } from '../../main/ipc/contract.ts';
import type { RunState } from '../../renderer/lib/state/queries.ts';

const summary = (name: string, builtIn: boolean, file = `/u/${name}.yaml`): ArtifactSummary => ({ name, type: 'client', description: '', builtIn, file });

describe('editor messages', () => {
  test('"Not saved: 7:11 ..." applies to the text that failed, not to the text after a fix', () => {
    const bad = 'name: Custom.A\nsources\n';
    const m = { error: true, text: 'Not saved: 3:1: YAML: ...', forText: bad };
    assert.equal(messageApplies(m, bad), true);
    assert.equal(messageApplies(m, 'name: Custom.A\nsources:\n  - query: SELECT 1 FROM scope()\n'), false);
    assert.equal(messageApplies({ error: false, text: 'Saved Custom.A' }, 'anything'), true);
    assert.equal(messageApplies(null, ''), false);
  });

  test('"built-in: save a copy" only while the name is the built-in artifact\'s own', () => {
    assert.equal(showsBuiltIn(true, 'Generic.Client.Info', 'Generic.Client.Info'), true);
    assert.equal(showsBuiltIn(true, 'Custom.Generic.Client.Info', 'Generic.Client.Info'), false);
    assert.equal(showsBuiltIn(false, 'Custom.A', 'Custom.A'), false);
  });

  test('the artifact opened is replaced without a question; another name needs a yes', () => {
    assert.equal(replaceOnSave('Custom.A', 'Custom.A'), 'Custom.A');
    assert.equal(replaceOnSave('Custom.B', 'Custom.A'), undefined);
    assert.equal(replaceOnSave('Custom.B', null), undefined, 'an imported YAML file or a new artifact');
  });

  test('a name another artifact has is said before Save', () => {
    const list = [summary('Custom.Mine', false), summary('Generic.Client.Info', true)];
    assert.equal(nameClash('Custom.Mine', 'Custom.Mine', list), null, 'its own name');
    assert.equal(nameClash('Custom.New', null, list), null);
    assert.deepEqual(nameClash('Custom.Mine', null, list), { builtIn: false, text: 'Custom.Mine already exists (/u/Custom.Mine.yaml): Save will show the changes and ask before replacing it' });
    assert.match(nameClash('Generic.Client.Info', 'Custom.X', list)!.text, /built-in artifact: rename this one \(e\.g\. Custom\.Generic\.Client\.Info\)/);
  });
});

describe('library descriptions', () => {
  test('the first paragraph on one line, and whether there is more to read', () => {
    const wrapped = 'Collects the statistics of the client process, every\nFrequency seconds.\n\nThe rows feed the live view.';
    assert.deepEqual(describeText(wrapped), {
      summary: 'Collects the statistics of the client process, every Frequency seconds.',
      full: 'Collects the statistics of the client process, every Frequency seconds.\n\nThe rows feed the live view.',
      more: true,
    });
    assert.deepEqual(describeText('Short.'), { summary: 'Short.', full: 'Short.', more: false });
    assert.equal(describeText('x'.repeat(200)).more, true);
    assert.deepEqual(describeText(''), { summary: '', full: '', more: false });
  });
});

describe('console status after an edit', () => {
  const failed: RunState = { status: 'failed', rows: 0, ms: 3, startedAt: 0, logs: [], error: { code: 'ParseError', message: "expected FROM, found 'WHERE'", span: { start: 9, end: 14, line: 1, column: 10 } } };
  const done: RunState = { status: 'done', rows: 2, ms: 41, startedAt: 0, logs: [] };
  test('an old error is not shown under a changed query', () => {
    assert.match(statusText(failed, 0), /^Error · line 1, column 10: expected FROM/);
    const edited = statusText(failed, 0, true);
    assert.doesNotMatch(edited, /expected FROM|line 1, column 10/);
    assert.match(edited, /Edited since the last run, which failed/);
  });
  test('rows of the query before the edit say so', () => {
    assert.equal(statusText(done, 0), 'Done · 2 rows · 41 ms');
    assert.equal(statusText(done, 0, true), 'Done · 2 rows · 41 ms · for the query before your edit');
  });
});
