/**
 * THE typed contract between the renderer and the main process (or the web host): requests
 * with replies, pushes from main, cancellation. Types only: the renderer imports it with
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
}

/** Messages the renderer sends without a reply. */
export interface Send {
  'vql:cancel': (id: QueryId) => void;
}

/** Pushes from main to the renderer. */
export interface Push {
  /** A batch of rows of a running query (sent at most every ~100 ms or 500 rows). */
  'vql:rows': (id: QueryId, rows: RowJson[]) => void;
  /** A log line of a running query. */
  'vql:log': (id: QueryId, level: string, message: string) => void;
  /** The query ended: `error` set when it failed, `cancelled` when it was stopped. */
  'vql:done': (id: QueryId, summary: { rows: number; ms: number; cancelled: boolean; error?: SerializedError }) => void;
}

export type InvokeChannel = keyof Invoke;
export type PushChannel = keyof Push;
