/**
 * A Windows certificate store's `Blob` registry value, as Windows.System.RootCAStore reads it:
 * property records {Type uint32, reserved uint32, Length uint32, Data}; 3 is the SHA-1
 * thumbprint, 11 the friendly name (UTF-16, NUL-terminated), 20 the key identifier, 32 the DER.
 */
export function certStoreBlob(records: ReadonlyArray<readonly [number, Buffer]>): Buffer {
  return Buffer.concat(records.map(([type, data]) => {
    const h = Buffer.alloc(12);
    h.writeUInt32LE(type, 0);
    h.writeUInt32LE(1, 4);
    h.writeUInt32LE(data.length, 8);
    return Buffer.concat([h, data]);
  }));
}
