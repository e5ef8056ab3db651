/**
 * The app's side of "Open collection…": `collection:list` (main/collections/listing.ts, with
 * the artifacts this app knows, so results naming an unknown one are said to be so), and the
 * streamed copy of one member that `table:open` of kind `zip-entry` reads (tables.ts): the
 * member is inflated into a folder of its own under the engine's temporary folder (never next
 * to the zip, never the whole zip) and removed once the table's load no longer reads it.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { Handlers, ServiceContext } from './service.ts';
import { fail, ok } from './service.ts';
import { listCollection } from '../collections/listing.ts';
import { copyMember, findMember } from '../collections/member.ts';
import { CollectionError } from '../collections/zip-file.ts';
import { unescapeComponent } from '../host/collect/zip-escape.ts';
import { TableError } from '../tables/table.ts';

/** A member streamed out of a collection zip for one table. */
export interface StreamedMember {
  /** The copy the engine reads. */
  readonly copy: string;
  /** The table's label: `zip name › Artifact/Source` (or the member's path). */
  readonly label: string;
  /** How the copy is named in problems, notes and errors: `zip › member`. */
  readonly shown: { path: string; as: string };
  /** Removes the copy (idempotent). */
  remove(): void;
}

/** How a member is named to a person: a result set by its unescaped name, other members by their path. */
export function memberLabel(entry: string): string {
  const m = /(?:^|\/)results\/([^/]+)\.(json|csv)$/.exec(entry);
  if (m) return unescapeComponent(m[1]!);
  return entry.split('/').map(unescapeComponent).join('/');
}

/** Streams `entry` of the zip at `zip` into a new folder of `engineFolder`; errors are TableErrors naming the zip and the member. */
export async function streamMember(engineFolder: string, zip: string, entry: string): Promise<StreamedMember> {
  let e;
  try {
    e = await findMember(zip, entry);
  } catch (err) {
    if (err instanceof CollectionError) throw new TableError(/has no member|does not exist/.test(err.message) ? 'NotFound' : 'Refused', err.message);
    throw err;
  }
  const dir = join(engineFolder, 'members', randomUUID());
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const copy = join(dir, 'member');
  try {
    await copyMember(zip, e, copy);
  } catch (err) {
    remove();
    if (err instanceof CollectionError) throw new TableError('Refused', err.message);
    throw err;
  }
  return { copy, label: `${basename(zip)} › ${memberLabel(entry)}`, shown: { path: copy, as: `${zip} › ${entry}` }, remove };
}

/** The `collection:list` handler. */
export function collectionHandlers(ctx: ServiceContext): Pick<Handlers, 'collection:list'> {
  return {
    'collection:list': async (path: string) => {
      if (typeof path !== 'string' || !isAbsolute(path)) return fail('BadRequest', 'collection:list needs the absolute path of a zip');
      try {
        return ok(await listCollection(path, { known: (name) => ctx.repo.get(name) !== undefined }));
      } catch (err) {
        if (err instanceof CollectionError) return fail('CollectionError', err.message);
        throw err;
      }
    },
  };
}
