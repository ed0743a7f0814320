/**
 * A Duplex that runs the NTLM SASL security layer (sasl-layer.ts) over another stream: writes
 * are sealed into length-prefixed buffers, bytes read are unsealed. It looks enough like a socket
 * (readyState, setTimeout, addresses) for smtp-server to write replies through it, the way
 * STARTTLS swaps in a TLSSocket — and for the outbound client to switch to it after `235`.
 *
 *   app ⇄ SealedStream ⇄ (seal / unseal + signature check) ⇄ inner socket ⇄ wire
 */
import { Duplex } from 'node:stream';
import type { NtlmSessionKeys } from './keys.ts';
import { createSecurityLayer } from './sasl-layer.ts';
import type { SecurityLayer } from './sasl-layer.ts';

/** The socket members the wrapper passes through when the inner stream has them. */
interface SocketLike {
  readyState?: string;
  setTimeout?(ms: number): unknown;
  setNoDelay?(noDelay?: boolean): unknown;
  setKeepAlive?(enable?: boolean, delay?: number): unknown;
  remoteAddress?: string;
  remotePort?: number;
  localAddress?: string;
  localPort?: number;
}

export interface SealedStreamOptions {
  /** Told about a buffer that failed to unseal (bad signature, bad sequence number, bad length). */
  onLayerError?: (error: string) => void;
  /**
   * `error` (default) destroys the stream with an Error, for a client that reports it; `close`
   * ends it without one, for a server that must not turn a hostile peer into an 'error' event.
   */
  onFailure?: 'error' | 'close';
}

export class SealedStream extends Duplex {
  readonly #inner: Duplex & SocketLike;
  readonly #layer: SecurityLayer;
  readonly #options: SealedStreamOptions;

  constructor(inner: Duplex, layer: SecurityLayer, options: SealedStreamOptions = {}) {
    super({ allowHalfOpen: false });
    this.#inner = inner;
    this.#layer = layer;
    this.#options = options;
    inner.on('data', (chunk: Buffer) => this.#onData(chunk));
    inner.on('end', () => this.push(null));
    inner.on('error', (err: Error) => this.destroy(err));
    inner.on('close', () => {
      if (!this.destroyed) this.destroy();
    });
    inner.on('timeout', () => this.emit('timeout'));
    // A socket that was unpiped (as smtp-server does before a swap) stays paused until resumed.
    inner.resume();
  }

  #onData(chunk: Buffer): void {
    if (this.destroyed) return;
    const r = this.#layer.unwrap(chunk);
    if (!r.ok) {
      this.#options.onLayerError?.(r.error);
      if (this.#options.onFailure === 'close') this.destroy();
      else this.destroy(new Error(`NTLM security layer: ${r.error}`));
      return;
    }
    for (const plain of r.plaintext) {
      if (!this.push(plain)) this.#inner.pause();
    }
  }

  override _read(): void {
    this.#inner.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#inner.write(this.#layer.wrap(chunk), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#inner.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#inner.destroy();
    callback(error);
  }

  /** smtp-server writes a reply only while its socket says `open` (docs/ntlm.md, "smtp-server integration"). */
  get readyState(): string {
    if (this.destroyed) return 'closed';
    return this.#inner.readyState ?? (this.writable ? 'open' : 'closed');
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.#inner.setTimeout?.(ms);
    if (callback) this.once('timeout', callback);
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.#inner.setNoDelay?.(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, delay?: number): this {
    this.#inner.setKeepAlive?.(enable, delay);
    return this;
  }

  get remoteAddress(): string | undefined {
    return this.#inner.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#inner.remotePort;
  }

  get localAddress(): string | undefined {
    return this.#inner.localAddress;
  }

  get localPort(): number | undefined {
    return this.#inner.localPort;
  }
}

/**
 * Wraps a connected socket (or any Duplex) in the security layer. The outbound SMTP client calls
 * this right after `235` when SEAL was negotiated, then re-sends EHLO through the result.
 */
export function sealStream(
  socket: Duplex,
  keys: NtlmSessionKeys,
  role: 'client' | 'server' = 'client',
  options: SealedStreamOptions = {},
): SealedStream {
  return new SealedStream(socket, createSecurityLayer(keys, role), options);
}
