/**
 * The usage text of every command, in one small module so `vql --help` loads nothing else.
 */

export const QUERY_USAGE = `query flags:
  --format FMT         json (default), jsonl, csv or text
  --max_wait S         print a batch at least every S seconds (default 10)
  --env K=V            set a scope variable (a string); repeatable
  --timeout S          end the run after S seconds, whatever it is doing: exit 124, partial output (0: never)
  --output FILE        write rows to FILE instead of stdout
  --neutralize-formulas
                       CSV for a spreadsheet: prefix cells starting with = + - @ tab CR with '
  -f, --from_files     the arguments are files containing VQL
  --definitions DIR    also load artifacts from DIR (repeatable)
  --allow-execve       let queries run programs (execve)
  --tools DIR          the tools folder artifacts' tools: come from (default <datastore>/tools)
  --tool NAME=PATH     the file of tool NAME (Tool_NAME_PATH for Generic.Utils.FetchBinary); repeatable
  --filestore DIR      the Velociraptor file store the fs and fs_sparse accessors read (a server's datastore
                       folder or a copy; default $VQL_FILESTORE, else <datastore>)
  --remap FILE         run against evidence: a Velociraptor remapping config (YAML: mounts, shadows,
                       impersonation) replaces the accessors; see docs/remapping.md
  --evidence PATH      run against Windows evidence (a raw, E01, VHDX or VMDK disk image, an NTFS partition image, a folder,
                       or a Velociraptor collection zip with file uploads)
                       with the remapping vql deaddisk PATH writes
`;

export const ARTIFACTS_USAGE = `artifacts commands (each also takes --definitions DIR, repeatable):
  artifacts list [REGEX]          names of the artifacts (REGEX: * matches anything; anchored)
  artifacts show NAME             the YAML of one artifact
  artifacts collect NAME... [--args K=V]... [--format F] [--max_wait S] [--output FILE] [--timeout S] [--allow-execve]
                  [--ignore-preconditions] [--remap FILE | --evidence PATH]
                                  run artifacts, rows tagged with _Source (K=V may be Artifact::K=V; K alone means K=Y);
                                  preconditions are evaluated (this machine is the endpoint) unless --ignore-preconditions
                                  (e.g. a Windows artifact over event logs or hives copied here);
                                  --remap FILE runs them against evidence (a dead disk, a triage folder) through a
                                  Velociraptor remapping config: its accessors only, info() as its impersonation says;
                                  --evidence PATH does so with the config vql deaddisk PATH writes;
                                  --output X.zip writes a Velociraptor collection container (rows, log, uploads) instead;
                                  otherwise upload() stores files in a folder uploads-<time> named on stderr;
                                  tools (Generic.Utils.FetchBinary): a file <tools>/NAME or <tools>/NAME/<one file>,
                                  --tools DIR (default <datastore>/tools), --tool NAME=PATH (repeatable);
                                  --filestore DIR: the Velociraptor file store the fs accessor reads
  artifacts verify PATH... [--strict]
                                  load, validate and parse every artifact under PATH; ends with N passed, N failed
  artifacts reach [DIR...] [--os linux|darwin|windows] [--json] [--remap FILE | --evidence PATH]
                                  which artifacts can run on that OS here, and what each lacks (plugins,
                                  functions, accessors, artifacts, following Artifact.X() calls and imports);
                                  with a remapping: against that evidence (its accessors, its OS)
  artifacts pack NAME... --output FILE.zip [--prefix P]
                                  a Velociraptor artifact pack (Upload Artifact Pack); P (e.g. Custom.) prefixes the
                                  names and the Artifact.X references between them; event artifacts' server
                                  configuration goes to FILE.server.yaml; exit 1 if any artifact was refused
  artifacts import FILE.zip [--to DIR] [--dry-run]
                                  import a pack's artifacts into DIR (default: <datastore>/artifacts, the app's folder);
                                  says which it imported, replaced or left unchanged; --dry-run prints what it would
                                  add and replace (with a diff) and writes nothing
`;

export const DEADDISK_USAGE = `deaddisk EVIDENCE [--hostname NAME] [--output FILE]
  write the remapping config (YAML) that runs artifacts against Windows evidence, as Velociraptor's
  Generic.Utils.DeadDiskRemapping does: EVIDENCE is a disk image, raw, E01, VHDX or VMDK (GPT or
  MBR: the first NTFS partition with a Windows folder is C:), an NTFS partition image (raw or in one
  of those), a folder (a triage collection's C:, read case-insensitively), or a Velociraptor collection
  container (an offline collector's zip: its uploads/auto, file and ntfs folders of each drive merged
  as that drive, as Windows.Collectors.Remapping maps it); the registry hives and users' NTUSER.DAT are mounted
  on the registry accessor; info() says windows and NAME (default "Virtual Host", or the collection's host);
  use it with --remap FILE, or give --evidence EVIDENCE to query and artifacts collect directly
`;

export const MONITOR_USAGE = `monitor flags:
  --events FILE        the events file (default <datastore>/events.yaml)
  --datastore DIR      where rows, logs and the client id live (default: the per-user data folder)
  --definitions DIR    also load artifacts from DIR (repeatable)
  --keep-days N        delete day files older than N days
  --log-format F       csv (default: <day>.csv) or jsonl (Velociraptor's layout: <day>.json + .json.tidx)
  --max_wait S         write rows at least every S seconds (default 1)
  --allow-execve       let artifacts run programs
  --status             print what the running collector is doing, and exit
`;

export const SERVE_USAGE = `serve flags:
  --port N             listen on 127.0.0.1:N (default: a free port)
  --datastore DIR      where your artifacts live (DIR/artifacts; default: the per-user data folder)
  --definitions DIR    also load artifacts from DIR (repeatable)
  --allow-execve       let queries and artifacts run programs
  --token-file FILE    keep the token in FILE (created with mode 0600 when missing; refused unless
                       it is yours and mode 0600): with a fixed --port, a restart keeps open tabs working
`;

export const LOGS_USAGE = `logs commands:
  logs list [--datastore DIR] [--client ID]
                       the datastore's clients (with hostnames when known), their artifacts and days
                       (rows, size): a Velociraptor server's datastore (2018 CSV, 2019 CSV and 2020-on
                       JSONL layouts) or vql monitor's
  logs show ARTIFACT --from DAY --to DAY [--client ID] [--format csv|jsonl|json] [--datastore DIR]
                       the rows of days (YYYY-MM-DD, UTC) or times (2024-05-01T10:00:00Z) in time order,
                       days and schema parts merged; streamed (default --format jsonl)
`;
