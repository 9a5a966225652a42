// A distinct-count sketch over 32-bit hashes: an exact open-addressing set while small, then a
// HyperLogLog. Inputs must already be well mixed (every bit equally likely); callers pass hashes
// finished with `mix32` (src/metrics/attrs.ts).
//
// Memory: the exact set grows 8 -> 16 -> ... -> 2 * limit slots of 4 bytes, where the limit is
// EXACT_LIMIT or 2^p / 8 if smaller, so the exact form never takes more than the registers do;
// past the limit it becomes 2^p one-byte registers (1 KiB at p = 10, 256 B at p = 8). The
// HyperLogLog's relative standard error is 1.04 / sqrt(2^p): 3.25 % at p = 10.

/** Distinct hashes kept exactly before switching to registers (fewer at low precision: 2^p / 8). */
export const EXACT_LIMIT = 128;
/** Register index bits. */
export const DEFAULT_PRECISION = 10;

/** Relative standard error of the register form at precision `p`. */
export function standardError(p: number = DEFAULT_PRECISION): number {
  return 1.04 / Math.sqrt(2 ** p);
}

/** 2^-r for every possible register value. */
const INV_POW2 = Float64Array.from({ length: 64 }, (_, r) => 2 ** -r);

export class DistinctSketch {
  /** Exact form: slots holding hash | 0 for empty (a 0 hash is stored as 1). */
  private slots: Uint32Array | undefined;
  private n = 0;
  /** Register form, once more than EXACT_LIMIT distinct hashes arrived. */
  private regs: Uint8Array | undefined;
  /** Distinct hashes kept exactly: 2 * limit slots of 4 bytes = at most the 2^p register bytes. */
  readonly exactLimit: number;

  constructor(readonly precision: number = DEFAULT_PRECISION) {
    this.exactLimit = Math.min(EXACT_LIMIT, Math.max(1, (1 << precision) >> 3));
  }

  /** True while the count is exact (up to 32-bit hash collisions). */
  get exact(): boolean {
    return this.regs === undefined;
  }

  get empty(): boolean {
    return this.regs === undefined && this.n === 0;
  }

  /** True when `h` is certainly in the set: only the exact form can tell (else false). */
  has(h: number): boolean {
    const slots = this.slots;
    if (this.regs !== undefined || slots === undefined) return false;
    const v = h === 0 ? 1 : h >>> 0;
    const mask = slots.length - 1;
    let i = v & mask;
    for (;;) {
      const s = slots[i] as number;
      if (s === v) return true;
      if (s === 0) return false;
      i = (i + 1) & mask;
    }
  }

  add(h: number): void {
    if (this.regs !== undefined) {
      this.addRegister(this.regs, h);
      return;
    }
    const v = h === 0 ? 1 : h >>> 0;
    let slots = this.slots;
    if (slots === undefined) {
      slots = new Uint32Array(8);
      this.slots = slots;
    }
    const mask = slots.length - 1;
    let i = v & mask;
    for (;;) {
      const s = slots[i] as number;
      if (s === v) return;
      if (s === 0) break;
      i = (i + 1) & mask;
    }
    slots[i] = v;
    this.n++;
    if (this.n > this.exactLimit) this.toRegisters();
    else if (this.n * 2 > slots.length) this.grow();
  }

  private addRegister(regs: Uint8Array, h: number): void {
    const p = this.precision;
    const idx = h >>> (32 - p);
    const w = (h << p) >>> 0;
    const rank = w === 0 ? 33 - p : Math.clz32(w) + 1;
    if (rank > (regs[idx] as number)) regs[idx] = rank;
  }

  private grow(): void {
    const old = this.slots as Uint32Array;
    const slots = new Uint32Array(old.length * 2);
    const mask = slots.length - 1;
    for (const v of old) {
      if (v === 0) continue;
      let i = v & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = v;
    }
    this.slots = slots;
  }

  private toRegisters(): void {
    const regs = new Uint8Array(1 << this.precision);
    const old = this.slots;
    if (old !== undefined) for (const v of old) if (v !== 0) this.addRegister(regs, v);
    this.regs = regs;
    this.slots = undefined;
    this.n = 0;
  }

  /** Distinct hashes seen: exact up to `exactLimit`, a HyperLogLog estimate above. */
  estimate(): number {
    const regs = this.regs;
    if (regs === undefined) return this.n;
    const m = regs.length;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < m; i++) {
      const r = regs[i] as number;
      sum += INV_POW2[r] as number;
      if (r === 0) zeros++;
    }
    const alpha = 0.7213 / (1 + 1.079 / m);
    const raw = (alpha * m * m) / sum;
    // Small range: linear counting is far more accurate while registers are still empty.
    if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
    return Math.round(raw);
  }

  /** Add everything `other` holds into this sketch (set union; registers merge by max). */
  mergeFrom(other: DistinctSketch): void {
    if (other.regs === undefined) {
      const slots = other.slots;
      if (slots !== undefined) for (const v of slots) if (v !== 0) this.add(v);
      return;
    }
    if (this.regs === undefined) this.toRegisters();
    const regs = this.regs as Uint8Array;
    const src = other.regs;
    // Sketches of different precision never meet in this module; guard anyway.
    if (src.length !== regs.length) {
      for (let i = 0; i < src.length; i++) if ((src[i] as number) > 0) this.add(i << (32 - other.precision));
      return;
    }
    for (let i = 0; i < regs.length; i++) if ((src[i] as number) > (regs[i] as number)) regs[i] = src[i] as number;
  }

  clear(): void {
    this.slots = undefined;
    this.regs = undefined;
    this.n = 0;
  }

  /** Bytes held by the typed arrays (object overhead excluded). */
  bytes(): number {
    return (this.slots?.byteLength ?? 0) + (this.regs?.byteLength ?? 0);
  }

  /** A copy (used to seed a new projection from existing series). */
  clone(): DistinctSketch {
    const c = new DistinctSketch(this.precision);
    c.mergeFrom(this);
    return c;
  }
}
