/**
 * RC4, the stream cipher NTLM seals with (MS-NLMP §3.4.3, §6 "RC4"), written out because
 * Node 20's OpenSSL 3 default provider and Electron's BoringSSL no longer offer it
 * (docs/ntlm.md, "Legacy crypto"). Stateful: NTLM keeps one keystream per direction for the whole
 * session (the "handle" of MS-NLMP §3.1.1.1), so each `update` continues where the last stopped.
 */
export class Rc4 {
  readonly #s = new Uint8Array(256);
  #i = 0;
  #j = 0;

  constructor(key: Buffer) {
    if (key.length < 1 || key.length > 256) throw new RangeError('RC4 key must be 1 to 256 bytes');
    // Key-scheduling algorithm.
    for (let i = 0; i < 256; i++) this.#s[i] = i;
    let j = 0;
    for (let i = 0; i < 256; i++) {
      j = (j + this.#s[i] + key[i % key.length]) & 0xff;
      [this.#s[i], this.#s[j]] = [this.#s[j], this.#s[i]];
    }
  }

  /** XOR `data` with the next `data.length` keystream bytes (encrypt and decrypt are the same). */
  update(data: Buffer): Buffer {
    const out = Buffer.allocUnsafe(data.length);
    this.into(data, out, 0);
    return out;
  }

  /**
   * The same, written into `out` from `at` (which may be `data` itself): the security layer seals
   * straight into the buffer it sends (app/ntlm/sasl-layer.ts), with no copy per frame.
   */
  into(data: Uint8Array, out: Uint8Array, at: number): void {
    const s = this.#s;
    let i = this.#i, j = this.#j;
    const n = data.length;
    for (let k = 0; k < n; k++) {
      i = (i + 1) & 0xff;
      const si = s[i];
      j = (j + si) & 0xff;
      const sj = s[j];
      s[i] = sj;
      s[j] = si;
      out[at + k] = data[k] ^ s[(si + sj) & 0xff];
    }
    this.#i = i;
    this.#j = j;
  }
}

/** One-shot RC4 with a fresh keystream: MS-NLMP §6 RC4K(K, D). */
export function rc4k(key: Buffer, data: Buffer): Buffer {
  return new Rc4(key).update(data);
}
