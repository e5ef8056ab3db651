// Reading remapping configs (main/host/remap/config.ts): what is accepted (YAML as
// Velociraptor's artifacts write it, JSON, an unquoted on:) and where an error points.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RemapError, parseRemapConfig } from '../../../main/host/remap/index.ts';

test('YAML as DeadDiskRemapping writes it, and the same config as JSON', () => {
  const yaml = `# generated
remappings:
  # the ACL
  - type: permissions
    permissions: [COLLECT_CLIENT, FILESYSTEM_READ]
  - type: impersonation
    os: windows
    hostname: Virtual Host
    env:
      - {key: SystemRoot, value: 'C:\\Windows'}
    disabled_plugins: [pslist]
  - type: mount
    description: Map Software Hive
    from:
      accessor: raw_reg
      prefix: |-
        {
          "Path": "/",
          "DelegateAccessor": "file",
          "DelegatePath": "/case/SOFTWARE"
        }
      path_type: registry
    on:
      accessor: registry
      prefix: HKEY_LOCAL_MACHINE\\Software
      path_type: registry
`;
  const c = parseRemapConfig(yaml, 'r.yaml');
  assert.deepEqual(c.remappings.map((r) => [r.index, r.line, r.type]), [[1, 4, 'permissions'], [2, 6, 'impersonation'], [3, 12, 'mount']]);
  const m = c.remappings[2]!;
  assert.ok(m.type === 'mount');
  assert.deepEqual(m.on, { accessor: 'registry', prefix: 'HKEY_LOCAL_MACHINE\\Software', pathType: 'registry', pathTypeText: 'registry' });
  const json = parseRemapConfig(JSON.stringify({ remappings: [{ type: 'shadow', from: { accessor: 'zip' }, on: { accessor: 'zip' } }] }), 'r.json');
  assert.deepEqual(json.remappings, [{ type: 'shadow', index: 1, from: { accessor: 'zip', prefix: '' }, on: { accessor: 'zip', prefix: '' } }]);
});

test('errors name the source, the remapping and its line', () => {
  const err = (text: string) => {
    try {
      parseRemapConfig(text, 'cfg.yaml');
    } catch (e) {
      assert.ok(e instanceof RemapError);
      return e.message;
    }
    assert.fail('no error');
  };
  assert.equal(err('remappings: []'), 'cfg.yaml: `remappings:` must be a non-empty list of remappings (types: permissions, impersonation, shadow, mount)');
  assert.equal(err('remappings:\n- type: permissions\n  permissions: [collect client]\n'), 'cfg.yaml: remapping #1 (line 2): "collect client" is not a permission name: Velociraptor\'s are upper case, e.g. COLLECT_CLIENT, FILESYSTEM_READ, EXECVE');
  assert.equal(err('remappings:\n- type: impersonation\n  os: windoze\n'), 'cfg.yaml: remapping #1 (line 2): os "windoze": give windows, linux or darwin (what info() says as OS)');
  assert.equal(err('remappings:\n- type: impersonation\n  env: [{name: A}]\n'), 'cfg.yaml: remapping #1 (line 2): env item 1 must be {key: NAME, value: TEXT}, not {"name":"A"}');
  assert.equal(err('remappings:\n- type: shadow\n  from: {accessor: zip, prefix: /x}\n  "on": {accessor: zip}\n'), 'cfg.yaml: remapping #1 (line 2): unknown key `from.prefix`: from takes accessor');
  assert.equal(err('remappings:\n- type: mount\n  from: {accessor: file, prefix: /x}\n  "on": {accessor: file, prefix: \'{"Path": "C:"}\'}\n'), 'cfg.yaml: remapping #1 (line 2): on.prefix must be a path (where the mount appears, e.g. C: or HKEY_LOCAL_MACHINE\\Software), not a pathspec');
  assert.equal(err('remappings:\n- type: impersonation\n  hostname: x\n  disabled_plugin: [pslist]\n'), 'cfg.yaml: remapping #1 (line 2): unknown key `disabled_plugin` for type impersonation: its keys are type, description, os, hostname, env, disabled_functions, disabled_plugins');
});
