/**
 * Reads one tapped connection's records as an SMTP conversation (RFC 5321 §4.1, §4.2), so the
 * lab's timeline and the firewall's counters can say "EHLO", "354", "TLS started" without a second
 * protocol implementation (the grammar is app/smtp/wire.ts): lines per direction, DATA content skipped, and nothing read as SMTP once
 * the session is inside TLS (RFC 3207 §4: after `220` to STARTTLS) or an NTLM seal layer (docs/ntlm.md,
 * after `235` when the session sealed), nor on a connection that speaks TLS from its first byte.
 *
 *   records (seq order) ─► per direction: bytes → lines ─► command / reply / content / tls / sealed
 *
 * Pure: fed records, it answers items; the caller decides what to count or show.
 */
import type { Direction, TapRecord } from '../capture/tap.ts';
import { parseCommand, parseReplyLine } from '../smtp/wire.ts';

export type SmtpItem =
  /** `continuation`: a line of an AUTH exchange (RFC 4954 §4), not a command of its own. */
  | { kind: 'command'; verb: string; text: string; record: TapRecord; continuation?: boolean }
  | { kind: 'reply'; code: number; text: string; record: TapRecord }
  | { kind: 'content'; bytes: number; record: TapRecord }
  /** `implicit`: TLS from the connection's first byte, no STARTTLS (HTTPS for an MTA-STS policy, RFC 8461 §3.3). */
  | { kind: 'tls'; record: TapRecord; implicit?: boolean }
  | { kind: 'sealed'; record: TapRecord };

type Phase = 'command' | 'content' | 'encrypted';

/** One connection at one capture point. `sealed`: the session negotiated an NTLM seal layer. */
export class SmtpReader {
  #phase: Phase = 'command';
  #lastVerb = '';
  /** Inside an AUTH exchange: client lines answer `334` challenges until a final reply. */
  #auth = false;
  #pending: Record<Direction, Buffer> = { c2s: Buffer.alloc(0), s2c: Buffer.alloc(0) };
  #contentBytes = 0;
  /** The milestone (TLS or seal layer) the last reply started, until taken. */
  #after: SmtpItem | undefined;
  readonly #sealed: boolean;
  /** Some bytes have been read on the connection, either way. */
  #heard = false;

  constructor(opts: { sealed?: boolean } = {}) {
    this.#sealed = opts.sealed ?? false;
  }

  get phase(): Phase {
    return this.#phase;
  }

  push(record: TapRecord): SmtpItem[] {
    if (this.#phase === 'encrypted') return [];
    // The SMTP server speaks first (RFC 5321 §3.1); a client whose first bytes are a TLS
    // handshake record (content type 22, version 3.x: RFC 8446 §5.1) is speaking TLS from the
    // start, and nothing on the connection is SMTP text.
    if (!this.#heard && record.dir === 'c2s' && record.bytes[0] === 0x16 && record.bytes[1] === 0x03) {
      this.#phase = 'encrypted';
      return [{ kind: 'tls', record, implicit: true }];
    }
    if (record.bytes.length > 0) this.#heard = true;
    const buf = Buffer.concat([this.#pending[record.dir], record.bytes]);
    const out: SmtpItem[] = [];
    let start = 0;
    for (let i = buf.indexOf(0x0a); i >= 0 && !this.#inside(); i = buf.indexOf(0x0a, start)) {
      const line = buf.subarray(start, i + 1).toString('latin1').replace(/\r?\n$/, '');
      start = i + 1;
      const item = record.dir === 'c2s' ? this.#command(line, record) : this.#reply(line, record);
      if (item) out.push(item);
    }
    // Inside TLS or a seal layer the rest of the buffer is not SMTP text: forget it.
    this.#pending[record.dir] = this.#inside() ? Buffer.alloc(0) : buf.subarray(start);
    return out;
  }

  /** Read through a method: the phase changes inside the loop, behind the compiler's back. */
  #inside(): boolean {
    return this.#phase === 'encrypted';
  }

  #command(line: string, record: TapRecord): SmtpItem | undefined {
    if (this.#phase === 'content') {
      if (line !== '.') {
        this.#contentBytes += line.length + 2;
        return undefined;
      }
      // RFC 5321 §4.1.1.4: the lone dot ends the content.
      this.#phase = 'command';
      const bytes = this.#contentBytes;
      this.#contentBytes = 0;
      return { kind: 'content', bytes, record };
    }
    if (this.#auth) return { kind: 'command', verb: this.#lastVerb, text: line, record, continuation: true };
    const { verb } = parseCommand(line);
    this.#lastVerb = verb;
    this.#auth = verb === 'AUTH';
    return { kind: 'command', verb, text: line, record };
  }

  #reply(line: string, record: TapRecord): SmtpItem | undefined {
    const parsed = parseReplyLine(line);
    if (!parsed) return undefined;
    const { code, final: last } = parsed;
    const item: SmtpItem = { kind: 'reply', code, text: line, record };
    if (!last) return item;
    if (code !== 334) this.#auth = false;
    if (this.#lastVerb === 'DATA' && code === 354) this.#phase = 'content';
    else if (this.#lastVerb === 'STARTTLS' && code === 220) return this.#encrypted(item, 'tls', record);
    else if (this.#lastVerb === 'AUTH' && code === 235 && this.#sealed) return this.#encrypted(item, 'sealed', record);
    return item;
  }

  #encrypted(item: SmtpItem, kind: 'tls' | 'sealed', record: TapRecord): SmtpItem {
    this.#phase = 'encrypted';
    this.#after = { kind, record };
    return item;
  }

  /** The milestone the last reply started (TLS or the seal layer), once. */
  takeMilestone(): SmtpItem | undefined {
    const m = this.#after;
    this.#after = undefined;
    return m;
  }
}

/** Every SMTP item of one connection at one point, milestones included, in record order. */
export function readSmtp(records: Iterable<TapRecord>, opts: { sealed?: boolean } = {}): SmtpItem[] {
  const reader = new SmtpReader(opts);
  const out: SmtpItem[] = [];
  for (const r of records) {
    for (const item of reader.push(r)) {
      out.push(item);
      const m = reader.takeMilestone();
      if (m) out.push(m);
    }
  }
  return out;
}
