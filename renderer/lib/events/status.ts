/**
 * The live event view's model of the event artifacts: which ones to list (the repository's
 * CLIENT_EVENT artifacts plus anything the events file names), how a status reads, and the
 * parameter values a form starts with (what the events file says, else the defaults).
 */
import type { ArtifactSummary, EventArtifactStatus } from '../../../main/ipc/contract.ts';
import { initialValue, type Parameter, type WidgetValue } from '../run/params.ts';

/** One artifact in the list, with its status when the events file has it. */
export interface EventItem {
  name: string;
  description: string;
  status?: EventArtifactStatus;
}

/** CLIENT_EVENT artifacts by name, plus configured ones not in the repository (deleted since). */
export function eventItems(artifacts: readonly ArtifactSummary[], status: readonly EventArtifactStatus[]): EventItem[] {
  const byName = new Map(status.map((s) => [s.artifact, s]));
  const items: EventItem[] = artifacts
    .filter((a) => a.type.toLowerCase() === 'client_event')
    .map((a) => ({ name: a.name, description: a.description, status: byName.get(a.name) }));
  for (const s of status) if (!items.some((i) => i.name === s.artifact)) items.push({ name: s.artifact, description: '', status: s });
  return items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** True when the collector has the artifact (in any state but stopped). */
export function isActive(s: EventArtifactStatus | undefined): boolean {
  return !!s && s.state !== 'stopped';
}

/** The state as a short phrase: `running`, `paused by ops_per_second`, `failed`... */
export function stateText(s: EventArtifactStatus | undefined): string {
  if (!s || s.state === 'stopped') return 'stopped';
  if (s.state === 'paused') return s.limit ? `paused by ${s.limit}` : 'paused';
  if (s.state === 'backoff') return 'restarting after a backoff';
  if (s.state === 'failed' && s.limit) return `failed (${s.limit})`;
  return s.state;
}

/** Rows per second for a status line: `0.98 rows/s`, `1,204 rows/s`. */
export function rateText(n: number): string {
  return n >= 100 ? `${Math.round(n).toLocaleString('en-US')} rows/s` : `${n.toFixed(2)} rows/s`;
}

/** The form's values: the events file's parameters where set, else each parameter's default. */
export function formValues(params: readonly Parameter[], configured: Readonly<Record<string, string>> = {}): Record<string, WidgetValue> {
  return Object.fromEntries(params.map((p) => [p.name, initialValue(configured[p.name] !== undefined ? { ...p, default: configured[p.name]! } : p)]));
}

/** Whether two parameter maps say the same thing. */
export function sameParameters(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}
