// Host values as Velociraptor's artifacts rely on them. Truthiness (SPEC 9.1's "unless a host
// protocol says otherwise"): a time is true after 1970 (AppCompatCache's `WHERE ModificationTime`
// drops unset FILETIMEs), and a path is true unless it is empty (DeadDiskRemapping's
// `PartitionPath && ...` on a pathspec with no Path). Iteration (SPEC 10.1): a Go struct in a list
// is wrapped as `_value` (Windows.NTFS.Recover's `foreach(row=Parsed.Attributes)`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filesRegistry, runner } from './query-runner.ts';
import { createRegistry } from '../../../main/vql/index.ts';
import { registerFiles } from '../../../main/host/files/index.ts';

const { value } = runner(filesRegistry);

test('a time is truthy after 1970 and falsy at or before it, as Go\'s t.Unix() > 0', async () => {
  assert.equal(await value(`if(condition=timestamp(epoch=1700000000), then='yes', else='no')`), 'yes');
  assert.equal(await value(`if(condition=timestamp(epoch=0), then='yes', else='no')`), 'no');
  assert.equal(await value(`if(condition=timestamp(winfiletime=0), then='yes', else='no')`), 'no');
  assert.equal(await value(`NOT timestamp(epoch=-5)`), true);
  assert.equal(await value(`timestamp(epoch=1) && 'kept'`), 'kept');
});

test('with vfilter\'s core semantics only (no Velociraptor protocols) a time stays false', async () => {
  const bare = runner(() => {
    const r = createRegistry({ velociraptorProtocols: false });
    registerFiles(r, {});
    return r;
  });
  assert.equal(await bare.value(`if(condition=timestamp(epoch=1700000000), then='yes', else='no')`), 'no');
});

test('a path is truthy unless it is empty; a pathspec naming only a container is not empty', async () => {
  assert.equal(await value(`pathspec(parse='/etc') && 'yes'`), 'yes');
  assert.equal(await value(`pathspec(DelegateAccessor='offset', Delegate=pathspec(DelegatePath='/img', Path='512')) && 'yes'`), 'yes');
  assert.equal(await value(`NOT pathspec(Path='')`), true);
});

test('a Go struct in a list is a value when iterated, not a row: foreach(row=parse_ntfs(...).Attributes) reads _value', async () => {
  const { VStruct } = await import('../../../main/vql/index.ts');
  const registry = filesRegistry();
  const { collect, toJSON } = await import('../../../main/vql/index.ts');
  const vars = { Attrs: [new VStruct([['Type', '$DATA'], ['TypeId', 128]]), new VStruct([['Type', '$FILE_NAME'], ['TypeId', 48]])] };
  const rows = await collect(`SELECT _value.Type AS Type, _value.TypeId AS Id FROM foreach(row=Attrs)`, { registry, vars });
  assert.deepEqual(JSON.parse(toJSON(rows)), [{ Type: '$DATA', Id: 128 }, { Type: '$FILE_NAME', Id: 48 }]);
  // Its fields still read like a dict's, and SELECT * of one row shows them.
  const one = await collect(`SELECT Attrs[0].Type AS T, Attrs[0] AS A FROM scope()`, { registry, vars });
  assert.deepEqual(JSON.parse(toJSON(one)), [{ T: '$DATA', A: { Type: '$DATA', TypeId: 128 } }]);
});
