/**
 * The SMTP wire, sans-IO: the grammar of reply and command lines and the phases a session's byte
 * stream goes through. One module under the three readers of SMTP, each keeping its own policy on
 * top (docs/architecture.md, "The SMTP wire"):
 *
 *   app/mta/outbound/     the client: ReplyParser (bytes → replies), replyText, ehloExtensions, dotStuff
 *   app/path/stages/      the middlebox tracker: SmtpWire fed forwarded lines, plus its local answers
 *   app/capture/dissect/  the dissector: SmtpWire fed both directions in packet order
 *
 *   command ──DATA──► data-wait ──354──► content (until CRLF.CRLF, RFC 5321 §4.1.1.4) ──► command
 *                              └─other─► command
 *   command ──BDAT n──► bdat (n raw octets, RFC 3030 §2) ──► command
 *   command ──AUTH──► auth (one line per 334, RFC 4954 §4) ──not 334──► command
 *   command ──STARTTLS + 220──► tls (RFC 3207 §4: nothing more to read)
 *
 * Replies answer commands in the order they were sent (RFC 2920 §3), the greeting first (it answers
 * no command). Lines are text in latin1 (one char per byte): SMTP is ASCII (RFC 5321 §2.4), and a
 * garbled line must not turn into UTF-8 replacement noise. Nothing here throws on hostile input.
 */

// ---------------------------------------------------------------------------------------------
// Lines (RFC 5321 §2.3.8: CRLF ends a line; a bare LF is taken as one too, as servers do)

/** A line as text, without its CRLF or LF. */
export function lineText(line: string | Buffer): string {
  const s = typeof line === 'string' ? line : line.toString('latin1');
  if (s.endsWith('\r\n')) return s.slice(0, -2);
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

// ---------------------------------------------------------------------------------------------
// Replies (RFC 5321 §4.2)
//
//   Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF

export interface ReplyLine {
  code: number;
  /** A `-` after the code continues the reply; a space or nothing ends it (RFC 5321 §4.2.1). */
  final: boolean;
  /** The text after the code and separator. */
  text: string;
}

/**
 * One reply line, or undefined when it is not one. Three digits first (RFC 5321 §4.2; any digits:
 * §4.2 tells a client to act on the first digit of a code it does not know), then `-`, a space or
 * the end of the line.
 */
export function parseReplyLine(line: string | Buffer): ReplyLine | undefined {
  const m = /^(\d{3})(?:([ -])(.*))?$/s.exec(lineText(line));
  if (!m) return undefined;
  return { code: Number(m[1]), final: m[2] !== '-', text: m[3] ?? '' };
}

/**
 * The enhanced status code a reply text starts with (RFC 3463 §2: class "." subject "." detail,
 * class 2, 4 or 5, subject and detail 1–3 digits; RFC 2034 §4 puts it first in the text).
 */
export function enhancedStatus(text: string): string | undefined {
  return /^([245]\.\d{1,3}\.\d{1,3})(?:[ \t]|$)/.exec(text)?.[1];
}

export interface Reply {
  code: number;
  /** The text of each line without the code and separator. */
  lines: string[];
  /** RFC 3463 enhanced status code of the first line, when present. */
  status?: string;
  /** The reply exactly as received, lines joined with CRLF (for transcripts). */
  raw: string;
}

/**
 * Groups reply lines into replies. Each line is checked (RFC 5321 §4.2.1: the lines of one reply
 * share its code); the caller decides whether a mismatch is fatal (the client) or shown (a reader).
 */
export class ReplyAssembler {
  #lines: string[] = [];
  #raw: string[] = [];
  #code = 0;

  /** Lines taken so far of a reply not yet ended. */
  get pending(): number {
    return this.#lines.length;
  }

  /** Take one line (with or without its terminator). */
  push(line: string | Buffer): { reply?: Reply; error?: string } {
    const text = lineText(line);
    const parsed = parseReplyLine(text);
    if (!parsed) return { error: `malformed reply line: ${JSON.stringify(text.slice(0, 80))}` };
    if (this.#lines.length > 0 && parsed.code !== this.#code) {
      return { error: `reply code changed inside a multi-line reply: ${this.#code} then ${parsed.code}` };
    }
    this.#code = parsed.code;
    this.#lines.push(parsed.text);
    this.#raw.push(text);
    if (!parsed.final) return {};
    const reply: Reply = { code: parsed.code, lines: this.#lines, status: enhancedStatus(this.#lines[0]), raw: this.#raw.join('\r\n') };
    this.reset();
    return { reply };
  }

  reset(): void {
    this.#lines = [];
    this.#raw = [];
  }
}

/** Longest reply line we accept (RFC 5321 §4.5.3.1.5 says 512; servers go beyond, so be lenient). */
export const MAX_REPLY_LINE = 8192;

/**
 * Reply framing from raw bytes in any chunking: `250-first` … `250 last`. A line that is not a
 * reply line (garbage from a broken middlebox) is a protocol error, not a guess.
 */
export class ReplyParser {
  #buffer = '';
  readonly #replies = new ReplyAssembler();

  push(bytes: Buffer): { replies: Reply[]; error?: string } {
    this.#buffer += bytes.toString('latin1');
    const replies: Reply[] = [];
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, nl + 1);
      this.#buffer = this.#buffer.slice(nl + 1);
      const step = this.#replies.push(line);
      if (step.error) return { replies, error: step.error };
      if (step.reply) replies.push(step.reply);
    }
    if (this.#buffer.length > MAX_REPLY_LINE) return { replies, error: 'reply line too long' };
    return { replies };
  }

  /** Bytes received but not yet part of a complete reply (a partial line). */
  get partial(): string {
    return this.#buffer;
  }

  /** Forget buffered bytes: after STARTTLS nothing received in cleartext may carry over (RFC 3207 §4.2). */
  reset(): void {
    this.#buffer = '';
    this.#replies.reset();
  }
}

/** The text of a reply as one line, the way a log or bounce quotes it: `535 5.7.8 Authentication credentials invalid`. */
export function replyText(reply: Reply): string {
  return `${reply.code} ${reply.lines.join(' ')}`.trim();
}

/** EHLO keywords (RFC 5321 §4.1.1.1): upper-cased keyword → its parameters. */
export function ehloExtensions(reply: Reply): Map<string, string> {
  const ext = new Map<string, string>();
  for (const line of reply.lines.slice(1)) {
    const [keyword, ...params] = line.trim().split(/\s+/);
    if (keyword) ext.set(keyword.toUpperCase(), params.join(' '));
  }
  return ext;
}

// ---------------------------------------------------------------------------------------------
// Commands (RFC 5321 §4.1: verb, then SP and arguments; verbs are case-insensitive, §2.4)

export interface CommandLine {
  /** The verb, upper-cased. */
  verb: string;
  /** The verb as the client wrote it. */
  word: string;
  /** The text after the verb and one separator. */
  args: string;
}

export function parseCommand(line: string | Buffer): CommandLine {
  const text = lineText(line);
  const m = /^([^ \t]*)(?:[ \t](.*))?$/s.exec(text)!;
  return { verb: m[1].toUpperCase(), word: m[1], args: m[2] ?? '' };
}

/** BDAT's arguments (RFC 3030 §2: `BDAT SP chunk-size [ SP "LAST" ]`), or undefined when malformed. */
export function parseBdat(args: string): { size: number; last: boolean } | undefined {
  const m = /^(\d{1,15})(?:[ \t]+(LAST))?[ \t]*$/i.exec(args);
  return m ? { size: Number(m[1]), last: m[2] !== undefined } : undefined;
}

/** AUTH's arguments (RFC 4954 §4: `AUTH SP mechanism [ SP initial-response ]`). */
export function parseAuth(args: string): { mechanism: string; initial?: string } {
  const [mechanism = '', ...initial] = args.split(' ');
  return initial.length > 0 ? { mechanism: mechanism.toUpperCase(), initial: initial.join(' ') } : { mechanism: mechanism.toUpperCase() };
}

// ---------------------------------------------------------------------------------------------
// Message content after DATA (RFC 5321 §4.1.1.4, §4.5.2)

const DOT_LINE = Buffer.from('.\r\n', 'latin1');

/**
 * Does this content line end the data? Only `.` CRLF right after a CRLF does (the end is
 * CRLF.CRLF, §4.1.1.4; a bare LF before or after the dot does not end it, as in smtp-server).
 */
export function endsData(line: Buffer, afterCrlf: boolean): boolean {
  return afterCrlf && line.equals(DOT_LINE);
}

/** Does this line end with CRLF (so that a following `.` CRLF ends the data)? */
export function endsWithCrlf(line: Buffer): boolean {
  return line.length >= 2 && line[line.length - 2] === 0x0d && line[line.length - 1] === 0x0a;
}

/** A content line as the message has it: a leading dot was doubled by the sender (§4.5.2). */
export function unstuff(line: Buffer): Buffer {
  return line[0] === 0x2e ? line.subarray(1) : line;
}

/** Normalise line endings to CRLF, dot-stuff (§4.5.2) and terminate with CRLF.CRLF. */
export function dotStuff(message: Buffer): Buffer {
  const text = message.toString('latin1').replace(/\r?\n/g, '\r\n');
  const body = text.endsWith('\r\n') ? text : `${text}\r\n`;
  const stuffed = body.replace(/^\./gm, '..');
  return Buffer.from(`${stuffed}.\r\n`, 'latin1');
}

// ---------------------------------------------------------------------------------------------
// The session's phases and pipelined command/reply matching

/**
 * The phase of the client's byte stream:
 * - `command`   command lines (RFC 5321 §4.1);
 * - `data-wait` DATA was sent, its reply not yet seen: the next lines are content after a 354 and
 *               commands after an error (RFC 2920 §3.1 ends a pipelined group at DATA);
 * - `content`   message content up to the line `.` (RFC 5321 §4.1.1.4);
 * - `bdat`      a BDAT chunk of known size, raw (RFC 3030 §2);
 * - `auth`      an AUTH exchange: each line answers a 334 challenge (RFC 4954 §4);
 * - `tls`       after `220` to STARTTLS (RFC 3207 §4): ciphertext, nothing more to read.
 */
export type WirePhase = 'command' | 'data-wait' | 'content' | 'bdat' | 'auth' | 'tls';

/** What one client line was, as `SmtpWire.command` read it. */
export type ClientLine =
  | ({ kind: 'command'; bdat?: { size: number; last: boolean } } & CommandLine)
  /** A line of an AUTH exchange (RFC 4954 §4): a response to a 334, or `*` to cancel. */
  | { kind: 'auth-response'; text: string };

/** A reply line read against the session: which command it answers (`GREETING` for the banner). */
export interface AnsweredLine extends ReplyLine {
  to: string | undefined;
}

/** Verbs the wire queues besides the client's own: the banner and the message's end. */
export const GREETING = 'GREETING';
export const DATA_END = 'DATA-END';

interface Pending<L> {
  verb: string;
  /** A reply a middlebox gives the client itself, due in turn. */
  local?: L;
}

/**
 * What both ends of one SMTP session have said, as far as the phase of the client's stream and
 * the matching of replies to commands go. Fed the client's lines (commands, AUTH responses, the
 * end of content, BDAT octets) and the server's reply lines; `L` is what a middlebox queues as its
 * own answer to a command it keeps from the server.
 */
export class SmtpWire<L = never> {
  phase: WirePhase = 'command';
  /** A `235` ended an AUTH exchange (RFC 4954 §6). */
  authenticated = false;
  /** Octets left in the current BDAT chunk, and whether it is the last (RFC 3030 §2). */
  bdatLeft = 0;
  bdatLast = false;
  #pending: Pending<L>[];
  readonly #maxPending: number;

  /**
   * `greeting: false` for a stream read from its middle (the banner already went by);
   * `maxPending` bounds the commands remembered while no reply comes (a flood must not grow it).
   */
  constructor(opts: { greeting?: boolean; maxPending?: number } = {}) {
    this.#pending = opts.greeting === false ? [] : [{ verb: GREETING }];
    this.#maxPending = opts.maxPending ?? Infinity;
  }

  /** The command the next reply answers. */
  get awaiting(): string | undefined {
    return this.#pending[0]?.verb;
  }

  #expect(entry: Pending<L>): void {
    if (this.#pending.length < this.#maxPending) this.#pending.push(entry);
  }

  /** A line the server will receive in the `command`, `data-wait` or `auth` phase. */
  command(line: string | Buffer): ClientLine {
    if (this.phase === 'auth') {
      this.#expect({ verb: 'AUTH' });
      return { kind: 'auth-response', text: lineText(line) };
    }
    const cmd = parseCommand(line);
    this.#expect({ verb: cmd.verb });
    switch (cmd.verb) {
      case 'DATA':
        this.phase = 'data-wait';
        return { kind: 'command', ...cmd };
      case 'AUTH':
        this.phase = 'auth';
        return { kind: 'command', ...cmd };
      case 'BDAT': {
        const bdat = parseBdat(cmd.args);
        if (bdat && bdat.size > 0) {
          this.bdatLeft = bdat.size;
          this.bdatLast = bdat.last;
          this.phase = 'bdat';
        }
        return bdat ? { kind: 'command', ...cmd, bdat } : { kind: 'command', ...cmd };
      }
      default:
        return { kind: 'command', ...cmd };
    }
  }

  /** A command answered by someone other than the server (a middlebox): its answer is due in turn. */
  answerLocally(verb: string, local: L): void {
    this.#expect({ verb, local });
  }

  /** Local answers now due (every earlier reply has come), in order. */
  takeDueAnswers(): L[] {
    const due: L[] = [];
    while (this.#pending[0]?.local !== undefined) due.push(this.#pending.shift()!.local!);
    return due;
  }

  /** The final `.` line passed: the server's next reply answers the message. */
  contentEnd(): void {
    this.phase = 'command';
    this.#expect({ verb: DATA_END });
  }

  /** `n` octets of the current BDAT chunk passed; true when the chunk is complete. */
  bdatBytes(n: number): boolean {
    this.bdatLeft = Math.max(0, this.bdatLeft - n);
    if (this.bdatLeft > 0) return false;
    this.phase = 'command';
    return true;
  }

  /** What a reply line means, before `reply()` commits it. */
  peekReply(line: string | Buffer): AnsweredLine | undefined {
    const parsed = parseReplyLine(line);
    return parsed ? { ...parsed, to: this.awaiting } : undefined;
  }

  /** A reply line the server sent; a final line consumes the command it answers and moves the phase. */
  reply(line: string | Buffer): AnsweredLine | undefined {
    const info = this.peekReply(line);
    if (info?.final) this.replyEnded(info.code);
    return info;
  }

  /**
   * A reply with `code` ended (for a reader that framed it itself; 0 when something that is not a
   * reply cut it short): it answers the oldest command, returned, and moves the phase.
   */
  replyEnded(code: number): string | undefined {
    const to = this.#pending.shift()?.verb;
    switch (to) {
      case 'DATA':
        // §4.1.1.4: 354 invites the content; anything else ends the attempt.
        if (this.phase === 'data-wait') this.phase = code === 354 ? 'content' : 'command';
        break;
      case 'AUTH':
        // RFC 4954 §4: 334 asks for another line; any other reply ends the exchange.
        if (code !== 334 && this.phase === 'auth') this.phase = 'command';
        if (code === 235) this.authenticated = true;
        break;
      case 'STARTTLS':
        if (code === 220) this.phase = 'tls';
        break;
      default:
        break;
    }
    return to;
  }
}
