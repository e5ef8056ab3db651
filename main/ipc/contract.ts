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
  /**
   * Also write a collection container (Velociraptor's offline-collection zip: rows, log and
   * uploads), as `vql artifacts collect --output x.zip` does; `vql:done` then carries `collection`.
   */
  container?: boolean;
  /**
   * Run it even where its precondition does not hold on this machine (a Windows artifact over
   * evidence copied here), as `vql artifacts collect --ignore-preconditions`.
   */
  ignorePreconditions?: boolean;
  /**
   * Run it against Windows evidence on the host instead of this machine: a disk image, an NTFS
   * partition image or a folder (`vql artifacts collect --evidence`), or a remapping config
   * `.yaml` (`--remap`). See docs/remapping.md.
   */
  evidence?: string;
}

/** The collection container a run wrote (`artifacts:collect` with `container: true`), ready to fetch once. */
export interface CollectionDownload {
  /** The web host's one-time address of the zip (`/exports/<id>`, as `table:export`'s download). */
  download: string;
  /** The zip's file name (`Collection-<host>-<time>.zip`). */
  name: string;
  /** Bytes of the zip. */
  bytes: number;
  /** Rows in its result sets, uploads and their bytes. */
  rows: number;
  uploads: number;
  uploadedBytes: number;
  /** Its flow id (`F.…`, collection_context.json's session_id). */
  sessionId: string;
}

/** `collection:save`: where the desktop app puts a finished "Collect to zip" (the user's choice). */
export interface CollectionSaveRequest {
  /** The run's `CollectionDownload.download`. */
  download: string;
  /** The absolute path to write. */
  path: string;
  /** Replace an existing file (default false: the reply is an `Exists` error). */
  overwrite?: boolean;
}

/** What `collection:save` wrote. */
export interface CollectionSaved {
  path: string;
  bytes: number;
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
  /** The added folder (or `--definitions` folder) it was loaded from; absent for built-ins and the user's own artifacts (only those can be deleted). */
  folder?: string;
  /** Parameter names (the library's search covers them). */
  parameterNames?: string[];
  /** Whether it can run on this machine, and what it lacks (main/artifacts/reach.ts); `artifacts:list` fills it. */
  reach?: { runs: boolean; os: string[]; forThisMachine: boolean; missing: string[] };
}

/** An artifact folder added in the app, with what loading it gave. */
export interface ArtifactFolder {
  path: string;
  /** Artifacts loaded from it. */
  artifacts: number;
  /** Files that did not load (each is listed by the artifact's problems). */
  errors: number;
  /** False when the folder is gone (it stays listed until removed). */
  exists: boolean;
}

export interface ArtifactDetail extends ArtifactSummary {
  raw: string;
  parameters: Array<{ name: string; type: string; default: string; description: string; choices?: string[] }>;
}

export interface SaveOptions {
  /** The name whose file may be replaced (the name the editor opened, or one the user confirmed). */
  replace?: string;
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

export interface EventsBackfillRequest {
  /** `Artifact` (with its sources) or `Artifact/Source`. */
  artifact: string;
  /** Most rows (the newest are kept); default and at most MAX_BACKFILL_ROWS (main/logs/backfill.ts). */
  limit?: number;
}

/**
 * The rows of today's (UTC) day files of an event artifact received up to the second `through`,
 * oldest first. Live rows pushed since `events:subscribe` whose `_ts` is above `through` follow
 * them with no row twice and none missing (main/logs/backfill.ts says why).
 */
export interface EventsBackfill {
  rows: RowJson[];
  /** Rows of the day up to `through`: more than `rows` when the limit kept only the newest. */
  total: number;
  /** The last second (`_ts`, epoch seconds) the rows cover. */
  through: number;
  /** The day read, YYYY-MM-DD (UTC). */
  day: string;
  /** What the reader had to say (records it skipped, rows not written in time), at most a few. */
  notes: string[];
}

export interface StoreArtifact {
  artifact: string;
  days: StoreDay[];
}

/** A client of a datastore; `hostname` when the datastore's client records name it (main/logs/hostnames.ts). */
export interface StoreClient {
  id: string;
  hostname?: string;
}

/** A datastore folder opened read-only in the monitoring log browser (main/logs/datastore.ts). */
export interface StoreDatastore {
  /** The folder holding `clients/` (what `store:artifacts` and `table:open` take as `datastore`). */
  root: string;
  clients: StoreClient[];
}

/** One result set of a flow in a datastore (main/logs/flows.ts): a JSONL file. */
export interface StoreFlowResult {
  /** `Artifact` or `Artifact/Source`. */
  artifact: string;
  /** The `.json` file (JSONL: opens with `table:open` of kind `file`). */
  path: string;
  /** Rows (from the `.json.index`, else counted). */
  rows: number;
  bytes: number;
}

/** A file a flow uploaded, from its `uploads.json`. */
export interface StoreFlowUpload {
  /** The path on the client. */
  clientPath: string;
  accessor?: string;
  /** Expected and stored bytes. */
  size: number;
  storedSize?: number;
  /** The stored file in the datastore, when it is there. */
  path?: string;
  /** Whether its first bytes look like text (it then opens as a table). */
  text?: boolean;
}

/** One flow (collection) of a client in a datastore, read-only (main/logs/flows.ts). */
export interface StoreFlow {
  id: string;
  /** Created and started, epoch ms (from the flow context and stats). */
  created?: number;
  started?: number;
  /** FINISHED, RUNNING, ERROR, ... as the context says. */
  state?: string;
  /** The context's error message, if any. */
  status?: string;
  /** Artifacts requested, and those with results (`Artifact[/Source]`). */
  artifacts: string[];
  withResults: string[];
  totalRows?: number;
  results: StoreFlowResult[];
  /** The flow's log (JSONL), when there is one. */
  log?: { path: string; rows: number; bytes: number };
  uploads: StoreFlowUpload[];
  /** What could not be read (a garbled or missing context, a missing upload), with the file. */
  problems: string[];
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

/** A problem of a pack zip entry (or of the whole zip): `file:line:column: message` once shown. */
export interface PackProblem {
  file: string;
  message: string;
  line?: number;
  column?: number;
}

/** An artifact of a pack and where it would go. */
export interface PackPlanEntry {
  name: string;
  type: string;
  /** The zip entry. */
  entry: string;
  /** The file in the user's folder it would be written to. */
  file: string;
}

/** One line of a diff (main/artifacts/line-diff.ts). */
export interface DiffLineJson {
  op: ' ' | '-' | '+';
  text: string;
  oldLine?: number;
  newLine?: number;
}

/** A line diff: hunks with context, and the lines removed and added. */
export interface TextDiff {
  hunks: Array<{ oldStart: number; newStart: number; lines: DiffLineJson[] }>;
  added: number;
  removed: number;
}

/** What importing a pack would do (`packs:preview`); nothing is written. */
export interface PackPreview {
  /** New artifacts. */
  add: PackPlanEntry[];
  /** Artifacts the user has, with another text: the diff goes from the user's file to the pack's. */
  replace: Array<PackPlanEntry & { diff: TextDiff }>;
  /** Artifacts the user has with exactly this text (nothing to write). */
  same: PackPlanEntry[];
  /** Refused entries (with why) and zip problems. */
  problems: PackProblem[];
  /** Non-YAML entries, ignored. */
  ignored: string[];
}

export interface PackImportOptions {
  /** The names the user agreed to replace; an artifact they have that is not named here is kept. */
  replace?: string[];
}

export interface PackImport {
  imported: ArtifactSummary[];
  /** Names of `imported` that replaced an artifact of the user's. */
  replaced: string[];
  /** Names the user has that the pack also holds and that were kept (not in `replace`). */
  kept: string[];
  /** Names the user has with the same text (nothing written). */
  unchanged: string[];
  problems: PackProblem[];
}

/** The log workbench's tables (DuckDB in the main process, main/tables): how a column is shown. */
export type TableColumnType = 'number' | 'timestamp' | 'text' | 'bool' | 'json';

export interface TableColumn {
  name: string;
  /** How the grid shows it; `timestamp` cells are epoch milliseconds (numbers). */
  type: TableColumnType;
  /** DuckDB's type (BIGINT, DOUBLE, VARCHAR, TIMESTAMP WITH TIME ZONE, STRUCT(...)...). */
  sqlType: string;
  /** A column made from a field of a nested column (`table:expand`): which column, which field. */
  derived?: { from: string; path: TableFieldPath };
}

/** A field inside a nested value: object keys and array indices (from 0), outermost first (`["Fields", "Name"]`, `["Tags", 0]`). */
export type TableFieldPath = Array<string | number>;

/** The keys and array indices found at a path of a nested column (`table:keys`): what "Expand field" offers. */
export interface TableFieldKeys {
  column: string;
  path: TableFieldPath;
  /** Rows whose value at the path is an object, an array, any value. */
  objects: number;
  arrays: number;
  values: number;
  /** Object keys (text, in the order first met) then array indices, with the rows holding each and the types of their values (`text`, `integer`, `object`...). */
  keys: Array<{ key: string | number; rows: number; types: string[] }>;
  /** Keys not listed. */
  more: number;
}

/** A cell of a window: numbers (integers past 2^53 as their digits in text), text, booleans, null; nested values as JSON text. */
export type TableCell = string | number | boolean | null;

/**
 * What to open: a file (CSV/TSV, JSON array, JSON lines, any gzipped; Parquet), a folder of day
 * files (`YYYY-MM-DD.csv`, `YYYY-MM-DD.N.csv`: Velociraptor's monitoring logs copied anywhere, read
 * as one table in time order), or a day range of the app's monitoring logs.
 */
export type TableSource =
  | { kind: 'file'; path: string }
  | { kind: 'folder'; path: string }
  | {
      kind: 'logs'; client: string; artifact: string; from: string; to: string;
      /** Another datastore folder (from `store:datastore`), read-only; default: the app's own. */
      datastore?: string;
      /** A time range within the days (ISO times or epoch ms): a JSONL day with a `.json.tidx` reads only its bytes. */
      fromTime?: string | number;
      toTime?: string | number;
    }
  /** One member of a collection zip (`collection:list` names them): streamed out of the zip, never unpacked next to it. */
  | { kind: 'zip-entry'; path: string; entry: string };

/** A malformed record (or JSON line), kept as a row whose `_raw` column holds its text. */
export interface TableProblem {
  file: string;
  /** 1-based line where it starts. */
  line: number;
  reason: string;
  /** The `_row` it landed at (jump there with `table:locate`). */
  row: number;
}

export interface TableInfo {
  id: string;
  /** The file name, `folder first..last` (a folder of day files), or `artifact from..to (client)`. */
  label: string;
  /** `loading`: windows show the preview (the first rows); views, aggregates and SQL wait for `ready`. */
  state: 'loading' | 'ready' | 'failed' | 'cancelled';
  /** What the source turned out to be (`csv`, `jsonl (gzip)`, `parquet`...). */
  format: string;
  columns: TableColumn[];
  /** Rows loaded (the preview's while loading). */
  rowCount: number;
  problemCount: number;
  /** How the source was read: columns read as text because of mixed values, ... */
  notes: string[];
  /** Memory limit of this table's database (bytes). */
  memoryLimit: number;
  error?: SerializedError;
  /** Load time in ms (when ready). */
  ms?: number;
}

export interface TableProgress {
  /** What the load is doing (`reading`, `typing`, `placing problem rows`, ...). */
  phase: string;
  /** 0..1, or null when unknown. */
  fraction: number | null;
  rowsRead: number;
  /** The table's state and columns, sent when the preview is there and when the load ends. */
  info?: TableInfo;
}

export interface TableSortKey {
  column: string;
  desc?: boolean;
}

/** A view of a table: filters (the page's filter language), exact values kept or excluded, a search over columns, tagged rows only, a sort. */
export interface TableViewSpec {
  sort?: TableSortKey[];
  filters?: Array<{ column: string; text: string }>;
  values?: Array<{ column: string; value: TableCell; exclude?: boolean }>;
  search?: { text: string; columns: string[] };
  taggedOnly?: boolean;
}

export interface TableWindowRequest {
  id: string;
  /** A view from `table:view`; none: every row in file order. */
  view?: string;
  /** 0-based position in the view. */
  offset: number;
  /** At most MAX_WINDOW_ROWS (10,000). */
  limit: number;
  /** Columns to return (default all, in table order). */
  columns?: string[];
}

export interface TableWindow {
  offset: number;
  /** The `_row` (file order, 1-based) of each row. */
  rows: number[];
  cells: TableCell[][];
  columns: TableColumn[];
  /** The `_row`s of this window that are tagged. */
  tagged: number[];
  /** Rows in the view. */
  total: number;
}

export interface TableViewResult {
  view: string;
  total: number;
  /** The first window (offset 0). */
  window: TableWindow;
}

export interface TableGroupsRequest {
  id: string;
  view?: string;
  columns: string[];
  /** Most groups returned (default 1,000), largest first. */
  limit?: number;
}

export interface TableGroups {
  columns: TableColumn[];
  /** Each group's values, then its count. */
  groups: Array<{ values: TableCell[]; count: number }>;
  /** Groups in all. */
  total: number;
}

export interface TableValuesRequest {
  id: string;
  view?: string;
  column: string;
  limit?: number;
}

export interface TableValues {
  column: TableColumn;
  values: Array<{ value: TableCell; count: number }>;
  /** Distinct values that are not empty (approximate past a few thousand: HyperLogLog). */
  distinct: number;
  /** Cells without a value (null). */
  nulls: number;
  /** Empty cells: null, empty text or NaN, as the grid shows them (not among `distinct`). */
  empty?: number;
  rows: number;
}

export interface TableTimelineRequest {
  id: string;
  view?: string;
  /** A timestamp column (default `_ts`, else the first timestamp column). */
  column?: string;
  /** About how many bars (default 100). */
  buckets?: number;
  /** Number columns to average per bar over the same rows (the monitoring chart's lines; at most 16). */
  series?: string[];
}

export interface TableTimeline {
  column: string;
  /** Epoch ms of the first bar's start. */
  start: number;
  bucketMs: number;
  /** Rows of the view in each bar. */
  counts: number[];
  /** For `series`: each column's average in each bar (null where the bar has no number). */
  series?: Array<{ column: string; avg: Array<number | null> }>;
}

export interface TableSqlResult {
  columns: TableColumn[];
  cells: TableCell[][];
  /** More rows than `limit` came back (they were not read). */
  truncated: boolean;
  ms: number;
}

export type TableExportFormat = 'csv' | 'json' | 'jsonl' | 'parquet';

export interface TableExportRequest {
  id: string;
  view?: string;
  format: TableExportFormat;
  /** The absolute path the user chose. */
  path: string;
  /** Columns to write, in order (default all). */
  columns?: string[];
  /** Prefix formula-looking text with `'` (default true; CSV and JSON). */
  neutralize?: boolean;
  /** Replace an existing file (default false). */
  overwrite?: boolean;
  /**
   * Instead of `path`: write into the engine's temporary folder for the web host to hand over
   * once as a download (`GET /exports/<id>`); the reply's `download` is that address.
   */
  download?: boolean;
  /** The download's file name (letters, digits, `._-`; default `export.<format>`). */
  fileName?: string;
}

/** What `table:export` wrote. */
export interface TableExportResult {
  /** The file written ('' for a download). */
  path: string;
  rows: number;
  bytes: number;
  /** For `download: true`: the web host's one-time address of the file (`/exports/<id>`). */
  download?: string;
}

export interface TableSettings {
  /** Memory limit for tables opened from now on (bytes). */
  memoryLimit: number;
  defaultMemoryLimit: number;
  /** The engine's temporary folder. */
  tempDir: string;
  openTables: number;
}

/** A result set of a collection zip (`results/<escaped name>.json` or `.csv`). */
export interface CollectionSource {
  /** The zip member. */
  entry: string;
  /** Unescaped: `Artifact` or `Artifact/Source` (a hunt export's combined results: `All Artifact/Source`). */
  name: string;
  artifact: string;
  source?: string;
  format: 'jsonl' | 'csv';
  /** Rows, from the `.json.index` when the zip has one (8 bytes a row), else null (unknown until opened). */
  rows: number | null;
  /** Uncompressed bytes. */
  bytes: number;
  /** A hunt export's client folder (`<hostname>-<client id>`) the member is in. */
  client?: string;
  /** False when no artifact of that name is known here (built-in or in the user's folders): it opens all the same. */
  known: boolean;
  /** Why it cannot be opened (encrypted, unsupported compression, a zip bomb's ratio...). */
  problem?: string;
}

/** A collection's log (`log.json`, or `logs.json` in older zips; `log.csv` in CSV exports). */
export interface CollectionLog {
  entry: string;
  rows: number | null;
  bytes: number;
  client?: string;
  problem?: string;
}

/** An uploaded file in a collection zip (`uploads/<accessor>/<escaped components>`). */
export interface CollectionUpload {
  entry: string;
  accessor: string;
  /** The original path, unescaped (`C:\Windows\x` for a Windows path, `/var/log/x` otherwise). */
  path: string;
  /** Uncompressed bytes (for a sparse upload: the data ranges stored). */
  size: number;
  /** The member's time (the file's mtime when uploaded), epoch ms, or null. */
  mtime: number | null;
  /** Stored as data ranges with a `.idx` range index (VELOCIRAPTOR-FORMATS.md 1.7). */
  sparse?: boolean;
  client?: string;
  problem?: string;
}

/** A collection zip as its central directory (and its small metadata members) describe it: `collection:list`. */
export interface CollectionListing {
  path: string;
  /** What wrote it. */
  kind: 'velociraptor collection' | 'vql collection' | 'flow export' | 'hunt export' | 'encrypted collection' | 'zip';
  /** Bytes of the zip, entries in it. */
  bytes: number;
  entries: number;
  sources: CollectionSource[];
  logs: CollectionLog[];
  uploads: CollectionUpload[];
  /** client_info.json (the first row), as it is. */
  client: Record<string, unknown> | null;
  /** collection_context.json: what it says about the flow. */
  context: { sessionId?: string; clientId?: string; artifacts: string[]; created?: number; state?: string; rows?: number; uploads?: number } | null;
  /** Set for a password-protected collection (`data.zip`): what to do. */
  encrypted?: string;
  /** Entries that cannot be listed or opened, and metadata that does not parse, with the entry's name. */
  problems: Array<{ entry: string; message: string }>;
}

/** One entry of a folder listing (the workbench's file picker, `files:list`). */
export interface FileEntry {
  name: string;
  /** `dir` also for a link to a folder, `file` for a link to a file; `other`: sockets, devices, broken links. */
  kind: 'file' | 'dir' | 'other';
  /** Bytes (files). */
  size: number;
  /** Last modification, epoch ms. */
  mtime: number;
}

export interface FileListRequest {
  /** An absolute folder, or `~` / `~/...` (the user's home); default the home folder. */
  dir?: string;
  /** List names starting with `.` (default false). */
  hidden?: boolean;
}

/** A folder on the machine that runs the host (Electron's main process, or `vql serve`). */
export interface FileListing {
  /** The folder listed, absolute and resolved. */
  dir: string;
  /** Its parent, or null at a root. */
  parent: string | null;
  /** The user's home folder. */
  home: string;
  /** The host's path separator. */
  sep: '/' | '\\';
  /** Folders first, then files, each by name. */
  entries: FileEntry[];
  /** More entries than were listed (MAX_LIST_ENTRIES). */
  truncated: boolean;
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
  /**
   * Saves to the user's folder. Another artifact of the same name is replaced only when
   * `opts.replace` names it (the artifact that was opened, or one the user agreed to replace);
   * otherwise the reply is an `Exists` error and nothing is written.
   */
  'artifacts:save': (yaml: string, opts?: SaveOptions) => Result<ArtifactSummary>;
  'artifacts:delete': (name: string) => Result<true>;
  'artifacts:collect': (req: CollectRequest) => Result<QueryId>;
  /** Artifact folders added in the app (Velociraptor's definitions...), remembered across restarts. */
  'artifacts:folders': () => Result<ArtifactFolder[]>;
  'artifacts:add-folder': (path: string) => Result<ArtifactFolder[]>;
  'artifacts:remove-folder': (path: string) => Result<ArtifactFolder[]>;
  'docs:completions': () => Result<CompletionEntry[]>;
  /** The app's collector (the events file and datastore shared with `vql monitor`). */
  'events:status': () => Result<EventArtifactStatus[]>;
  'events:start': (req: EventsStartRequest) => Result<EventArtifactStatus[]>;
  'events:stop': (artifact: string) => Result<EventArtifactStatus[]>;
  /** Live rows of one event artifact: pushed as `events:rows` until `events:unsubscribe`. */
  'events:subscribe': (artifact: string) => Result<true>;
  /** Today's rows of an event artifact already in its day files, for the live view to start from. */
  'events:backfill': (req: EventsBackfillRequest) => Result<EventsBackfill>;
  /** The monitoring log browser's clients and their artifacts with days (a day range opens with `table:open`, kind `logs`). */
  'store:clients': () => Result<string[]>;
  'store:artifacts': (client: string, datastore?: string) => Result<StoreArtifact[]>;
  /** Recognises a datastore folder (any of Velociraptor's layouts, or ours) and lists its clients; nothing is written into it. */
  'store:datastore': (dir: string) => Result<StoreDatastore>;
  /** A client's flows (collections) in a datastore folder opened with store:datastore, newest first; nothing is written into it. */
  'store:flows': (datastore: string, client: string) => Result<StoreFlow[]>;
  /** Artifact packs for a Velociraptor server. */
  'packs:export': (req: PackExportRequest) => Result<PackExport>;
  /** What an import of the zip would add, replace (with diffs) or refuse; writes nothing. */
  'packs:preview': (zipBase64: string) => Result<PackPreview>;
  /** Writes the pack's new artifacts, and replaces only those named in `opts.replace`. */
  'packs:import': (zipBase64: string, opts?: PackImportOptions) => Result<PackImport>;
  /** The workbench's file picker: a folder of the host's machine (the page cannot learn paths from <input type=file>). */
  'files:list': (req?: FileListRequest) => Result<FileListing>;
  /** Lists a collection zip (Velociraptor's offline collection, `vql artifacts collect --output`, flow and hunt exports) from its central directory; writes nothing. */
  'collection:list': (path: string) => Result<CollectionListing>;
  /** Saves a finished "Collect to zip" where the user chose (the desktop app; a browser downloads it); the waiting copy is then gone. */
  'collection:save': (req: CollectionSaveRequest) => Result<CollectionSaved>;
  /**
   * The log workbench's tables (DuckDB in the main process). `table:open` replies once the
   * preview (the first rows) is there; `table:progress` pushes follow until the load ends.
   */
  'table:open': (source: TableSource) => Result<TableInfo>;
  'table:info': (id: string) => Result<TableInfo>;
  /** Rows of a view (or of the table in file order) by position. */
  'table:window': (req: TableWindowRequest) => Result<TableWindow>;
  /** Makes a view (sort, filters, search, tagged only): the count and first window now, kept for instant scrolling. */
  'table:view': (req: { id: string; spec: TableViewSpec; limit?: number; columns?: string[] }) => Result<TableViewResult>;
  /** The position of a `_row` in a view (-1 when the view does not hold it): jump to a row, or to a problem. */
  'table:locate': (req: { id: string; view?: string; row: number }) => Result<number>;
  'table:groups': (req: TableGroupsRequest) => Result<TableGroups>;
  'table:values': (req: TableValuesRequest) => Result<TableValues>;
  'table:timeline': (req: TableTimelineRequest) => Result<TableTimeline>;
  /** Tags (bookmarks) or untags rows by `_row`; replies with how many rows are tagged. */
  'table:tag': (req: { id: string; rows: number[]; tagged: boolean }) => Result<number>;
  /** One read-only query (SELECT, DESCRIBE, SUMMARIZE...) over the opened table `data` and `tags`. */
  'table:sql': (req: { id: string; sql: string; limit?: number }) => Result<TableSqlResult>;
  'table:export': (req: TableExportRequest) => Result<TableExportResult>;
  'table:problems': (req: { id: string; offset?: number; limit?: number }) => Result<{ total: number; problems: TableProblem[] }>;
  /** Drops the table's database (cancels its load). */
  'table:close': (id: string) => Result<true>;
  /** The keys and indices inside a nested column (at `path`, default its top) over a view's rows. */
  'table:keys': (req: { id: string; view?: string; column: string; path?: TableFieldPath; limit?: number }) => Result<TableFieldKeys>;
  /** Adds a column made from the field at `path` of a nested (or expanded) column, named like `Fields.Name`; views are made again. */
  'table:expand': (req: { id: string; column: string; path: TableFieldPath }) => Result<{ column: string; info: TableInfo }>;
  /** Removes a column `table:expand` added. */
  'table:unexpand': (req: { id: string; column: string }) => Result<TableInfo>;
  /** The engine's settings; a memory limit (bytes) applies to tables opened afterwards. */
  'table:settings': (req?: { memoryLimit?: number }) => Result<TableSettings>;
}

/** Messages the renderer sends without a reply. */
export interface Send {
  'vql:cancel': (id: QueryId) => void;
  'events:unsubscribe': (artifact: string) => void;
  /** Stops what a table is doing (its load: the table then closes; a view, an aggregate or a SQL query). */
  'table:cancel': (id: string) => void;
}

/** Pushes from main to the renderer. */
export interface Push {
  /** A batch of rows of a running query (sent at most every ~100 ms or 500 rows). */
  'vql:rows': (id: QueryId, rows: RowJson[]) => void;
  /** A log line of a running query. */
  'vql:log': (id: QueryId, level: string, message: string) => void;
  /** The query ended: `error` set when it failed, `cancelled` when it was stopped; `collection`: the zip a `container: true` collection wrote. */
  'vql:done': (id: QueryId, summary: { rows: number; ms: number; cancelled: boolean; error?: SerializedError; collection?: CollectionDownload }) => void;
  /** Live rows of a subscribed event artifact, as they are received; `missed`: rows this view fell behind on and skipped. */
  'events:rows': (artifact: string, rows: RowJson[], missed?: number) => void;
  /** The collector's state changed (or every few seconds while running). */
  'events:status': (status: EventArtifactStatus[]) => void;
  /** A table's load progressed (or ended: `info.state` is no longer `loading`). */
  'table:progress': (id: string, progress: TableProgress) => void;
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
