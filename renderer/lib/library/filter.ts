/**
 * The artifact library's search and filters, and its "runs here" badge: pure functions over
 * `artifacts:list` summaries (tested in Node).
 */
import type { ArtifactSummary } from '../../../main/ipc/contract.ts';

/** The library's filters besides the search words. */
export interface ArtifactFilters {
  /** Only artifacts that can run on this machine (their reach says so). */
  runsHere?: boolean;
  /** By the name's OS prefix: `Linux`, `Windows`, `MacOS`, or `other` (Generic., Custom., ...). */
  os?: 'Linux' | 'Windows' | 'MacOS' | 'other' | '';
  /** By type: `client`, `client_event`, `server`, `server_event`. */
  type?: string;
}

const OS_PREFIXES = ['Linux.', 'Windows.', 'MacOS.'];

/**
 * Artifacts in which every word of `query` (any case) is in the name, the description or a
 * parameter name, and that pass the filters.
 */
export function filterArtifacts(list: readonly ArtifactSummary[], query: string, filters: ArtifactFilters = {}): ArtifactSummary[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return list.filter((a) => {
    if (filters.runsHere && !a.reach?.runs) return false;
    if (filters.type && a.type !== filters.type) return false;
    if (filters.os === 'other' ? OS_PREFIXES.some((p) => a.name.startsWith(p)) : filters.os && !a.name.startsWith(`${filters.os}.`)) return false;
    if (!words.length) return true;
    const text = `${a.name}\n${a.description}\n${(a.parameterNames ?? []).join(' ')}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

/** The library's badge for an artifact's reach: runs here, which OS it is for, or what it needs. */
export function reachBadge(a: ArtifactSummary): { kind: 'runs' | 'other-os' | 'needs'; text: string; title: string } | null {
  const r = a.reach;
  if (!r) return null;
  if (!r.forThisMachine) return { kind: 'other-os', text: `for ${r.os.join(', ')}`, title: `Meant for ${r.os.join(', ')}, not this machine` };
  if (r.runs) return { kind: 'runs', text: 'runs here', title: 'Everything it calls is available on this machine' };
  const names = r.missing.map((m) => m.replace(/\(\)$/, ''));
  const shown = names.slice(0, 2).join(', ') + (names.length > 2 ? ` +${names.length - 2}` : '');
  return { kind: 'needs', text: `needs ${shown}`, title: `It cannot run here yet: it needs ${r.missing.join(', ')}` };
}
