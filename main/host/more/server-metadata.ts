/**
 * `server_metadata()` and `server_set_metadata(metadata)`: Velociraptor's server metadata, the
 * key/value store its enrichment artifacts read their settings from (`VirustotalKey` for
 * Server.Enrichment.Virustotal, `GeoIPDB` for Server.Enrichment.GeoIP, webhook URLs...). On the
 * workstation the server is this machine: the store is `server-metadata.json` in the local
 * state folder (`<datastore>/local`, `_LocalFolder`), private to the user (0600), written
 * whole through a temp file so a crash never leaves half of it.
 *
 * server_set_metadata sets the keys it is given (a NULL value removes the key) and keeps the
 * others, as Velociraptor's does; it returns the metadata after the change.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { VDict, fromJSON, toJSON, toValue, type FunctionDef, type Registry, type Value } from '../../vql/index.ts';
import { datastoreTools, localFolderOf } from '../../artifacts/tools.ts';
import { errorText } from '../parsers/common.ts';

export const METADATA_FILE = 'server-metadata.json';

/** The metadata file of the run's local folder (the default datastore's when none is attached). */
export function metadataPath(registry: Registry): string {
  return join(localFolderOf(registry) ?? datastoreTools().localDir!, METADATA_FILE);
}

async function readMetadata(path: string): Promise<VDict> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new VDict();
    throw e;
  }
  const v = fromJSON(text);
  if (!(v instanceof VDict)) throw new Error(`${path} does not hold a JSON object: fix or remove it`);
  return v;
}

/** One change at a time per file (two queries setting keys at once both land). */
const writing = new Map<string, Promise<unknown>>();

export const serverMetadata: FunctionDef = {
  name: 'server_metadata',
  doc: 'The server metadata: settings that enrichment artifacts read (VirustotalKey, GeoIPDB...), kept in the local folder on this machine.',
  args: {
    client_id: { type: 'string', doc: 'Accepted for compatibility: the metadata is the server\'s (this machine\'s)' },
  },
  async run(call) {
    const path = metadataPath(call.scope.env.registry);
    try {
      return await readMetadata(path);
    } catch (e) {
      call.log('error', `${path}: ${errorText(e)}`);
      return new VDict();
    }
  },
};

export const serverSetMetadata: FunctionDef = {
  name: 'server_set_metadata',
  doc: 'Set keys of the server metadata (a NULL value removes the key; other keys are kept); gives the metadata after the change.',
  args: {
    metadata: { type: 'any', required: true, doc: 'A dict of the keys to set' },
    client_id: { type: 'string', doc: 'Accepted for compatibility: the metadata is the server\'s (this machine\'s)' },
  },
  async run(call) {
    const given = call.args.metadata instanceof VDict ? call.args.metadata : toValue(call.args.metadata);
    if (!(given instanceof VDict)) {
      call.log('error', 'argument metadata: give a dict of keys to set, e.g. metadata=dict(VirustotalKey="...")');
      return null;
    }
    const path = metadataPath(call.scope.env.registry);
    const previous = writing.get(path) ?? Promise.resolve();
    const change = previous.catch(() => {}).then(async (): Promise<Value> => {
      const current = await readMetadata(path);
      for (const [k, v] of given.map) {
        if (v === null || v === undefined) current.map.delete(k);
        else current.set(k, v);
      }
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, toJSON(current, { indent: 1 }) + '\n', { mode: 0o600 });
      await rename(tmp, path);
      return current;
    });
    writing.set(path, change);
    try {
      return await change;
    } catch (e) {
      call.log('error', `${path}: cannot write: ${errorText(e)}`);
      return null;
    } finally {
      if (writing.get(path) === change) writing.delete(path);
    }
  },
};
