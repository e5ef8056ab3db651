/**
 * The time zone setting as Svelte state: one instance for the page, loaded from and saved to
 * localStorage, and installed as the reader of shownZone() (time-zone.ts), so every grid cell
 * and chart axis that formats a time follows a change at once.
 */
import { loadZone, readZoneFrom, saveZone, TIME_ZONE_KEY, type TimeZoneMode, type ZoneStore } from './time-zone.ts';

function store(): ZoneStore | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

class TimeZoneSetting {
  mode = $state<TimeZoneMode>(loadZone(store()));

  set(mode: TimeZoneMode): void {
    this.mode = mode;
    saveZone(store(), mode);
  }
}

export const timeZone = new TimeZoneSetting();
readZoneFrom(() => timeZone.mode);
// Another tab of the app changed it: follow.
globalThis.addEventListener?.('storage', (e: StorageEvent) => {
  if (e.key === TIME_ZONE_KEY) timeZone.mode = loadZone(store());
});
