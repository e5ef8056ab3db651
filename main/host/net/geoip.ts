/**
 * `geoip(ip, db)`: Velociraptor's MaxMind lookup (vql/functions/geoip.go over
 * oschwald/maxminddb-golang): the record of the network holding `ip` in the MaxMind DB file
 * `db` (GeoLite2/GeoIP2 City, Country, ASN... any `.mmdb`), as stored: `country.iso_code`,
 * `country.names.en`, `city.names.en`, `subdivisions[0].names.en`, `location.latitude`,
 * `autonomous_system_organization`... NULL when the database has no record for it.
 *
 * The file is read with mmdb-lib (the reader of the `maxmind` npm package) and kept open for
 * the process (two databases at most, read again when the file changes, which is looked at at
 * most once a second): a lookup is a walk of its search tree, not a read. A database that cannot be read or an `ip` that is not an address
 * is one clear log line naming the argument, and NULL.
 */
import { readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { Reader } from 'mmdb-lib';
import { toValue, type FunctionDef, type Value } from '../../vql/index.ts';
import { Lru } from '../files/lru.ts';
import { pathText } from '../files/ospath.ts';
import { errorText } from '../parsers/common.ts';

/** Databases read, by path and stamp (size and time): a changed file is read again. */
const DATABASES = new Lru<string, Promise<Reader<Record<string, unknown>>>>(2);
/** Each path's stamp and when it was taken: a lookup per row does not stat the file per row. */
const STAMPS = new Lru<string, { stamp: string; at: number }>(8);
/** How long a stamp is trusted (ms) before the file is looked at again. */
const RECHECK_MS = 1000;

/** The database at `path`, read once and kept while its size and time stay the same. */
export async function geoipDatabase(path: string): Promise<Reader<Record<string, unknown>>> {
  let seen = STAMPS.get(path);
  if (!seen || performance.now() - seen.at > RECHECK_MS) {
    const st = await stat(path);
    seen = { stamp: `${st.size}:${st.mtimeMs}`, at: performance.now() };
    STAMPS.set(path, seen);
  }
  return DATABASES.getOrSet(`${path}\0${seen.stamp}`, async () => {
    const bytes = await readFile(path);
    try {
      return new Reader<Record<string, unknown>>(bytes);
    } catch (e) {
      throw new Error(`not a MaxMind database (.mmdb): ${errorText(e)}`);
    }
  });
}

export const geoip: FunctionDef = {
  name: 'geoip',
  doc:
    'Look up an IP address in a MaxMind database (.mmdb: GeoLite2/GeoIP2 City, Country, ASN): the record of its network as stored ' +
    '(country.iso_code, country.names.en, city.names.en, subdivisions[0].names.en, location.latitude...), or NULL.',
  args: {
    ip: { type: 'string', required: true, doc: 'The IP address (IPv4 or IPv6)' },
    db: { type: 'string', required: true, doc: 'The path of the MaxMind database file (.mmdb)' },
  },
  async run(call) {
    const { args } = call;
    const ip = String(args.ip ?? '').trim();
    const db = args.db === undefined || args.db === null ? '' : pathText(args.db as Value);
    if (!db) {
      // Not configured yet (Server.Enrichment.GeoIP before its GeoIPDB is set): said, not an error of the run.
      call.log('warn', 'argument db: no database given: give the path of a MaxMind .mmdb file (e.g. GeoLite2-City.mmdb)');
      return null;
    }
    if (!isIP(ip)) {
      call.log('warn', `argument ip: ${JSON.stringify(ip)} is not an IP address`);
      return null;
    }
    let reader;
    try {
      reader = await geoipDatabase(db);
    } catch (e) {
      call.log('error', `db=${db}: cannot open: ${errorText(e)}`);
      return null;
    }
    try {
      const record = reader.get(ip);
      return record === null ? null : toValue(record);
    } catch (e) {
      // An IPv6 address in an IPv4-only database.
      call.log('warn', `ip=${ip}: ${errorText(e)}`);
      return null;
    }
  },
};
