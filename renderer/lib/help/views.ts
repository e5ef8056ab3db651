/**
 * A few lines on what each view does, for its help note (the "About this view" button in the
 * app's header, components/help/ViewHelp.svelte), and the manual page that says the rest
 * (docs/<page>.md in the repository). Plain text, so the notes stay short. Pure.
 */

/** The views (lib/state/nav.svelte.ts's Tab). */
export type ViewId = 'library' | 'editor' | 'console' | 'events' | 'logs' | 'csv' | 'packs';

export interface ViewHelpText {
  title: string;
  /** Two to four short paragraphs. */
  lines: string[];
  /** The manual page, relative to the repository's root. */
  manual: string;
}

export const VIEW_HELP: Readonly<Record<ViewId, ViewHelpText>> = {
  console: {
    title: 'Console',
    lines: [
      'Cells of ad-hoc VQL, like a notebook. Type a query and press Ctrl+Enter (or Run); rows stream into the cell\'s table as they arrive, and Stop ends the query.',
      'The queries are kept in this browser across reloads; results are not. Save as artifact turns a cell into a new CLIENT artifact in the editor.',
      'Ctrl+Space completes plugin, function and argument names; errors are underlined as you type.',
    ],
    manual: 'docs/console.md',
  },
  library: {
    title: 'Artifacts',
    lines: [
      'The built-in artifacts, yours and those of the artifact folders you add: search names, descriptions and parameters, filter by OS, type and what runs on this machine. Run opens the run form below the list.',
      'New makes an artifact from a template; Duplicate copies one so you can change it. Import YAML… and Import artifacts (zip)… show what would be added or replaced before anything is written.',
    ],
    manual: 'docs/artifacts-library-and-editor.md',
  },
  editor: {
    title: 'Editor',
    lines: [
      'An artifact\'s YAML, checked as you type: YAML errors, VQL errors inside the query fields and unknown names are underlined with the reason.',
      'Ctrl+S saves to your artifacts folder (asking first when it would replace another artifact). Run opens the run form for the saved artifact.',
    ],
    manual: 'docs/artifacts-library-and-editor.md',
  },
  events: {
    title: 'Live events',
    lines: [
      'The event artifacts the local collector can run, with their state. Start and Stop one; its rows are written to today\'s day file of the monitoring logs.',
      'View shows its rows live: the table and a chart of its number columns against time, starting with the rows already in today\'s log.',
      'Times show in UTC unless the Times setting in the header says local.',
    ],
    manual: 'docs/live-events.md',
  },
  logs: {
    title: 'Monitoring logs',
    lines: [
      'The day files the collector wrote, per client and artifact, with row counts. Open one day or a range of days as one table in time order.',
      'The grid sorts, filters, searches, groups and tags like the log workbench; the chart above it counts the rows of the view per time bucket and averages the number columns you check.',
    ],
    manual: 'docs/monitoring-logs.md',
  },
  csv: {
    title: 'Logs workbench',
    lines: [
      'Open a log file (CSV, TSV, JSON, JSON lines, gzipped, Parquet) or a folder of day files: the engine on the host reads it, the page shows only the rows on screen.',
      'Sort by several columns, filter per column, search, group by, count values, tag rows (Space), query with SQL and export what you see.',
    ],
    manual: 'docs/logs-workbench.md',
  },
  packs: {
    title: 'Packs',
    lines: [
      'Export artifacts as a pack for a Velociraptor server (a zip that "Upload Artifact Pack" accepts), with an optional name prefix.',
      'Import a pack: the preview shows which artifacts are added, which replace yours (with a diff) and which are refused, and nothing is written until you confirm.',
    ],
    manual: 'docs/packs.md',
  },
};
