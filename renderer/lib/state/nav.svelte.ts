/**
 * Which view is showing, and the hand-offs between views (open an artifact in the editor,
 * turn a console cell into a new artifact, run an artifact, import a zip of artifacts chosen in
 * the library through the Packs view's preview, open a file in the log workbench). One instance
 * for the app.
 */
export type Tab = 'library' | 'editor' | 'console' | 'events' | 'logs' | 'csv' | 'packs';

export interface EditorRequest {
  /** An existing artifact to load, or */
  name?: string;
  /** YAML text for a new, unsaved artifact. */
  yaml?: string;
  /** Bumped on every request so the editor reacts to the same one twice. */
  seq: number;
}

class Nav {
  tab = $state<Tab>('console');
  editor = $state<EditorRequest | null>(null);
  /** A zip of artifacts to preview and import in the Packs view (taken by it once). */
  packFile = $state.raw<{ file: File; seq: number } | null>(null);
  /** A file (JSONL, CSV, ...) for the log workbench to open as a table (taken by it once). */
  tableFile = $state.raw<{ path: string; seq: number } | null>(null);
  private seq = 0;

  show(tab: Tab): void {
    this.tab = tab;
  }

  /** Opens an artifact by name, or new YAML text, in the editor. */
  edit(req: { name?: string; yaml?: string }): void {
    this.editor = { ...req, seq: ++this.seq };
    this.tab = 'editor';
  }

  /** Shows the log workbench opening the file at `path` (absolute, on the host) as a table. */
  openTable(path: string): void {
    this.tableFile = { path, seq: ++this.seq };
    this.tab = 'csv';
  }

  /** Shows the Packs view previewing what importing `file` (a zip of artifacts) would do. */
  importZip(file: File): void {
    this.packFile = { file, seq: ++this.seq };
    this.tab = 'packs';
  }
}

export const nav = new Nav();
