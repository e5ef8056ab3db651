/**
 * THE typed contract between the renderer and the main process (or the web host): requests
 * with replies, pushes from main, cancellation. Types (and one constant): the renderer imports it with
 * `import type`. Every reply is a `Result`, so an error keeps its code, message and span and
 * the editor can underline it.
 */

/** A source range (UTF-16 offsets) plus its 1-based line and column, for underlining. */
export interface ErrorSpan {
  start: number;
  end: number;
  line: number;
  column: number;
}

export interface SerializedError {
  code: string;
  message: string;
  span?: ErrorSpan;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: SerializedError };

export type QueryId = string;

/** A row as it crosses the boundary: JSON text of an ordered dict keeps key order and types. */
export type RowJson = string;

export interface RunRequest {
  /** VQL text (one or more statements). */
  query: string;
  /** Scope variables (strings, as `--env`). */
  env?: Record<string, string>;
}

export interface CollectRequest {
  artifact: string;
  /** Parameter values as text, as on the command line. */
  args?: Record<string, string>;
}

/** A problem in VQL or artifact YAML, positioned for the editor. */
export interface Problem {
  line: number;
  column: number;
  message: string;
  severity: 'error' | 'warning';
}

export interface ArtifactSummary {
  name: string;
  type: string;
  description: string;
  builtIn: boolean;
  file: string;
}

export interface ArtifactDetail extends ArtifactSummary {
  raw: string;
  parameters: Array<{ name: string; type: string; default: string; description: string; choices?: string[] }>;
}

export interface CompletionEntry {
  kind: 'plugin' | 'function';
  name: string;
  doc: string;
  signature: string;
  args: Array<{ name: string; type: string; required: boolean; doc: string }>;
}

/** Live state of one event artifact in the app's collector (issue 6). */
export interface EventArtifactStatus {
  artifact: string;
  /** Parameters as in the events file. */
  parameters: Record<string, string>;
  state: 'starting' | 'running' | 'paused' | 'backoff' | 'failed' | 'stopped';
  /** Which budget paused it (`ops_per_second`, `cpu_limit`, `memory`), when state is paused. */
  limit?: string;
  /** The last error, when failed or backing off. */
  error?: string;
  rowsToday: number;
  rowsPerSecond: number;
  /** ISO time of the last row written. */
  lastRow?: string;
}

export interface EventsStartRequest {
  artifact: string;
  /** Parameter values as text; written to the events file. */
  parameters?: Record<string, string>;
}

/** One day file of an artifact in the datastore. */
export interface StoreDay {
  /** YYYY-MM-DD (UTC). */
  day: string;
  rows: number;
  bytes: number;
}

export interface StoreArtifact {
  artifact: string;
  days: StoreDay[];
}

export interface StoreOpenRequest {
  client: string;
  artifact: string;
  /** First and last day, inclusive (YYYY-MM-DD). */
  from: string;
  to: string;
}

export interface PackExportRequest {
  names: string[];
  /** Prefix applied to names and to `Artifact.X` references between the chosen artifacts. */
  prefix?: string;
}

export interface PackExport {
  /** The zip, base64 ('' when every chosen artifact was refused). */
  zipBase64: string;
  fileName: string;
  /** The artifact names as written (after the prefix). */
  artifacts: string[];
  warnings: string[];
  /** Chosen artifacts left out of the pack, each with its problems (`file:line:column: error: ...`). */
  refused: Array<{ name: string; problems: string[] }>;
  /** Server-side configuration snippet for the chosen CLIENT_EVENT artifacts (YAML). */
  serverConfig: string;
}

export interface PackImport {
  imported: ArtifactSummary[];
  problems: Array<{ file: string; message: string }>;
}

/** Commands from the application menu (Electron) that the renderer carries out. */
export type MenuCommand = 'open-csv' | 'open-folder' | 'open-artifact' | 'save' | 'export-csv' | 'export-json' | 'new-artifact' | 'run' | 'stop';

/** Requests the renderer makes; each resolves with a Result. */
export interface Invoke {
  'vql:check': (query: string) => Result<Problem[]>;
  'vql:run': (req: RunRequest) => Result<QueryId>;
  'vql:format': (query: string) => Result<string>;
  'artifacts:list': () => Result<ArtifactSummary[]>;
  'artifacts:get': (name: string) => Result<ArtifactDetail>;
  'artifacts:check': (yaml: string) => Result<Problem[]>;
  'artifacts:save': (yaml: string) => Result<ArtifactSummary>;
  'artifacts:delete': (name: string) => Result<true>;
  'artifacts:collect': (req: CollectRequest) => Result<QueryId>;
  'docs:completions': () => Result<CompletionEntry[]>;
  /** The app's collector (the events file and datastore shared with `vql monitor`). */
  'events:status': () => Result<EventArtifactStatus[]>;
  'events:start': (req: EventsStartRequest) => Result<EventArtifactStatus[]>;
  'events:stop': (artifact: string) => Result<EventArtifactStatus[]>;
  /** Live rows of one event artifact: pushed as `events:rows` until `events:unsubscribe`. */
  'events:subscribe': (artifact: string) => Result<true>;
  /** The monitoring log browser. */
  'store:clients': () => Result<string[]>;
  'store:artifacts': (client: string) => Result<StoreArtifact[]>;
  /** Streams the rows of a day range in time order as a query (`vql:rows` / `vql:done`). */
  'store:open': (req: StoreOpenRequest) => Result<QueryId>;
  /** Artifact packs for a Velociraptor server. */
  'packs:export': (req: PackExportRequest) => Result<PackExport>;
  'packs:import': (zipBase64: string) => Result<PackImport>;
}

/** Messages the renderer sends without a reply. */
export interface Send {
  'vql:cancel': (id: QueryId) => void;
  'events:unsubscribe': (artifact: string) => void;
}

/** Pushes from main to the renderer. */
export interface Push {
  /** A batch of rows of a running query (sent at most every ~100 ms or 500 rows). */
  'vql:rows': (id: QueryId, rows: RowJson[]) => void;
  /** A log line of a running query. */
  'vql:log': (id: QueryId, level: string, message: string) => void;
  /** The query ended: `error` set when it failed, `cancelled` when it was stopped. */
  'vql:done': (id: QueryId, summary: { rows: number; ms: number; cancelled: boolean; error?: SerializedError }) => void;
  /** Live rows of a subscribed event artifact, as they are received; `missed`: rows this view fell behind on and skipped. */
  'events:rows': (artifact: string, rows: RowJson[], missed?: number) => void;
  /** The collector's state changed (or every few seconds while running). */
  'events:status': (status: EventArtifactStatus[]) => void;
  /** An application menu item (Electron only). */
  'app:menu': (command: MenuCommand) => void;
}

export type SendChannel = keyof Send;

export type InvokeChannel = keyof Invoke;
export type PushChannel = keyof Push;

/**
 * The one object the renderer talks to: Electron's preload exposes it as `window.vqlBridge`,
 * and renderer/lib/api.ts builds the same shape over the web host's WebSocket.
 */
export interface Bridge {
  invoke<K extends InvokeChannel>(channel: K, ...args: Parameters<Invoke[K]>): Promise<ReturnType<Invoke[K]>>;
  send<K extends SendChannel>(channel: K, ...args: Parameters<Send[K]>): void;
  /** Returns the unsubscribe function. */
  subscribe<K extends PushChannel>(channel: K, fn: (...args: Parameters<Push[K]>) => void): () => void;
}

/** The name under which the Electron preload exposes the Bridge. */
export const BRIDGE_GLOBAL = 'vqlBridge';
