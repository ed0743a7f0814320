/**
 * What a box in the middle knows of an SMTP session (RFC 5321), fed the command lines it lets
 * through and the reply lines it sees. It answers the questions inspecting stages ask: is the
 * client sending commands or message content? which command does this reply answer? did AUTH
 * succeed? did TLS start (after which nothing is readable)?
 *
 * Replies are matched to commands in order (RFC 2920 §3: a server answers pipelined commands in
 * the order it received them), starting with the greeting, which answers no command.
 */
import { argsOf, bodyOf, parseReplyLine, verbOf } from './lines.ts';
import type { ReplyLine } from './lines.ts';

/**
 * The phase of the client's byte stream:
 * - `command`   command lines (RFC 5321 §4.1);
 * - `data-wait` DATA was sent, its reply not yet seen: the next lines are content after a 354 and
 *               commands after an error, so a careful inspector holds them until it knows;
 * - `content`   message content up to the line `.` (RFC 5321 §4.1.1.4);
 * - `bdat`      a BDAT chunk of known size, raw (RFC 3030 §2);
 * - `auth`      an AUTH exchange: each line answers a 334 challenge (RFC 4954 §4);
 * - `tls`       after `220` to STARTTLS (RFC 3207 §4): ciphertext, nothing more to read.
 */
export type SmtpPhase = 'command' | 'data-wait' | 'content' | 'bdat' | 'auth' | 'tls';

/** An answer a stage gives the client itself instead of the server, with the note for its mark. */
export interface LocalAnswer {
  bytes: Buffer;
  note?: string;
}

/** A command waiting for its reply; `local` is an answer the stage gives itself, in turn. */
interface Pending {
  verb: string;
  local?: LocalAnswer;
}

export interface ReplyInfo extends ReplyLine {
  /** The command this reply answers (`GREETING` for the banner), if any is pending. */
  to: string | undefined;
}

/** The read-only face of the tracker that stage hooks see. */
export interface SmtpView {
  readonly phase: SmtpPhase;
  readonly authed: boolean;
  readonly inHeaders: boolean;
  readonly rcpts: number;
  readonly awaiting: string | undefined;
}

export class SmtpTracker implements SmtpView {
  phase: SmtpPhase = 'command';
  /** A `235` ended an AUTH exchange (RFC 4954 §6). */
  authed = false;
  /** In message content, before the empty line that ends the header section (RFC 5322 §2.1). */
  inHeaders = false;
  /** RCPT commands in the current mail transaction. */
  rcpts = 0;
  /** Bytes left in the current BDAT chunk. */
  bdatLeft = 0;
  #pending: Pending[] = [{ verb: 'GREETING' }];

  /** The command the next reply answers. */
  get awaiting(): string | undefined {
    return this.#pending[0]?.verb;
  }

  /** A line the server will receive in the `command` or `auth` phase. */
  command(line: Buffer): void {
    if (this.phase === 'auth') {
      this.#pending.push({ verb: 'AUTH' });
      return;
    }
    const verb = verbOf(line);
    this.#pending.push({ verb });
    switch (verb) {
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
      case 'DATA':
        this.phase = 'data-wait';
        break;
      case 'AUTH':
        this.phase = 'auth';
        break;
      case 'BDAT': {
        const size = /^(\d{1,12})(?:\s|$)/.exec(argsOf(line));
        if (size && Number(size[1]) > 0) {
          this.bdatLeft = Number(size[1]);
          this.phase = 'bdat';
        }
        break;
      }
      default:
        break;
    }
  }

  /** A command the stage answers itself: its reply is due when every earlier one has come. */
  answerLocally(verb: string, answer: LocalAnswer): void {
    this.#pending.push({ verb, local: answer });
  }

  /** A content line passed (after a 354). */
  contentLine(line: Buffer): void {
    if (this.inHeaders && bodyOf(line).length === 0) this.inHeaders = false;
  }

  /** The final `.` line passed: the server's next reply answers the message. */
  contentEnd(): void {
    this.phase = 'command';
    this.inHeaders = false;
    this.rcpts = 0;
    this.#pending.push({ verb: 'DATA-END' });
  }

  /** `n` raw BDAT bytes passed. */
  bdatBytes(n: number): void {
    this.bdatLeft = Math.max(0, this.bdatLeft - n);
    if (this.bdatLeft === 0) this.phase = 'command';
  }

  /** What a reply line means, before `reply()` commits it. */
  peekReply(line: Buffer): ReplyInfo | undefined {
    const parsed = parseReplyLine(line);
    return parsed ? { ...parsed, to: this.awaiting } : undefined;
  }

  /** A reply line the server sent; a final line consumes the pending command it answers. */
  reply(line: Buffer): ReplyInfo | undefined {
    const info = this.peekReply(line);
    if (!info || !info.final) return info;
    const head = this.#pending.shift();
    switch (head?.verb) {
      case 'DATA':
        // RFC 5321 §4.1.1.4: 354 invites the content; anything else ends the attempt.
        if (this.phase === 'data-wait') this.phase = info.code === 354 ? 'content' : 'command';
        this.inHeaders = info.code === 354;
        break;
      case 'AUTH':
        // RFC 4954 §4: 334 asks for another line; any other reply ends the exchange.
        if (info.code !== 334) {
          this.phase = 'command';
          if (info.code === 235) this.authed = true;
        }
        break;
      case 'STARTTLS':
        if (info.code === 220) this.phase = 'tls';
        break;
      default:
        break;
    }
    return info;
  }

  /** Answers the stage gave itself that are now due, in order. */
  takeDueAnswers(): LocalAnswer[] {
    const due: LocalAnswer[] = [];
    while (this.#pending[0]?.local) due.push(this.#pending.shift()!.local!);
    return due;
  }
}
