/**
 * The STARTTLS hand-over any line-based dissector shares (docs/architecture.md, "Registries"):
 * a clear-text protocol whose command and positive reply start TLS, after which both directions
 * carry TLS records (SMTP: `STARTTLS` + `220`, RFC 3207 §4; IMAP: `a STARTTLS` + `a OK`,
 * RFC 9051 §6.2.1). The dissector says which lines those are (`StartTlsRule`) — or, when its own
 * grammar already pairs replies with pipelined commands (SMTP's shared wire, RFC 2920 §3), calls
 * `start()` at that reply — and asks, at each line start, whether the rest of the bytes are
 * TLS's (`active`, `sniff`); this keeps the per-connection state and feeds one TLS session
 * (tls.ts) with the bytes of both directions, the clear-text dissector inside it (docs/packet-view.md).
 *
 *   line ──command (rule.command)──► pending ──positive reply (rule.reply)──► TLS both ways
 *   line start with a TLS record header ─────────────────────────────────────► TLS this way
 *
 * The second arrow is for a capture that missed the STARTTLS: bytes that start a TLS record
 * (RFC 8446 §5.1: content type 22, version 3.x) where a text line should start.
 */
import type { Direction } from '../tap.ts';
import type { Pdu, SessionContext, StreamDissector } from './types.ts';
import { TlsSession } from './tls.ts';

/** Which client line asks for TLS, and which server line answers it. */
export interface StartTlsRule {
  /** The client's line (without its line end) asks for TLS: a key its answer is known by (IMAP's tag), else undefined. */
  command(line: string): string | undefined;
  /** A server line while a request is pending: `start` (TLS from the next byte), `refused`, or undefined (another line). */
  reply(line: string, key: string): 'start' | 'refused' | undefined;
}

export class StartTlsHandover {
  readonly #ctx: SessionContext;
  readonly #inner: () => StreamDissector;
  readonly #rule: StartTlsRule | undefined;
  readonly #active: Record<Direction, boolean> = { c2s: false, s2c: false };
  #pending: string | undefined;
  #tls: TlsSession | undefined;
  /** Whether any byte of the direction has gone to TLS yet. */
  readonly #fed: Record<Direction, boolean> = { c2s: false, s2c: false };

  /** `inner` opens the clear-text dissector again, one level deeper, for what TLS decrypts. */
  constructor(ctx: SessionContext, inner: () => StreamDissector, rule?: StartTlsRule) {
    this.#ctx = ctx;
    this.#inner = inner;
    this.#rule = rule;
  }

  /** The direction's bytes are TLS records from here on. */
  active(dir: Direction): boolean {
    return this.#active[dir];
  }

  /** Both directions switch now (RFC 3207 §4: after the positive reply both sides start TLS at once). */
  start(): void {
    this.#active.c2s = true;
    this.#active.s2c = true;
    this.#pending = undefined;
  }

  /** A whole client line, for the rule. */
  clientLine(line: string): void {
    const key = this.#rule?.command(line);
    if (key !== undefined) this.#pending = key;
  }

  /** A whole server line, for the rule: the positive answer to a pending request starts TLS. */
  serverLine(line: string): void {
    if (!this.#rule || this.#pending === undefined) return;
    const answer = this.#rule.reply(line, this.#pending);
    if (answer === 'start') this.start();
    else if (answer === 'refused') this.#pending = undefined;
  }

  /**
   * Called where a line of `dir` would start at `bytes[pos]`: a TLS record header there (RFC 8446
   * §5.1: type 22, version 3.x; the version byte may be in the next segment) means the protocol
   * switched unseen, so this direction is TLS from here (returns true).
   */
  sniff(dir: Direction, bytes: Buffer, pos: number): boolean {
    if (bytes[pos] === 0x16 && (pos + 1 >= bytes.length || bytes[pos + 1] === 0x03)) {
      this.#active[dir] = true;
      return true;
    }
    return false;
  }

  /**
   * Text where the direction's first TLS record should start: a whole printable line ending in CRLF
   * right after the switch, before any record (RFC 3207 §4 allows none; a middlebox's injected
   * reply, or CVE-2011-0411's pipelined commands). Its length, or 0: the caller reads it as a line.
   */
  plaintextBefore(dir: Direction, bytes: Buffer, pos: number): number {
    if (this.#fed[dir] || bytes[pos] === 0x16) return 0;
    const lf = bytes.indexOf(0x0a, pos);
    if (lf < 0 || lf - pos > 1000) return 0;
    for (let i = pos; i < lf; i++) if ((bytes[i] < 0x20 && bytes[i] !== 0x0d && bytes[i] !== 0x09) || bytes[i] > 0x7e) return 0;
    return lf + 1 - pos;
  }

  /** Bytes of an active direction, to the connection's one TLS session. */
  feed(dir: Direction, bytes: Buffer, offset: number): Pdu[] {
    if (bytes.length > 0) this.#fed[dir] = true;
    this.#tls ??= new TlsSession(this.#ctx, this.#inner);
    return this.#tls.feed(dir, bytes, offset);
  }

  end(dir: Direction): Pdu[] {
    return this.#tls ? this.#tls.end(dir) : [];
  }
}
