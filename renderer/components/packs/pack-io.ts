/**
 * The browser side of packs: base64 (the zip crosses the contract as text), saving bytes as a
 * download, copying text, and the text of an import problem. No framework code, so it stays
 * testable without a DOM.
 */
import type { PackProblem } from '../../../main/ipc/contract.ts';

/** `entry:line:column: message` (or `entry: message`): the entry's path said once. */
export function problemText(p: PackProblem): string {
  return `${p.file}${p.line !== undefined ? `:${p.line}:${p.column ?? 1}` : ''}: ${p.message}`;
}

/** `2 artifacts` / `1 artifact`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Bytes as base64, in chunks (one String.fromCharCode call per 32 KiB keeps the stack small). */
export function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** base64 back to bytes. */
export function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Saves `bytes` as a download named `fileName` (a Blob behind a temporary <a download>). */
export function downloadBytes(bytes: Uint8Array<ArrayBuffer>, fileName: string, type = 'application/zip'): void {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started by the next task; revoking later frees the Blob.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Copies text to the clipboard; false when the browser refuses (the user can still select it). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false; // no clipboard permission (e.g. an unfocused page): the caller says so
  }
}
