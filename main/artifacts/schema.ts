/**
 * Velociraptor's artifact schema (artifacts/proto/artifact.proto, VELOCIRAPTOR.md §1): the
 * field types and the model the loader produces. Field names stay snake_case, as in YAML,
 * so an artifact can be written back unchanged.
 */

export interface ArtifactParameter {
  name: string;
  /** Always a string (an unquoted `default: 80` is the string "80"). */
  default?: string;
  description?: string;
  type?: string;
  friendly_name?: string;
  choices?: string[];
  validating_regex?: string;
  artifact_type?: string;
  sources?: boolean;
}

export interface NotebookCell {
  type?: string;
  name?: string;
  template?: string;
  output?: string;
  env?: Array<{ key?: string; value?: string }>;
}

export interface ArtifactSource {
  name?: string;
  description?: string;
  precondition?: string;
  query?: string;
  /** Deprecated list form; the loader joins it into `query`. */
  queries?: string[];
  notebook?: NotebookCell[];
}

export interface Tool {
  name?: string;
  url?: string;
  admin_override?: boolean;
  github_project?: string;
  github_asset_regex?: string;
  serve_locally?: boolean;
  serve_url?: string;
  filename?: string;
  hash?: string;
  expected_hash?: string;
  version?: string;
}

export interface Resources {
  timeout?: number;
  ops_per_second?: number;
  cpu_limit?: number;
  iops_limit?: number;
  max_rows?: number;
  max_upload_bytes?: number;
  max_batch_wait?: number;
  max_batch_rows?: number;
  max_batch_rows_buffer?: number;
}

export interface ColumnType {
  name?: string;
  type?: string;
  description?: string;
}

export interface Report {
  type?: string;
  timeout?: number;
  name?: string;
  template?: string;
  parameters?: ArtifactParameter[];
}

/** The artifact types; stored lower-case, as Velociraptor does. */
export const ARTIFACT_TYPES = ['client', 'client_event', 'server', 'server_event', 'notebook', 'internal'] as const;
export type ArtifactType = (typeof ARTIFACT_TYPES)[number];

export interface Artifact {
  name: string;
  aliases?: string[];
  description?: string;
  author?: string;
  reference?: string[];
  references?: string[];
  type: ArtifactType;
  parameters?: ArtifactParameter[];
  precondition?: string;
  sources?: ArtifactSource[];
  export?: string;
  imports?: string[];
  tools?: Tool[];
  required_permissions?: string[];
  implied_permissions?: string[];
  impersonate?: string;
  resources?: Resources;
  column_types?: ColumnType[];
  reports?: Report[];
}

/** Event artifacts never end and run each source concurrently (VELOCIRAPTOR.md 1.3). */
export function isEventType(t: ArtifactType): boolean {
  return t === 'client_event' || t === 'server_event' || t === 'internal';
}

/** How a YAML value decodes into a field. */
export type FieldSpec =
  | { readonly type: 'string' | 'int' | 'float' | 'bool' }
  | { readonly type: 'strings'; readonly vql?: boolean }
  | { readonly type: 'vql' }
  | { readonly type: 'object'; readonly name: string; readonly fields: Readonly<Record<string, FieldSpec>> }
  | { readonly type: 'list'; readonly of: FieldSpec };

const S = { type: 'string' } as const;
const SS = { type: 'strings' } as const;
const I = { type: 'int' } as const;
const F = { type: 'float' } as const;
const B = { type: 'bool' } as const;
const VQL = { type: 'vql' } as const;

const parameter: FieldSpec = {
  type: 'object',
  name: 'parameter',
  fields: { name: S, default: S, description: S, type: S, friendly_name: S, choices: SS, validating_regex: S, artifact_type: S, sources: B },
};

const notebookCell: FieldSpec = {
  type: 'object',
  name: 'notebook cell',
  fields: {
    type: S,
    name: S,
    template: S,
    output: S,
    env: { type: 'list', of: { type: 'object', name: 'notebook env', fields: { key: S, value: S } } },
  },
};

const source: FieldSpec = {
  type: 'object',
  name: 'source',
  fields: {
    name: S,
    description: S,
    precondition: VQL,
    query: VQL,
    queries: { type: 'strings', vql: true },
    notebook: { type: 'list', of: notebookCell },
  },
};

const tool: FieldSpec = {
  type: 'object',
  name: 'tool',
  fields: {
    name: S, url: S, admin_override: B, github_project: S, github_asset_regex: S, serve_locally: B, serve_url: S,
    filename: S, hash: S, expected_hash: S, version: S,
  },
};

const resources: FieldSpec = {
  type: 'object',
  name: 'resources',
  fields: {
    timeout: F, ops_per_second: F, cpu_limit: F, iops_limit: F, max_rows: I, max_upload_bytes: I, max_batch_wait: I,
    max_batch_rows: I, max_batch_rows_buffer: I,
  },
};

/** The whole artifact. Internal repository fields (raw, compiled...) are accepted and ignored. */
export const ARTIFACT_SCHEMA: FieldSpec = {
  type: 'object',
  name: 'artifact',
  fields: {
    name: S,
    aliases: SS,
    description: S,
    author: S,
    reference: SS,
    references: SS,
    type: S,
    parameters: { type: 'list', of: parameter },
    precondition: VQL,
    sources: { type: 'list', of: source },
    export: VQL,
    imports: SS,
    tools: { type: 'list', of: tool },
    required_permissions: SS,
    implied_permissions: SS,
    impersonate: S,
    resources,
    column_types: { type: 'list', of: { type: 'object', name: 'column type', fields: { name: S, type: S, description: S } } },
    reports: {
      type: 'list',
      of: { type: 'object', name: 'report', fields: { type: S, timeout: I, name: S, template: S, parameters: { type: 'list', of: parameter } } },
    },
  },
};

/** Fields the repository sets; a file may carry them (exported from a server) and they are ignored. */
export const INTERNAL_FIELDS: ReadonlySet<string> = new Set(['raw', 'compiled', 'built_in', 'compiled_in', 'is_alias', 'is_inherited', 'metadata']);

/** Parameter types Velociraptor's launcher knows (VELOCIRAPTOR.md 1.4), plus `str` and `glob` (plain strings). */
export const PARAMETER_TYPES: ReadonlySet<string> = new Set([
  '', 'string', 'str', 'regex', 'yara', 'hidden', 'redacted', 'glob', 'int', 'int64', 'integer', 'float', 'bool',
  'timestamp', 'choices', 'multichoice', 'json_array', 'regex_array', 'json', 'csv', 'artifactset', 'xml', 'yaml',
  'starlark', 'upload', 'upload_file', 'server_metadata',
]);

/** Notebook cell types the validator accepts (lower-cased). */
export const NOTEBOOK_CELL_TYPES: ReadonlySet<string> = new Set(['md', 'markdown', 'vql', 'vql_suggestion', 'notebook', 'none']);

/** Report types (deprecated reports). */
export const REPORT_TYPES: ReadonlySet<string> = new Set(['monitoring_daily', 'server_event', 'client', 'internal', 'hunt', 'templates', 'html']);

/** ACL permission names seen in Velociraptor (unknown ones are warnings). */
export const PERMISSIONS: ReadonlySet<string> = new Set([
  'ALL_QUERY', 'ANY_QUERY', 'READ_RESULTS', 'LABEL_CLIENT', 'COLLECT_CLIENT', 'COLLECT_BASIC', 'COLLECT_SERVER',
  'ARTIFACT_WRITER', 'SERVER_ARTIFACT_WRITER', 'EXECVE', 'NOTEBOOK_EDITOR', 'SERVER_ADMIN', 'FILESYSTEM_READ',
  'FILESYSTEM_WRITE', 'NETWORK', 'MACHINE_STATE', 'PREPARE_RESULTS', 'DELETE_RESULTS', 'IMPERSONATION', 'ORG_ADMIN',
  'START_HUNT', 'COLLECT_STATE', 'PUBLISH', 'READ_OBJECTS', 'SERVER_ARTIFACT_WRITER',
]);
