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
    const seq = this.#seq;
    this.#seq = (this.#seq + 1) >>> 0;
    const sig = Buffer.alloc(SIGNATURE_LENGTH);
    sig.writeUInt32LE(1, 0);
    if (this.#ess) {
      const seqBytes = Buffer.alloc(4);
      seqBytes.writeUInt32LE(seq, 0);
      const checksum = hmacMd5(this.#signingKey, seqBytes, message).subarray(0, 8);
      (this.#keyExch ? this.#handle.update(checksum) : checksum).copy(sig, 4);
      sig.writeUInt32LE(seq, 12);
      return sig;
    }
    // §3.4.4.1: the random pad is zero here; it is encrypted all the same, which keeps the
    // keystream in step with the peer and matches the §4.2.2.4 example.
    this.#handle.update(Buffer.alloc(4)).copy(sig, 4);
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32LE(crc32(message), 0);
    this.#handle.update(checksum).copy(sig, 8);
    const seqField = this.#handle.update(Buffer.alloc(4)).readUInt32LE(0) ^ seq;
    sig.writeUInt32LE(seqField >>> 0, 12);
    return sig;
  }

  /** MS-NLMP §3.4.3 SEAL: encrypt, then sign the plaintext with the same handle. */
  seal(message: Buffer): { sealed: Buffer; signature: Buffer } {
    const sealed = this.#handle.update(message);
    return { sealed, signature: this.mac(message) };
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
