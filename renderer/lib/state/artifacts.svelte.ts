/**
 * The artifact library as the views share it: the list from `artifacts:list`, refreshed after
 * a save, delete or import, so the library, the editor and the console's "Save as artifact"
 * (which needs the taken names) agree. One instance for the app.
 */
import type { ArtifactSummary } from '../../../main/ipc/contract.ts';
import { api } from '../api.ts';

class Artifacts {
  list = $state<ArtifactSummary[]>([]);
  loading = $state(false);
  error = $state<string | null>(null);
  private loaded: Promise<void> | null = null;

  /** Reloads the list from main. */
  refresh(): Promise<void> {
    this.loading = true;
    this.loaded = api.invoke('artifacts:list').then((r) => {
      this.loading = false;
      if (r.ok) {
        this.list = r.value;
        this.error = null;
      } else {
        this.error = `The artifact list could not be loaded: ${r.error.message}`;
      }
    });
    return this.loaded;
  }

  /** Loads the list once (views call it when they first need it). */
  ensure(): Promise<void> {
    return this.loaded ?? this.refresh();
  }

  /** Every artifact name (for unique new names). */
  get names(): string[] {
    return this.list.map((a) => a.name);
  }
}

export const artifacts = new Artifacts();
