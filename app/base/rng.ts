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

export function createRng(seed: number): Rng {
  const init = splitmix32(seed);
  let a = init(), b = init(), c = init(), d = init();
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) u32();
  const rng: Rng = {
    next: () => u32() / 0x1_0000_0000,
    int: (n) => Math.floor((u32() / 0x1_0000_0000) * n),
    pick: (items) => items[Math.floor((u32() / 0x1_0000_0000) * items.length)],
    bytes: (n) => {
      const out = Buffer.alloc(n);
      for (let i = 0; i < n; i++) out[i] = u32() & 0xff;
      return out;
    },
    hex: (n) => rng.bytes(n).toString('hex'),
    fork: (label) => createRng(hashLabel(seed, label)),
  };
  return rng;
}
