/**
 * The events configuration the app edits IS the events file (`vql monitor` reads the same one):
 * starting an artifact adds it (with its parameters) and stopping removes it. The file is
 * checked before any change, so a hand edit that does not load is reported (file:line:column)
 * and never overwritten; the new text replaces the old in one rename, so a reader never sees
 * half a file. Comments in the file are not kept (the text is regenerated).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isEventType, formatProblem, cliArgValue, type Repository } from '../artifacts/index.ts';
import { eventsText, parseEventsText, type EventsConfig } from '../collector/events-file.ts';

/** A change that cannot be made; `code` is the contract's error code. */
export class EventsConfigError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'EventsConfigError';
  }
}

/** The current configuration of an events file (a missing file is empty); throws when it does not load. */
export function readEventsConfig(path: string): EventsConfig {
  if (!existsSync(path)) return { artifacts: [], version: 0, parameters: new Map() };
  const load = parseEventsText(readFileSync(path, 'utf8'), path);
  if (!load.config) {
    const first = load.problems[0];
    throw new EventsConfigError('EventsFileInvalid', `${first ? formatProblem(first) : `${path}: does not load`}. Fix the events file (vql monitor reads it too), then try again; it was not changed.`);
  }
  return load.config;
}

/** Applies `edit` to the events file and writes it back (version + 1); returns the new configuration. */
export function editEventsFile(path: string, edit: (config: EventsConfig) => void): EventsConfig {
  const config = readEventsConfig(path);
  edit(config);
  config.version++;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, eventsText(config));
  renameSync(tmp, path);
  return config;
}

/**
 * Checks that `artifact` can run in the collector with these parameters (an event artifact,
 * declared parameters, text values); returns the parameters to write, or throws.
 */
export function checkEventStart(repo: Repository, artifact: unknown, parameters: unknown): Map<string, string> {
  if (typeof artifact !== 'string' || !artifact) throw new EventsConfigError('BadRequest', 'events:start needs an artifact name');
  const loaded = repo.get(artifact);
  if (!loaded) {
    const like = repo.suggest(artifact);
    throw new EventsConfigError('NotFound', `Artifact ${artifact} not found${like.length ? ` (did you mean ${like.join(' or ')}?)` : ''}`);
  }
  if (!isEventType(loaded.artifact.type)) {
    throw new EventsConfigError('NotAnEventArtifact', `${artifact} is a ${loaded.artifact.type.toUpperCase()} artifact: only event artifacts (CLIENT_EVENT) run in the collector; collect it from the Artifacts view instead`);
  }
  const out = new Map<string, string>();
  if (parameters === undefined || parameters === null) return out;
  if (typeof parameters !== 'object' || Array.isArray(parameters)) throw new EventsConfigError('BadRequest', 'parameters must map names to text values');
  const declared = loaded.artifact.parameters ?? [];
  for (const [k, v] of Object.entries(parameters as Record<string, unknown>)) {
    const p = declared.find((d) => d.name === k);
    if (!p) throw new EventsConfigError('UnknownParameter', `${artifact} has no parameter ${k} (its parameters: ${declared.map((d) => d.name).join(', ') || 'none'})`);
    if (typeof v !== 'string') throw new EventsConfigError('BadRequest', `parameter ${k} of ${artifact}: give a text value`);
    // The collector converts the text the same way when it starts the query.
    cliArgValue(p, v);
    out.set(k, v);
  }
  return out;
}
