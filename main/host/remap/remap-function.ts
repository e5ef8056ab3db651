/**
 * `remap(config=, copy=, clear=)`: Velociraptor's function that applies a remapping config
 * (YAML or JSON text) to the rest of the calling query: its later statements and the queries
 * and artifacts they start (apply.ts). Returns the config as applied ({remappings: [...]}), or
 * NULL after an error, which is logged (a bad config changes nothing).
 */
import type { FunctionDef } from '../../vql/index.ts';
import { textOf } from '../files/text.ts';
import { RemapError, parseRemapConfig } from './config.ts';
import { applyToScope, configValue } from './apply.ts';

export const remapFunction: FunctionDef = {
  name: 'remap',
  doc: 'Apply a remapping config (YAML or JSON: mounts, shadows, impersonation, permissions) to the rest of this query and the artifacts it calls: dead-disk and triage-folder analysis. Returns the config as applied.',
  args: {
    config: { type: 'any', required: true, doc: 'A remapping config in YAML or JSON (a `remappings:` list)' },
    copy: { type: 'strings', doc: 'Accessors to keep as they are (with clear=TRUE)' },
    clear: { type: 'bool', doc: 'Start from no accessors at all (else from the current ones)' },
  },
  run(call) {
    const text = textOf(call.args.config);
    try {
      const config = parseRemapConfig(text, 'remap(config=...)');
      applyToScope(call.scope, config, { clear: call.args.clear === true, copy: (call.args.copy as string[] | undefined) ?? [] });
      return configValue(config);
    } catch (e) {
      if (!(e instanceof RemapError)) throw e;
      call.log('error', e.message);
      return null;
    }
  },
};
