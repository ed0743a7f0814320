/**
 * A seeded random source (docs/architecture.md, "Conventions": inject randomness). Everything a trainee is graded on — canary
 * tokens, stage decisions, property-test labs — draws from here, so a seed replays a run.
 *
 * sfc32 seeded through splitmix32: small, fast, and good enough for simulation (not for keys;
 * key material comes from node:crypto).
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** One element of `items`. */
  pick<T>(items: readonly T[]): T;
  /** `n` pseudo-random bytes. */
  bytes(n: number): Buffer;
  /** Lowercase hex of `n` bytes. */
  hex(n: number): string;
  /** An independent stream derived from this seed and a label (stable under reordering of callers). */
  fork(label: string): Rng;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function hashLabel(seed: number, label: string): number {
  // FNV-1a over the label, mixed with the seed.
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * sfc32's state is set up on the first draw, not at creation: the lab forks a stream for every
 * connection's pipeline (app/lab/lab.ts), and a `direct` path's `pass` pipeline never draws from
 * it. A fork is then one small object; its stream is the same whenever it is first drawn from.
 */
class Sfc32 implements Rng {
  readonly #seed: number;
  #a = 0;
  #b = 0;
  #c = 0;
  #d = 0;
  #seeded = false;

  constructor(seed: number) {
    this.#seed = seed;
  }

  #u32(): number {
    if (!this.#seeded) this.#seedState();
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  #seedState(): void {
    this.#seeded = true;
    const init = splitmix32(this.#seed);
    this.#a = init();
    this.#b = init();
    this.#c = init();
    this.#d = init();
    for (let i = 0; i < 12; i++) this.#u32();
  }

  next(): number {
    return this.#u32() / 0x1_0000_0000;
  }

  int(n: number): number {
    return Math.floor((this.#u32() / 0x1_0000_0000) * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor((this.#u32() / 0x1_0000_0000) * items.length)];
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.#u32() & 0xff;
    return out;
  }

  hex(n: number): string {
    return this.bytes(n).toString('hex');
  }

  fork(label: string): Rng {
    return new Sfc32(hashLabel(this.#seed, label));
  }
}

export function createRng(seed: number): Rng {
  return new Sfc32(seed);
}
