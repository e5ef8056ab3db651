/**
 * The Packs view's state: which artifacts are chosen, the prefix, and the last export and
 * import with their results. An import is two steps: the zip is previewed (`packs:preview`:
 * what would be added, replaced with a diff, left as it is or refused), and only Import writes
 * it (`packs:import`, replacing only the artifacts still ticked). Talks to main through `api`
 * only; the component renders it.
 */
import { SvelteSet } from 'svelte/reactivity';
import type { PackExport, PackImport, PackPreview } from '../../../main/ipc/contract.ts';
import { api, inElectron } from '../../lib/api.ts';
import { base64ToBytes, bytesToBase64, downloadBytes } from './pack-io.ts';

/**
 * The largest zip the view imports: main refuses more than 16 MiB (DEFAULT_ZIP_LIMITS in
 * main/artifacts/pack-zip.ts); through `vql serve` a WebSocket message is at most 16 MiB,
 * which base64 fills with a 12 MB zip.
 */
export const MAX_PACK_BYTES = inElectron ? 16 * 2 ** 20 : 12_000_000;

export class PackState {
  readonly selected = new SvelteSet<string>();
  prefix = $state('Custom.');
  busy = $state<'export' | 'preview' | 'import' | null>(null);
  exported = $state<PackExport | null>(null);
  imported = $state<(PackImport & { fileName: string }) | null>(null);
  /** A previewed zip waiting for Import or Cancel; `replace`: the replacements still ticked. */
  preview = $state<{ fileName: string; zipBase64: string; plan: PackPreview } | null>(null);
  readonly replace = new SvelteSet<string>();
  /** What the last Cancel left (nothing was written). */
  cancelled = $state<string | null>(null);
  error = $state<string | null>(null);

  /** Chooses or un-chooses every name in `names`. */
  setAll(names: readonly string[], on: boolean): void {
    for (const n of names) {
      if (on) this.selected.add(n);
      else this.selected.delete(n);
    }
  }

  /** Builds the pack of the chosen artifacts and downloads it. */
  async exportPack(): Promise<void> {
    this.busy = 'export';
    this.error = null;
    this.exported = null;
    const r = await api.invoke('packs:export', { names: [...this.selected].sort(), prefix: this.prefix.trim() });
    this.busy = null;
    if (!r.ok) return void (this.error = `The pack was not made: ${r.error.message}`);
    this.exported = r.value;
    if (r.value.zipBase64) downloadBytes(base64ToBytes(r.value.zipBase64), r.value.fileName);
  }

  /** Reads a pack zip chosen by the user and previews its import; nothing is written yet. */
  async previewPack(file: File): Promise<boolean> {
    this.error = null;
    this.imported = null;
    this.preview = null;
    this.cancelled = null;
    if (file.size > MAX_PACK_BYTES) {
      this.error = `${file.name} is ${file.size} bytes: a pack may be at most ${MAX_PACK_BYTES} bytes here${inElectron ? '' : ' (use vql artifacts import for larger ones)'}`;
      return false;
    }
    this.busy = 'preview';
    const b64 = bytesToBase64(new Uint8Array(await file.arrayBuffer()));
    const r = await api.invoke('packs:preview', b64);
    this.busy = null;
    if (!r.ok) {
      this.error = `${file.name} was not read: ${r.error.message}`;
      return false;
    }
    this.replace.clear();
    for (const a of r.value.replace) this.replace.add(a.name);
    this.preview = { fileName: file.name, zipBase64: b64, plan: r.value };
    return true;
  }

  /** Imports the previewed zip: its new artifacts and the replacements still ticked. */
  async confirmImport(): Promise<boolean> {
    const p = this.preview;
    if (!p) return false;
    this.busy = 'import';
    this.error = null;
    const r = await api.invoke('packs:import', p.zipBase64, { replace: [...this.replace].sort() });
    this.busy = null;
    this.preview = null;
    if (!r.ok) {
      this.error = `${p.fileName} was not imported: ${r.error.message}`;
      return false;
    }
    this.imported = { ...r.value, fileName: p.fileName };
    return r.value.imported.length > 0;
  }

  /** Drops the preview; nothing is written. */
  cancelImport(): void {
    if (this.preview) this.cancelled = `${this.preview.fileName}: nothing was imported.`;
    this.preview = null;
  }
}
