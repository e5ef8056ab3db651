/** The snappyjs package ships no types: a pure-JS Snappy (raw block format) codec. */
declare module 'snappyjs' {
  /** Decompresses a raw Snappy block; throws on invalid input or when larger than `maxLength`. */
  export function uncompress<T extends Uint8Array | ArrayBuffer>(compressed: T, maxLength?: number): T;
  export function compress<T extends Uint8Array | ArrayBuffer>(uncompressed: T): T;
}
