/**
 * Size limits of the contract's requests, in one place: the service refuses a request over its
 * limit (whatever the transport), and the page's WebSocket client checks the same limit before
 * sending, so an over-large text gets a clear reply instead of a dropped connection.
 *
 * Why these numbers: a query or an artifact is text a person writes; Velociraptor's largest
 * built-in definition is far below 1 MiB (see main/artifacts for the artifact file limit), so
 * 1 MiB of text per request leaves room and keeps one live check from taking seconds of the
 * host's time. A pack travels as base64 and has the pack zip limit of its own.
 *
 * No imports but types: the renderer bundles this file.
 */
import type { InvokeChannel } from './contract.ts';

const MiB = 2 ** 20;

/** Characters of text (queries, YAML, names) one request may carry. */
export const MAX_REQUEST_TEXT = MiB;

/**
 * Characters of base64 a `packs:import` request may carry over the WebSocket: the base64 of the
 * largest pack zip (DEFAULT_ZIP_LIMITS.maxZipBytes, 16 MiB; a test keeps the two in step).
 */
export const MAX_PACK_BASE64_WS = Math.ceil((16 * MiB) / 3) * 4;

/** Bytes of one WebSocket message the web host accepts (larger frames close the connection, code 1009). */
export const MAX_WS_MESSAGE = MAX_PACK_BASE64_WS + 64 * 1024;

/**
 * The request limit of a channel: packs carry a zip (limited by the pack zip limit, and over the
 * WebSocket by the message size), everything else text.
 */
export function requestLimit(channel: InvokeChannel, overWebSocket = false): number {
  if (channel !== 'packs:import' && channel !== 'packs:preview') return MAX_REQUEST_TEXT;
  return overWebSocket ? MAX_PACK_BASE64_WS : Number.POSITIVE_INFINITY;
}

/**
 * Characters of string data in `value` (strings, keys, nested arrays and objects), counting
 * stops as soon as `limit` is passed, so a huge request costs no more than the limit to measure.
 */
export function textSize(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && total <= limit) {
    const v = stack.pop();
    if (typeof v === 'string') total += v.length;
    else if (Array.isArray(v)) for (const e of v) stack.push(e);
    else if (v !== null && typeof v === 'object') {
      for (const [k, e] of Object.entries(v)) {
        total += k.length;
        stack.push(e);
      }
    }
  }
  return total;
}

/** A message for a request over its channel's limit, else null. */
export function requestTooLarge(channel: InvokeChannel, args: readonly unknown[], overWebSocket = false): string | null {
  const limit = requestLimit(channel, overWebSocket);
  if (limit === Number.POSITIVE_INFINITY) return null;
  const size = textSize(args, limit);
  if (size <= limit) return null;
  if (channel === 'packs:import' || channel === 'packs:preview') {
    return `${channel}: the pack is larger than ${Math.floor((limit * 3) / 4 / MiB)} MiB, the most a pack may be: ` +
      'split it into several packs.';
  }
  return `${channel}: the request holds more than ${limit / MiB} MiB of text, the most one request may carry. ` +
    'Queries and artifacts are far smaller than that: split the text, or read large data from a file in VQL (read_file, parse_csv).';
}
