/**
 * What a box in the middle knows of an SMTP session, fed the command lines it lets through and the
 * reply lines it sees. The wire itself — phases, pipelined command/reply matching — is
 * app/smtp/wire.ts; the tracker adds what inspecting stages ask beyond it: how many recipients the
 * transaction has, whether content is still in its header section, and the answers a stage gives
 * the client itself, due in turn with the server's replies (RFC 2920 §3).
 */
import type { ClientLine, WirePhase } from '../../smtp/wire.ts';
import { SmtpWire } from '../../smtp/wire.ts';
import { bodyOf } from './lines.ts';

/** The phase of the client's byte stream (app/smtp/wire.ts). */
export type SmtpPhase = WirePhase;

/** An answer a stage gives the client itself instead of the server, with the note for its mark. */
export interface LocalAnswer {
  bytes: Buffer;
  note?: string;
}

/** The read-only face of the tracker that stage hooks see. */
export interface SmtpView {
  readonly phase: SmtpPhase;
  readonly authed: boolean;
  readonly inHeaders: boolean;
  readonly rcpts: number;
  readonly awaiting: string | undefined;
}

export class SmtpTracker extends SmtpWire<LocalAnswer> implements SmtpView {
  /** In message content, before the empty line that ends the header section (RFC 5322 §2.1). */
  inHeaders = false;
  /** RCPT commands in the current mail transaction. */
  rcpts = 0;

  /** A `235` ended an AUTH exchange (RFC 4954 §6). */
  get authed(): boolean {
    return this.authenticated;
  }

  override command(line: Buffer): ClientLine {
    const read = super.command(line);
    if (read.kind !== 'command') return read;
    switch (read.verb) {
      case 'MAIL':
      case 'RSET':
      case 'HELO':
      case 'EHLO':
        // Each of these starts a fresh transaction (RFC 5321 §4.1.4).
        this.rcpts = 0;
        break;
      case 'RCPT':
        this.rcpts++;
        break;
      default:
        break;
    }
    return read;
  }

  /** A content line passed (after a 354). */
  contentLine(line: Buffer): void {
    if (this.inHeaders && bodyOf(line).length === 0) this.inHeaders = false;
  }

  override contentEnd(): void {
    super.contentEnd();
    this.inHeaders = false;
    this.rcpts = 0;
  }

  override reply(line: Buffer): ReturnType<SmtpWire['reply']> {
    const info = super.reply(line);
    // The content after a 354 starts with its header section.
    if (info?.final && info.to === 'DATA') this.inHeaders = info.code === 354;
    return info;
  }
}
