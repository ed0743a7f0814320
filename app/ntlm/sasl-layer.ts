/**
 * The SASL security layer after `235` when SEAL was negotiated (docs/ntlm.md "The sealed session after 235", RFC 4422 §3.7).
 *
 * A RECONSTRUCTION: MS-SMTPNTLM documents only the authentication exchange; what Exchange 5.5
 * put on the wire afterwards is not published. The lab frames it the way RFC 4422 §3.7 frames
 * every SASL security layer, and fills each buffer with MS-NLMP §3.4.3 SEAL output:
 *
 *   ┌──────────────────────┬──────────────────────────────┬──────────────────────────────┐
 *   │ length (4, big-end.) │ RC4-sealed bytes (length-16) │ NTLMSSP signature (16 bytes) │
 *   └──────────────────────┴──────────────────────────────┴──────────────────────────────┘
 *
 * The length counts the sealed bytes and the signature. Every buffer carries the next sequence
 * number of its direction, so a dropped, replayed, reordered or altered buffer fails the check;
 * the caller ends the session (docs/ntlm.md, "The sealed session after 235": a bad signature or sequence number ends it).
 */
import type { NtlmSessionKeys } from './keys.ts';
import { SIGNATURE_LENGTH, createSealContext } from './seal.ts';

/**
 * The largest buffer either side sends or accepts. RFC 4422 §3.7 has each side announce a
 * maximum; NTLM has no place for that, so the lab fixes one (64 KiB of plaintext per buffer).
 */
export const MAX_PLAINTEXT = 65_536;
const MAX_FRAME = MAX_PLAINTEXT + SIGNATURE_LENGTH;

export type UnwrapResult = { ok: true; plaintext: Buffer[] } | { ok: false; error: string };

export interface SecurityLayer {
  /** Seals `plain` into length-prefixed buffers, ready for the socket (nothing for no bytes). */
  wrap(plain: Buffer): Buffer;
  /**
   * Feeds bytes from the socket; returns the plaintext of every buffer completed by them (partial
   * buffers wait for more bytes). After the first error the layer stays failed.
   */
  unwrap(bytes: Buffer): UnwrapResult;
}

export function createSecurityLayer(keys: NtlmSessionKeys, role: 'client' | 'server'): SecurityLayer {
  const ctx = createSealContext(keys, role);
  let pending: Buffer = Buffer.alloc(0);
  let failure: string | undefined;

  function wrap(plain: Buffer): Buffer {
    // One buffer for every frame, sealed in place: no copy of the plaintext or the frames.
    const frames = Math.ceil(plain.length / MAX_PLAINTEXT);
    const out = Buffer.allocUnsafe(plain.length + frames * (4 + SIGNATURE_LENGTH));
    let to = 0;
    for (let at = 0; at < plain.length; at += MAX_PLAINTEXT) {
      const part = plain.subarray(at, at + MAX_PLAINTEXT);
      out.writeUInt32BE(part.length + SIGNATURE_LENGTH, to);
      ctx.send.sealInto(part, out, to + 4);
      to += 4 + part.length + SIGNATURE_LENGTH;
    }
    return out;
  }

  function fail(error: string): UnwrapResult {
    failure = error;
    pending = Buffer.alloc(0);
    return { ok: false, error };
  }

  function unwrap(bytes: Buffer): UnwrapResult {
    if (failure !== undefined) return { ok: false, error: failure };
    // The socket's chunk is kept as it is (a view, not a copy) when nothing waits before it; the
    // plaintext is a new buffer either way (unseal writes it), so the chunk is never changed.
    pending = pending.length ? Buffer.concat([pending, bytes]) : bytes;
    const plaintext: Buffer[] = [];
    while (pending.length >= 4) {
      const length = pending.readUInt32BE(0);
      if (length < SIGNATURE_LENGTH) return fail(`security layer buffer of ${length} bytes is shorter than its signature`);
      if (length > MAX_FRAME) return fail(`security layer buffer of ${length} bytes exceeds the ${MAX_FRAME}-byte maximum`);
      if (pending.length < 4 + length) break;
      const sealed = pending.subarray(4, 4 + length - SIGNATURE_LENGTH);
      const signature = pending.subarray(4 + length - SIGNATURE_LENGTH, 4 + length);
      const r = ctx.receive.unseal(sealed, signature);
      if (!r.ok) return fail(r.error);
      plaintext.push(r.message);
      pending = pending.subarray(4 + length);
    }
    return { ok: true, plaintext };
  }

  return { wrap, unwrap };
}
