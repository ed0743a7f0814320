/**
 * The frame every SMTP-aware stage shares, after smtp-server's layering: line framing, then a
 * session tracker with the state, then small policy hooks. A stage supplies only the hooks; the
 * frame buffers each direction up to the line end (a reply up to its final line), hands complete
 * units to the hooks, applies their verdicts and records a StageMark for every change:
 *
 *   c2s bytes ─► framing ─┬─ command / AUTH line ─► hooks.command ─┐
 *                         ├─ content line ────────► hooks.content ─┼─► verdict ─► marks ─► out
 *                         └─ binary run ──────────► hooks.binary ──┘      │
 *   s2c bytes ─► framing ─┬─ complete reply ──────► hooks.reply ───┘      └─► tracker (forwarded
 *                         └─ binary run ──────────► hooks.binary            commands, replies)
 *
 * Because decisions are made on whole lines, the same session gives the same output bytes whether
 * it arrives in one segment or one byte per segment — unless the stage judges segments as Cisco's
 * ASA does (`wholeSegments`, below). After STARTTLS succeeds both directions pass untouched
 * (ciphertext). Lines the client sends between DATA and its reply are held until the reply says
 * whether they are content (354) or commands (anything else). A stage with no hook for the client's
 * bytes (a banner mask) forwards them as they came, segment by segment, and only tracks them: the
 * stage after it sees the client's segments, not lines it put back together.
 */
import type { Direction, StageMark } from '../../capture/tap.ts';
import type { PipelineOutput } from '../pipeline.ts';
import { endsData, endsWithCrlf, parseCommand } from '../../smtp/wire.ts';
import { CR, LF, isControlByte, sameBytes, splitLines } from './lines.ts';
import { SmtpTracker } from './smtp-track.ts';
import type { SmtpView } from './smtp-track.ts';
import { added, changed, deliver, dropped, logged } from './stage.ts';
import type { Stage } from './stage.ts';

/** What a hook decides about one unit; `undefined` lets it pass unchanged. */
export interface Verdict {
  /** Bytes to forward instead (any length); an empty buffer drops the unit. */
  bytes?: Buffer;
  /** Bytes added right after the unit, in the same chunk (command or reply injection). */
  append?: Buffer;
  /** A reply the stage sends the client itself (client units only), in turn with earlier replies. */
  answer?: Buffer;
  /** End the connection after this unit. */
  close?: { how: 'fin' | 'reset'; reason: string };
  /** Why, for the marks (shown beside the rewritten bytes). */
  note?: string;
  /** Pass the unit unchanged but record a `logged` mark with `note` (an ASA `match … log`). */
  log?: boolean;
}

export interface CommandUnit {
  bytes: Buffer;
  /** `command` in the command phase; `auth` for a line that answers a 334 (RFC 4954 §4). */
  kind: 'command' | 'auth';
  /** The verb, upper-cased (empty for AUTH response lines). */
  verb: string;
  /** False for the later pieces of a line longer than the stage buffers. */
  start: boolean;
  /** Ends with the line terminator. */
  complete: boolean;
}

export interface ContentUnit {
  bytes: Buffer;
  start: boolean;
  complete: boolean;
  /** In the header section (RFC 5322 §2.1), judged before this line. */
  header: boolean;
  /** The `.` line that ends the content (RFC 5321 §4.1.1.4). */
  last: boolean;
}

export interface ReplyUnit {
  /** Every line of the reply, terminators included. */
  lines: Buffer[];
  /** The reply code, undefined for a line that is not a reply. */
  code: number | undefined;
  /** The command it answers (`GREETING` for the banner). */
  to: string | undefined;
}

export interface SmtpHooks {
  command?(unit: CommandUnit, st: SmtpView): Verdict | undefined;
  content?(unit: ContentUnit, st: SmtpView): Verdict | undefined;
  reply?(unit: ReplyUnit, st: SmtpView): Verdict | undefined;
  /** Bytes that are not a text line (a control byte before the line end), up to the next LF. */
  binary?(dir: Direction, bytes: Buffer, st: SmtpView): Verdict | undefined;
}

export interface SmtpStageOptions {
  /**
   * Judge each segment of the command phase on its own, as Cisco's ASA does: "SMTP commands must
   * be at least four characters in length; must be terminated with carriage return and line feed"
   * in one packet (ASA configuration guide, "SMTP and Extended SMTP Inspection"); a telnet user's
   * lone `H` is replaced with an `X`, so "the server receives the final command as XXXX" (Cisco
   * tech note 113423, "ASA ESMTP/SMTP inspection troubleshooting"). Text of a command or AUTH line
   * that does not reach its line end within the segment it came in is overwritten with `X`s, CR
   * and LF kept, and so is the rest of that line in later segments; the tracker sees the line as
   * the server will. Binary runs, content and TLS are not affected.
   */
  wholeSegments?: boolean;
  /** Bytes of a command line buffered before it is judged in pieces (default 4096). */
  maxCommandLine?: number;
  /** The same for a content line (default 4096). */
  maxContentLine?: number;
  /** The same for a reply line (default 4096). */
  maxReplyLine?: number;
}

type Unit = { kind: 'line' | 'piece' | 'binary'; bytes: Buffer; endsLine: boolean };
type OutgoingDeliver = { type: 'deliver'; dir: Direction; parts: Buffer[]; marks: StageMark[] };

/** Framing state of one direction. */
class Framer {
  buf: Buffer = Buffer.alloc(0);
  /** Bytes already checked for control bytes (so a byte-per-segment feed stays linear). */
  scanned = 0;
  binary = false;
  /** The next byte continues a line already handed out in pieces. */
  mid = false;

  add(bytes: Buffer): void {
    this.buf = this.buf.length === 0 ? bytes : Buffer.concat([this.buf, bytes]);
  }

  take(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.scanned = 0;
    return out;
  }

  /** The next unit, or undefined to wait for more bytes. */
  next(limit: number, detectBinary: boolean): Unit | undefined {
    if (this.buf.length === 0) return undefined;
    const lf = this.buf.indexOf(LF);
    if (!this.binary && detectBinary) {
      const end = Math.min(lf >= 0 ? lf + 1 : this.buf.length, limit);
      for (let i = this.scanned; i < end; i++) if (isControlByte(this.buf[i])) this.binary = true;
      this.scanned = end;
    }
    if (this.binary) {
      if (lf >= 0) this.binary = false;
      const bytes = this.take(lf >= 0 ? lf + 1 : this.buf.length);
      this.mid = lf < 0;
      return { kind: 'binary', bytes, endsLine: lf >= 0 };
    }
    if (lf >= 0 && lf < limit) {
      this.mid = false;
      return { kind: 'line', bytes: this.take(lf + 1), endsLine: true };
    }
    if (this.buf.length >= limit) {
      this.mid = true;
      return { kind: 'piece', bytes: this.take(limit), endsLine: false };
    }
    return undefined;
  }
}

/**
 * One chunk from its parts. Lines of a chunk that passed unchanged lie end to end in the chunk's
 * own memory: they leave as one view of it, not a copy (docs/bench.md, "Where the time goes").
 */
export function join(parts: Buffer[]): Buffer {
  if (parts.length === 1) return parts[0];
  const first = parts[0];
  let end = first.byteOffset + first.length;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    if (p.buffer !== first.buffer || p.byteOffset !== end) return Buffer.concat(parts);
    end += p.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}

/** A line's text as `X`s, its CR and LF kept (Cisco's mask for what the inspection refuses). */
function xOut(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) if (out[i] !== CR && out[i] !== LF) out[i] = 0x58;
  return out;
}

const SPLIT_NOTE = 'command not whole in one segment: overwritten with Xs (the ASA judges each packet: a command must arrive in one, ending in CRLF)';

class SmtpStage implements Stage {
  readonly name: string;
  readonly #hooks: SmtpHooks;
  readonly #limits: Required<Omit<SmtpStageOptions, 'wholeSegments'>>;
  readonly #wholeSegments: boolean;
  /** No hook judges the client's bytes: they go on as they came, and are framed only to track. */
  readonly #c2sPassthrough: boolean;
  /** `wholeSegments`: the masked pieces of a command line begun in an earlier segment and not yet ended. */
  #split: Buffer[] | undefined;
  readonly #st = new SmtpTracker();
  readonly #c = new Framer();
  readonly #s = new Framer();
  #replyLines: Buffer[] = [];
  #commandVerb = '';
  #contentAfterCrlf = true;
  /** Outputs of the current push; a deliver collects its parts and is joined once, in #take. */
  #out: (OutgoingDeliver | Extract<PipelineOutput, { type: 'close' }>)[] = [];
  #closed = false;

  constructor(name: string, hooks: SmtpHooks, opts: SmtpStageOptions) {
    this.name = name;
    this.#hooks = hooks;
    const { wholeSegments = false, ...limits } = opts;
    this.#limits = { maxCommandLine: 4096, maxContentLine: 4096, maxReplyLine: 4096, ...limits };
    this.#wholeSegments = wholeSegments;
    this.#c2sPassthrough = !hooks.command && !hooks.content && !hooks.binary;
  }

  push(dir: Direction, bytes: Buffer): PipelineOutput[] {
    if (this.#closed) return [];
    if (dir === 'c2s') {
      if (this.#c2sPassthrough) this.#emit('c2s', bytes, undefined, true);
      if (this.#wholeSegments && (this.#split !== undefined || this.#judgingSegments(bytes))) {
        this.#segment(bytes);
        return this.#take();
      }
      this.#c.add(bytes);
    } else {
      this.#s.add(bytes);
      this.#drainServer();
    }
    // A reply may have released held client lines, or started TLS.
    this.#drainClient();
    return this.#take();
  }

  end(dir: Direction): PipelineOutput[] {
    if (this.#closed) return [];
    // A half-close: nothing more will complete the buffered partial line; pass it on as it is.
    if (dir === 'c2s') {
      this.#emit('c2s', this.#c.take(this.#c.buf.length));
    } else {
      this.#emit('s2c', Buffer.concat([...this.#replyLines, this.#s.take(this.#s.buf.length)]));
      this.#replyLines = [];
    }
    return this.#take();
  }

  /**
   * `wholeSegments` applies to a segment that starts a line: command phase, nothing buffered, and
   * not a sealed frame — after AUTH, control bytes are the NTLM layer's, judged by the AUTH rule.
   * Before it they are a typist's (a backspace) and are overwritten like the rest.
   */
  #judgingSegments(bytes: Buffer): boolean {
    const phase = this.#st.phase;
    if ((phase !== 'command' && phase !== 'auth') || this.#c.buf.length > 0 || this.#c.binary) return false;
    if (this.#st.authed) for (let i = 0; i < bytes.length; i++) if (isControlByte(bytes[i])) return false;
    return true;
  }

  /**
   * One client segment judged whole (`wholeSegments`): the end of a line begun in an earlier
   * segment is masked; the complete lines after it are framed and judged as usual; a partial line
   * at its end is masked and sent on at once, as the ASA forwards the packet it overwrote.
   */
  #segment(bytes: Buffer): void {
    let rest = bytes;
    if (this.#split) {
      const lf = rest.indexOf(LF);
      const piece = lf < 0 ? rest : rest.subarray(0, lf + 1);
      const masked = xOut(piece);
      this.#emit('c2s', masked, sameBytes(masked, piece) ? undefined : [changed(this.name, piece, SPLIT_NOTE)]);
      this.#split.push(masked);
      if (lf < 0) return;
      // The line has ended: the server reads it as one command of Xs and answers it.
      this.#st.command(Buffer.concat(this.#split));
      this.#split = undefined;
      this.#flushAnswers();
      rest = rest.subarray(lf + 1);
    }
    const end = rest.lastIndexOf(LF) + 1;
    const tail = rest.subarray(end);
    if (end > 0) {
      this.#c.add(rest.subarray(0, end));
      this.#drainClient();
    }
    if (tail.length === 0) return;
    // A partial line already past the line limit is the limit's to judge (`match cmd line length`).
    if (tail.length < this.#limits.maxCommandLine && this.#judgingSegments(tail)) {
      const masked = xOut(tail);
      this.#emit('c2s', masked, [changed(this.name, tail, SPLIT_NOTE)]);
      this.#split = [masked];
    } else {
      // The lines before it ended the command phase (DATA, STARTTLS): framed as usual.
      this.#c.add(tail);
      this.#drainClient();
    }
  }

  #take(): PipelineOutput[] {
    const out = this.#out.map((o): PipelineOutput => (o.type === 'close' ? o : deliver(o.dir, join(o.parts), o.marks)));
    this.#out = [];
    return out;
  }

  /**
   * Queue bytes for `dir`, merged into the previous deliver of the same direction (one chunk). With
   * no hook for the client's bytes they were sent on as they came (`raw`); framing them only tracks.
   */
  #emit(dir: Direction, bytes: Buffer, marks?: StageMark[], raw = false): void {
    if (this.#closed || (bytes.length === 0 && !marks?.length)) return;
    if (dir === 'c2s' && this.#c2sPassthrough && !raw) return;
    const last = this.#out.at(-1);
    if (last?.type === 'deliver' && last.dir === dir) {
      last.parts.push(bytes);
      if (marks) last.marks.push(...marks);
      return;
    }
    this.#out.push({ type: 'deliver', dir, parts: [bytes], marks: [...(marks ?? [])] });
  }

  /** Carry out a verdict on one unit; returns the bytes that went on. */
  #apply(dir: Direction, unit: Buffer, v: Verdict | undefined): Buffer {
    let forwarded = unit;
    if (v?.bytes && !sameBytes(v.bytes, unit)) {
      forwarded = v.bytes;
      const mark = forwarded.length === 0 ? dropped(this.name, unit, v.note) : changed(this.name, unit, v.note);
      this.#emit(dir, forwarded, [mark]);
    } else if (v?.log) {
      this.#emit(dir, unit, [logged(this.name, unit, v.note)]);
    } else {
      this.#emit(dir, unit);
    }
    if (v?.append && v.append.length > 0) this.#emit(dir, v.append, [added(this.name, v.note)]);
    if (v?.close) {
      this.#out.push({ type: 'close', how: v.close.how, reason: v.close.reason });
      this.#closed = true;
    }
    return forwarded;
  }

  #flushAnswers(): void {
    for (const a of this.#st.takeDueAnswers()) this.#emit('s2c', a.bytes, [added(this.name, a.note)]);
  }

  #drainClient(): void {
    const st = this.#st;
    while (!this.#closed && this.#c.buf.length > 0) {
      switch (st.phase) {
        case 'tls':
          this.#emit('c2s', this.#c.take(this.#c.buf.length));
          return;
        case 'data-wait':
          return; // held until the server answers DATA
        case 'bdat': {
          const chunk = this.#c.take(Math.min(st.bdatLeft, this.#c.buf.length));
          const v = this.#hooks.content?.({ bytes: chunk, start: false, complete: false, header: false, last: false }, st);
          this.#apply('c2s', chunk, v);
          st.bdatBytes(chunk.length);
          break;
        }
        case 'content':
          if (!this.#contentUnit()) return;
          break;
        case 'command':
        case 'auth':
          if (!this.#commandUnit()) return;
          break;
      }
    }
  }

  #commandUnit(): boolean {
    const st = this.#st;
    const start = !this.#c.mid;
    const unit = this.#c.next(this.#limits.maxCommandLine, true);
    if (!unit) return false;
    if (unit.kind === 'binary') {
      this.#apply('c2s', unit.bytes, this.#hooks.binary?.('c2s', unit.bytes, st));
      return true;
    }
    const kind = st.phase === 'auth' ? 'auth' : 'command';
    if (start) this.#commandVerb = kind === 'auth' ? '' : parseCommand(unit.bytes).verb;
    const v = this.#hooks.command?.(
      { bytes: unit.bytes, kind, verb: this.#commandVerb, start, complete: unit.kind === 'line' },
      st,
    );
    const forwarded = this.#apply('c2s', unit.bytes, v);
    if (start && forwarded.length > 0) st.command(forwarded);
    if (v?.answer) st.answerLocally(this.#commandVerb, { bytes: v.answer, note: v.note });
    if (v?.append) for (const line of splitLines(v.append).lines) if (st.phase === 'command') st.command(line);
    this.#flushAnswers();
    if (st.phase === 'data-wait' || st.phase === 'content') this.#contentAfterCrlf = true;
    return true;
  }

  #contentUnit(): boolean {
    const st = this.#st;
    const start = !this.#c.mid;
    const unit = this.#c.next(this.#limits.maxContentLine, false);
    if (!unit) return false;
    const last = start && endsData(unit.bytes, this.#contentAfterCrlf);
    const header = st.inHeaders;
    const v = this.#hooks.content?.({ bytes: unit.bytes, start, complete: unit.kind === 'line', header, last }, st);
    this.#apply('c2s', unit.bytes, v);
    this.#contentAfterCrlf = unit.endsLine && endsWithCrlf(unit.bytes);
    if (last) st.contentEnd();
    else if (start && unit.endsLine) st.contentLine(unit.bytes);
    return true;
  }

  #drainServer(): void {
    const st = this.#st;
    while (!this.#closed && this.#s.buf.length > 0) {
      if (st.phase === 'tls') {
        this.#emit('s2c', this.#s.take(this.#s.buf.length));
        return;
      }
      const unit = this.#s.next(this.#limits.maxReplyLine, true);
      if (!unit) return;
      const info = unit.kind === 'line' ? st.peekReply(unit.bytes) : undefined;
      if (!info) {
        // Not (part of) a reply: a binary run, an overlong line, or text without a code.
        this.#flushReplyLines();
        const v = unit.kind === 'binary'
          ? this.#hooks.binary?.('s2c', unit.bytes, st)
          : this.#hooks.reply?.({ lines: [unit.bytes], code: undefined, to: undefined }, st);
        this.#apply('s2c', unit.bytes, v);
        continue;
      }
      this.#replyLines.push(unit.bytes);
      if (!info.final) continue;
      const lines = this.#replyLines;
      this.#replyLines = [];
      const v = this.#hooks.reply?.({ lines, code: info.code, to: info.to }, st);
      this.#apply('s2c', Buffer.concat(lines), v);
      for (const line of lines) st.reply(line);
      this.#flushAnswers();
    }
  }

  /** A multi-line reply interrupted by something that is not a reply line: pass what came. */
  #flushReplyLines(): void {
    if (this.#replyLines.length === 0) return;
    this.#emit('s2c', Buffer.concat(this.#replyLines));
    for (const line of this.#replyLines) this.#st.reply(line);
    this.#replyLines = [];
  }
}

/** Build an SMTP-aware stage from its policy hooks. */
export function smtpStage(name: string, hooks: SmtpHooks, opts: SmtpStageOptions = {}): Stage {
  return new SmtpStage(name, hooks, opts);
}
