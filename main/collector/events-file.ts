/**
 * The events file: which event artifacts the collector runs, in the seed's form, plus an
 * optional `parameters` map per artifact (our extension; a Velociraptor server ignores no
 * field here because it never reads this file):
 *
 * ```yaml
 * Events:
 *   artifacts:
 *   - Generic.Client.Stats
 *   version: 2
 *   parameters:
 *     Generic.Client.Stats:
 *       Frequency: 5
 * ```
 *
 * Parameter values are text, as on the command line (`--args`). Every problem says where it is
 * (file:line:column): the syntax and shape here (`parseEventsText`), and what needs the
 * artifacts (`checkEvents`: an unknown artifact, one that is not an event artifact, a parameter
 * it does not have), each with a did-you-mean when a name is close to one that exists.
 */
import { readFileSync } from 'node:fs';
import { positionAt, suggest } from '../vql/index.ts';
import { parseYamlTree, YamlSyntaxError, type YNode } from '../artifacts/yaml-tree.ts';
import { yamlErrorHint } from '../artifacts/yaml-hint.ts';
import type { ArtifactProblem } from '../artifacts/index.ts';
import { isEventType, type ArtifactType } from '../artifacts/schema.ts';

export interface EventsConfig {
  artifacts: string[];
  version: number;
  /** Artifact name → parameter name → text value. */
  parameters: Map<string, Map<string, string>>;
  /** Where each name is in the file (absent for a configuration not read from a file). */
  places?: EventsPlaces;
}

/** A line and column (1-based). */
export interface Place {
  line: number;
  column: number;
}

/** Where the names of an events file are: each artifact entry, each parameter key. */
export interface EventsPlaces {
  file: string;
  artifacts: Map<string, Place>;
  /** Artifact name → parameter name → its key. */
  parameters: Map<string, Map<string, Place>>;
}

export interface EventsLoad {
  config?: EventsConfig;
  problems: ArtifactProblem[];
}

const KEYS = ['artifacts', 'version', 'parameters'];

/** Parses the events file text; every problem has file:line:column. */
export function parseEventsText(text: string, file = '<events>'): EventsLoad {
  const problems: ArtifactProblem[] = [];
  const err = (offset: number, message: string) => {
    const { line, column } = positionAt(text, Math.max(0, offset));
    problems.push({ file, line, column, message, severity: 'error' });
  };
  let root: YNode | null;
  try {
    root = parseYamlTree(text.replace(/\r\n?/g, '\n'));
  } catch (e) {
    if (!(e instanceof YamlSyntaxError)) throw e;
    const line = e.line ?? positionAt(text, Math.max(0, e.offset)).line;
    problems.push({ file, line, column: e.column ?? 1, message: `YAML: ${e.message}${yamlErrorHint(text, line)}`, severity: 'error' });
    return { problems };
  }
  const places: EventsPlaces = { file, artifacts: new Map(), parameters: new Map() };
  const place = (offset: number): Place => positionAt(text, Math.max(0, offset));
  const config: EventsConfig = { artifacts: [], version: 0, parameters: new Map(), places };
  if (!root || root.kind !== 'map') {
    err(root?.start ?? 0, 'the events file must be a mapping with an Events: key (Events: {artifacts: [...], version: N})');
    return { problems };
  }
  const events = root.entries.find((e) => e.key.value === 'Events');
  for (const e of root.entries) if (e.key.value !== 'Events') err(e.key.start, `unknown key '${e.key.value}': the file has one key, Events`);
  if (!events) {
    err(0, 'missing Events: key (Events: {artifacts: [Generic.Client.Stats], version: 1})');
    return { problems };
  }
  if (events.value.kind !== 'map') {
    err(events.value.start >= 0 ? events.value.start : events.key.start, 'Events must be a mapping with artifacts:, version: and optional parameters:');
    return { problems };
  }
  for (const { key, value } of events.value.entries) {
    switch (key.value) {
      case 'artifacts':
        if (value.kind === 'scalar' && value.isNull) break;
        if (value.kind !== 'seq') {
          err(value.start, 'artifacts must be a list of artifact names (- Generic.Client.Stats)');
          break;
        }
        for (const item of value.items) {
          if (item.kind !== 'scalar' || item.isNull) err(item.start, 'each artifacts entry is an artifact name');
          else if (config.artifacts.includes(item.value)) err(item.start, `${item.value} is listed twice`);
          else {
            config.artifacts.push(item.value);
            places.artifacts.set(item.value, place(item.start));
          }
        }
        break;
      case 'version':
        if (value.kind !== 'scalar' || !/^\d+$/.test(value.value)) err(value.start >= 0 ? value.start : key.start, 'version must be a whole number');
        else config.version = Number(value.value);
        break;
      case 'parameters':
        if (value.kind === 'scalar' && value.isNull) break;
        if (value.kind !== 'map') {
          err(value.start, 'parameters must map artifact names to their parameters (Generic.Client.Stats: {Frequency: 5})');
          break;
        }
        for (const a of value.entries) {
          const params = new Map<string, string>();
          if (a.value.kind === 'scalar' && a.value.isNull) continue;
          if (a.value.kind !== 'map') {
            err(a.value.start, `parameters of ${a.key.value} must be a mapping of name: value`);
            continue;
          }
          const at = new Map<string, Place>();
          for (const p of a.value.entries) {
            if (p.value.kind !== 'scalar') err(p.value.start, `parameter ${p.key.value} of ${a.key.value}: give a text value (JSON for lists)`);
            else params.set(p.key.value, p.value.isNull ? '' : p.value.value);
            at.set(p.key.value, place(p.key.start));
          }
          places.parameters.set(a.key.value, at);
          config.parameters.set(a.key.value, params);
        }
        break;
      default:
        err(key.start, `unknown key '${key.value}' under Events: use ${KEYS.join(', ')}`);
    }
  }
  for (const name of config.parameters.keys()) {
    if (!config.artifacts.includes(name)) {
      const at = events.value.entries.find((e) => e.key.value === 'parameters')!.value;
      const entry = at.kind === 'map' ? at.entries.find((e) => e.key.value === name) : undefined;
      const like = suggest(name, config.artifacts, 1);
      err(entry?.key.start ?? 0, `parameters are given for ${name}, which is not in artifacts:${like.length ? ` (did you mean ${like[0]}?)` : ''}`);
    }
  }
  return problems.length ? { problems } : { config, problems };
}

/** What `checkEvents` needs to know of an artifact. */
export interface EventArtifactInfo {
  type: string;
  parameters: readonly string[];
}

/** A problem of one artifact of the events file (the others can still run). */
export interface EventsArtifactProblem extends ArtifactProblem {
  readonly artifact: string;
}

/**
 * The artifacts of a configuration checked against those that exist: each listed name must be
 * an artifact (else: did you mean...), an event artifact, and its parameters must be its own.
 * Problems are placed at the name's entry (or the parameter's key) in the file.
 */
export function checkEvents(config: EventsConfig, info: (name: string) => EventArtifactInfo | undefined, names: () => Iterable<string>): EventsArtifactProblem[] {
  const out: EventsArtifactProblem[] = [];
  const file = config.places?.file ?? '<events>';
  const at = (artifact: string, param?: string): Place =>
    (param !== undefined ? config.places?.parameters.get(artifact)?.get(param) : undefined) ?? config.places?.artifacts.get(artifact) ?? { line: 1, column: 1 };
  const problem = (artifact: string, message: string, param?: string) => out.push({ file, ...at(artifact, param), message, severity: 'error', artifact });
  for (const name of config.artifacts) {
    const a = info(name);
    if (!a) {
      const like = suggest(name, names(), 2);
      problem(name, `unknown artifact ${name}${like.length ? ` (did you mean ${like.join(' or ')}?)` : ''}`);
      continue;
    }
    if (!isEventType(a.type as ArtifactType)) {
      problem(name, `${name} is a ${a.type.toUpperCase()} artifact: only event artifacts (CLIENT_EVENT) run in the collector; collect it with vql artifacts collect`);
      continue;
    }
    for (const k of config.parameters.get(name)?.keys() ?? []) {
      if (a.parameters.includes(k)) continue;
      const like = suggest(k, a.parameters, 1);
      problem(name, `${name} has no parameter ${k}${like.length ? ` (did you mean ${like[0]}?)` : ''}; its parameters: ${a.parameters.join(', ') || 'none'}`, k);
    }
  }
  return out;
}

/** Reads and parses the events file; a missing file is an empty configuration. */
export function loadEventsFile(path: string): EventsLoad {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { config: { artifacts: [], version: 0, parameters: new Map() }, problems: [] };
    return { problems: [{ file: path, line: 1, column: 1, severity: 'error', message: `cannot read: ${(e as Error).message}` }] };
  }
  return parseEventsText(text, path);
}

/** The events file text for a configuration (used when creating the default file). */
export function eventsText(config: EventsConfig): string {
  const lines = ['Events:', '  artifacts:', ...config.artifacts.map((a) => `  - ${a}`), `  version: ${config.version}`];
  if (config.parameters.size) {
    lines.push('  parameters:');
    for (const [a, params] of config.parameters) {
      lines.push(`    ${a}:`);
      for (const [k, v] of params) lines.push(`      ${k}: ${JSON.stringify(v)}`);
    }
  }
  return lines.join('\n') + '\n';
}
