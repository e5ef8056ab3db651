/**
 * A small least-recently-used table (a Map in use order): the NTFS volume keeps parsed MFT
 * records, files and listings in these, and BlockCache its blocks. A value whose promise fails
 * is dropped (the next call tries again).
 */
export class Lru<K, V> {
  private readonly map = new Map<K, V>();

  constructor(private readonly max: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }

  /** The value for `key`, made by `make` when absent (a rejected promise is not kept). */
  getOrSet(key: K, make: () => V): V {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const v = make();
    this.set(key, v);
    if (v instanceof Promise) v.catch(() => { if (this.map.get(key) === v) this.map.delete(key); });
    return v;
  }

  clear(): void {
    this.map.clear();
  }
}
