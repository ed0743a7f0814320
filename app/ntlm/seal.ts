/**
 * Message integrity and confidentiality, MS-NLMP §3.4: SIGN (MAC, §3.4.4) and SEAL (§3.4.3), with
 * a sequence number per direction. Each direction has its own RC4 handle, kept for the whole
 * session; the signature's checksum is encrypted with the same handle, right after the data.
 *
 *   extended session security:  Version(1) | RC4?(HMAC_MD5(SignKey, SeqNum‖Msg)[0..7]) | SeqNum
 *   without it (NTLMv1):        Version(1) | RC4(RandomPad) | RC4(CRC32(Msg)) | RC4(0) XOR SeqNum
 */
import type { NtlmSessionKeys } from './keys.ts';
import { crc32 } from './crc32.ts';
import { hmacMd5, sameBytes } from './crypto.ts';
import { NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY, NTLMSSP_NEGOTIATE_KEY_EXCH, hasFlag } from './flags.ts';
import { Rc4 } from './rc4.ts';

export { negotiatedKeyBits } from './keys.ts';

export const SIGNATURE_LENGTH = 16;

/** Scratch for the sequence number the HMAC covers (single-threaded: used and done in one call). */
const SEQ = Buffer.alloc(4);

/** One direction of a session: its RC4 handle, signing key and next sequence number. */
export class SealDirection {
  readonly #handle: Rc4;
  readonly #signingKey: Buffer;
  readonly #ess: boolean;
  readonly #keyExch: boolean;
  #seq = 0;

  constructor(flags: number, sealingKey: Buffer, signingKey: Buffer) {
    this.#handle = new Rc4(sealingKey);
    this.#signingKey = signingKey;
    this.#ess = hasFlag(flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY);
    this.#keyExch = hasFlag(flags, NTLMSSP_NEGOTIATE_KEY_EXCH);
  }

  get sequence(): number {
    return this.#seq;
  }

  /** MS-NLMP §3.4.4 MAC over the plaintext; consumes keystream and the sequence number. */
  mac(message: Buffer): Buffer {
    const sig = Buffer.allocUnsafe(SIGNATURE_LENGTH);
    this.macInto(message, sig, 0);
    return sig;
  }

  /** The same MAC, written as 16 bytes into `out` at `at` (no buffer of its own). */
  macInto(message: Buffer, out: Buffer, at: number): void {
    const seq = this.#seq;
    this.#seq = (this.#seq + 1) >>> 0;
    out.writeUInt32LE(1, at);
    if (this.#ess) {
      SEQ.writeUInt32LE(seq, 0);
      const checksum = hmacMd5(this.#signingKey, SEQ, message).subarray(0, 8);
      if (this.#keyExch) this.#handle.into(checksum, out, at + 4);
      else checksum.copy(out, at + 4);
      out.writeUInt32LE(seq, at + 12);
      return;
    }
    // §3.4.4.1: the random pad is zero here; it is encrypted all the same, which keeps the
    // keystream in step with the peer and matches the §4.2.2.4 example. Then the CRC-32 of the
    // message, then 0 XOR SeqNum: all three through the handle, in that order.
    out.writeUInt32LE(0, at + 4);
    out.writeUInt32LE(crc32(message), at + 8);
    out.writeUInt32LE(0, at + 12);
    this.#handle.into(out.subarray(at + 4, at + 16), out, at + 4);
    out.writeUInt32LE((out.readUInt32LE(at + 12) ^ seq) >>> 0, at + 12);
  }

  /** MS-NLMP §3.4.3 SEAL: encrypt, then sign the plaintext with the same handle. */
  seal(message: Buffer): { sealed: Buffer; signature: Buffer } {
    const out = Buffer.allocUnsafe(message.length + SIGNATURE_LENGTH);
    this.sealInto(message, out, 0);
    return { sealed: out.subarray(0, message.length), signature: out.subarray(message.length) };
  }

  /** SEAL into `out` at `at`: the sealed bytes, then the 16-byte signature right after them. */
  sealInto(message: Buffer, out: Buffer, at: number): void {
    this.#handle.into(message, out, at);
    this.macInto(message, out, at + message.length);
  }

  /** The receiving side of SEAL: decrypt, recompute the MAC, compare. */
  unseal(sealed: Buffer, signature: Buffer): { ok: true; message: Buffer } | { ok: false; error: string } {
    const message = this.#handle.update(sealed);
    const check = this.verify(message, signature);
    return check.ok ? { ok: true, message } : check;
  }

  /** Checks a signature for `message`; the checksum and the sequence number must both match. */
  verify(message: Buffer, signature: Buffer): { ok: true } | { ok: false; error: string } {
    const expectedSeq = this.#seq;
    const expected = this.mac(message);
    if (signature.length !== SIGNATURE_LENGTH || signature.readUInt32LE(0) !== 1) {
      return { ok: false, error: 'signature is not an NTLMSSP_MESSAGE_SIGNATURE version 1' };
    }
    if (!sameBytes(signature.subarray(12, 16), expected.subarray(12, 16))) {
      const got = this.#ess ? signature.readUInt32LE(12) : undefined;
      return { ok: false, error: `bad sequence number${got === undefined ? '' : ` ${got}`}, expected ${expectedSeq}` };
    }
    const checksum = this.#ess ? [4, 12] : [8, 12];
    if (!sameBytes(signature.subarray(checksum[0], checksum[1]), expected.subarray(checksum[0], checksum[1]))) {
      return { ok: false, error: `bad signature on message ${expectedSeq}` };
    }
    return { ok: true };
  }
}

export interface SealContext {
  /** Outgoing direction: seal with our own keys. */
  readonly send: SealDirection;
  /** Incoming direction: unseal with the peer's keys. */
  readonly receive: SealDirection;
}

/**
 * Both directions for one end of a session (§3.1.5.1.2: ClientHandle / ServerHandle). The client
 * sends with the client keys and receives with the server keys; the server the other way round.
 */
export function createSealContext(keys: NtlmSessionKeys, role: 'client' | 'server'): SealContext {
  const client = new SealDirection(keys.negotiateFlags, keys.clientSealingKey, keys.clientSigningKey);
  const server = new SealDirection(keys.negotiateFlags, keys.serverSealingKey, keys.serverSigningKey);
  return role === 'client' ? { send: client, receive: server } : { send: server, receive: client };
}
