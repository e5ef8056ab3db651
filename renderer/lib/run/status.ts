/**
 * The one-line status of a run (console cell or run form): what it is doing, rows so far,
 * time, and the error with its line and column; and what a "Collect to zip" run wrote. Pure, so
 * the wording is tested once.
 */
import type { CollectionDownload } from '../../../main/ipc/contract.ts';
import type { RunState } from '../state/queries.ts';
import { sizeText } from '../workbench/picker.ts';

/** `41 ms`, `2.3 s`, `3 min 05 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

function rows(n: number): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? 'row' : 'rows'}`;
}

/** Where an error is, as people read it: `line 2, column 7: `. */
export function errorText(e: NonNullable<RunState['error']>): string {
  return e.span ? `line ${e.span.line}, column ${e.span.column}: ${e.message}` : e.message;
}

/**
 * The status line for a run state; `elapsed` is the live time while it runs. `edited`: the
 * query was changed since this run, so its error no longer describes the text on screen (the
 * live check underlines what is wrong now) and its rows are those of the text before.
 */
export function statusText(s: RunState, elapsed: number, edited = false): string {
  if (edited && s.status === 'failed') return 'Edited since the last run, which failed · run again to see this query\'s result';
  if (edited && (s.status === 'done' || s.status === 'cancelled')) return `${statusText(s, elapsed)} · for the query before your edit`;
  switch (s.status) {
    case 'idle':
      return 'Not run yet';
    case 'starting':
      return 'Starting…';
    case 'running':
      return `Running · ${rows(s.rows)} · ${formatDuration(elapsed)}`;
    case 'done':
      return `Done · ${rows(s.rows)} · ${formatDuration(s.ms)}`;
    case 'cancelled':
      return `Stopped · ${rows(s.rows)} · ${formatDuration(s.ms)}`;
    case 'failed':
      return `Error · ${s.error ? errorText(s.error) : 'the query failed'}${s.rows ? ` (${rows(s.rows)} before the error)` : ''}`;
  }
}

/**
 * The line under a "Collect to zip" run: what the zip holds and its size; `fetched`: how it
 * reached the user (a browser download, or held by the host for the desktop shell to save).
 */
export function collectionText(c: CollectionDownload, fetched: 'downloaded' | 'ready'): string {
  const counts = `${rows(c.rows)}, ${c.uploads.toLocaleString('en-US')} ${c.uploads === 1 ? 'upload' : 'uploads'}${c.uploads ? ` (${sizeText(c.uploadedBytes)})` : ''}`;
  return `${fetched === 'downloaded' ? 'Downloaded' : 'Collected'} ${c.name} · ${counts} · ${sizeText(c.bytes)} zip`;
}
