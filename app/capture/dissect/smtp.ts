/**
 * SMTP (RFC 5321) over one connection, both directions, with the state an eavesdropper must keep
 * to read it right:
 *
 *   command ──DATA + 354──► data (until CRLF.CRLF, §4.1.1.4) ──► command      content → IMF
 *   command ──BDAT n──────► n bytes of content (RFC 3030)                     content → IMF
 *   command ──STARTTLS + 220──► TLS both ways (RFC 3207 §4)                   records → starttls.ts → tls.ts
 *   command ──AUTH + 334──► one response line per 334 (RFC 4954 §4)           blobs → ntlmssp.ts
 *   AUTH NTLM ──235 with SEAL negotiated──► sealed both ways (docs/ntlm.md)        frames → sasl.ts
 *
 * The grammar and the phases — reply and command lines, pipelined matching (RFC 2920 §3), DATA,
 * BDAT, AUTH, STARTTLS — are the shared wire (app/smtp/wire.ts); this file adds what a reader of a
 * capture needs on top: lines split across segments reassembled (lines.ts), multi-line replies as
 * one PDU (§4.2.1), and bytes that start a TLS record or a sealed frame where a line should start
 * switch the direction too, so a capture that missed the STARTTLS still reads. The TLS hand-over
 * is the one every line-based dissector shares (starttls.ts); the wire says when it happens.
 */
import type { Direction } from '../tap.ts';
import type { DetailNode, Dissector, Field, FieldDef, Pdu, SessionContext, StreamDissector } from './types.ts';
import { field, node } from './types.ts';
import type { Line } from './lines.ts';
import { LineAssembler } from './lines.ts';
import { ImfSession } from './imf.ts';
import { StartTlsHandover } from './starttls.ts';
import { SaslSession } from './sasl.ts';
import type { AuthState } from './smtp-auth.ts';
import { clientAuthResponse, serverChallenge } from './smtp-auth.ts';
import { negotiatesSeal } from './ntlmssp.ts';
import type { NtlmMessage } from '../../ntlm/messages.ts';
import { SmtpWire, endsData, endsWithCrlf, lineText, parseAuth, parseReplyLine, unstuff } from '../../smtp/wire.ts';

export const smtpFields: FieldDef[] = [
  { name: 'smtp.req', type: 'boolean', label: 'Request' },
  { name: 'smtp.rsp', type: 'boolean', label: 'Response' },
  { name: 'smtp.command_line', type: 'string', label: 'Command Line' },
  { name: 'smtp.req.command', type: 'string', label: 'Command' },
  { name: 'smtp.req.parameter', type: 'string', label: 'Request parameter' },
  { name: 'smtp.response', type: 'string', label: 'Response' },
  { name: 'smtp.response.code', type: 'number', label: 'Response code' },
  { name: 'smtp.rsp.parameter', type: 'string', label: 'Response parameter' },
  { name: 'smtp.auth.username', type: 'string', label: 'Username' },
  { name: 'smtp.auth.password', type: 'string', label: 'Password' },
  { name: 'smtp.data.fragment', type: 'number', label: 'DATA fragment length' },
  { name: 'smtp.eom', type: 'boolean', label: 'End of message' },
];

/** RFC 5321 §4.2.2/§4.2.3 reply meanings, for the detail tree. */
const REPLY_TEXT: Record<number, string> = {
  211: 'System status', 214: 'Help message', 220: 'Service ready', 221: 'Service closing transmission channel',
  235: 'Authentication succeeded', 250: 'Requested mail action okay, completed', 251: 'User not local; will forward',
  334: 'AUTH input', 354: 'Start mail input', 421: 'Service not available, closing transmission channel',
  450: 'Requested mail action not taken: mailbox unavailable', 451: 'Requested action aborted: local error in processing',
  452: 'Requested action not taken: insufficient system storage', 454: 'Temporary authentication failure',
  500: 'Syntax error, command unrecognized', 501: 'Syntax error in parameters or arguments', 502: 'Command not implemented',
  503: 'Bad sequence of commands', 504: 'Command parameter not implemented', 530: 'Authentication required',
  535: 'Authentication credentials invalid', 550: 'Requested action not taken: mailbox unavailable',
  552: 'Requested mail action aborted: exceeded storage allocation', 553: 'Requested action not taken: mailbox name not allowed',
  554: 'Transaction failed',
};

type ClientMode = 'command' | 'data' | 'bdat' | 'tls' | 'sealed';
type ServerMode = 'reply' | 'tls' | 'sealed';

const MAX_PENDING = 1000;
const short = (s: string, n = 100) => (s.length > n ? `${s.slice(0, n)}…` : s);

export class SmtpSession implements StreamDissector {
  readonly #ctx: SessionContext;
  readonly #lines: Record<Direction, LineAssembler> = { c2s: new LineAssembler(), s2c: new LineAssembler() };
  /** The session's phases and command/reply matching; made at the first bytes (see #wireFor). */
  #wire: SmtpWire | undefined;
  /** A direction NTLM-sealed after 235 (docs/ntlm.md), or whose bytes look like a sealed frame. */
  #sealed: Record<Direction, boolean> = { c2s: false, s2c: false };
  /** The last content line ended with CRLF, so a `.` line now ends the data (RFC 5321 §4.1.1.4). */
  #afterCrlf = true;
  #reply: { nodes: DetailNode[]; fields: Field[]; texts: string[]; start: number } | undefined;
  #auth: AuthState | undefined;
  #ntlmAuthenticated = false;
  #seal = false;
  #imf: ImfSession | undefined;
  #frag: { bytes: number; start: number; end: number } | undefined;
  readonly #starttls: StartTlsHandover;
  #sasl: SaslSession | undefined;

  constructor(ctx: SessionContext) {
    this.#ctx = ctx;
    this.#starttls = new StartTlsHandover(ctx, this.#inner);
  }

  #inner = (): StreamDissector => new SmtpSession({ ...this.#ctx, depth: this.#ctx.depth + 1 });

  #pdu(tree: DetailNode, info: string): Pdu {
    return { layer: 'smtp', protocol: 'SMTP', info, tree, depth: this.#ctx.depth };
  }

  /**
   * The wire, made when the first bytes come: a stream whose first bytes are the client's was
   * captured after the greeting, so no reply is owed to the banner.
   */
  #wireFor(dir: Direction): SmtpWire {
    this.#wire ??= new SmtpWire({ greeting: dir === 's2c', maxPending: MAX_PENDING });
    return this.#wire;
  }

  #mode(dir: Direction): ClientMode | ServerMode {
    if (this.#sealed[dir]) return 'sealed';
    if (this.#starttls.active(dir)) return 'tls';
    if (dir === 's2c') return 'reply';
    switch (this.#wireFor(dir).phase) {
      case 'tls':
        return 'tls';
      case 'content':
        return 'data';
      case 'bdat':
        return 'bdat';
      case 'command':
      case 'data-wait':
      case 'auth':
        return 'command';
    }
  }

  feed(dir: Direction, bytes: Buffer, offset: number): Pdu[] {
    const out: Pdu[] = [];
    const wire = this.#wireFor(dir);
    let pos = 0;
    while (pos < bytes.length) {
      const mode = this.#mode(dir);
      switch (mode) {
        case 'tls': {
          // A line of text in clear before the first record: shown as what it is, then TLS.
          const text = this.#starttls.plaintextBefore(dir, bytes, pos);
          if (text > 0) {
            out.push(...this.#plaintextAfterStarttls(dir, bytes.subarray(pos, pos + text), offset + pos));
            pos += text;
            continue;
          }
          out.push(...this.#starttls.feed(dir, bytes.subarray(pos), offset + pos));
          pos = bytes.length;
          continue;
        }
        case 'sealed':
          this.#sasl ??= new SaslSession(this.#ctx, this.#inner);
          out.push(...this.#sasl.feed(dir, bytes.subarray(pos), offset + pos));
          pos = bytes.length;
          continue;
        case 'bdat': {
          const take = Math.min(wire.bdatLeft, bytes.length - pos);
          this.#content(bytes.subarray(pos, pos + take), offset + pos);
          pos += take;
          if (wire.bdatBytes(take) && wire.bdatLast) out.push(...this.#endOfData());
          continue;
        }
        case 'command':
        case 'data':
        case 'reply':
          break;
        default: {
          const never: never = mode;
          return never;
        }
      }
      const lines = this.#lines[dir];
      if (lines.pending === 0 && mode !== 'data') {
        // A TLS record (RFC 8446 §5.1: type 22, version 3.x) or a sealed frame (its 4-byte
        // length starts with 0) where a text line should start: the protocol switched unseen.
        if (this.#starttls.sniff(dir, bytes, pos)) continue;
        if (bytes[pos] === 0x00 && this.#ntlmAuthenticated) {
          this.#sealed[dir] = true;
          continue;
        }
      }
      const line = lines.next(bytes, pos, offset);
      if (!line) break;
      pos = line.range.end - offset;
      out.push(...(dir === 'c2s' ? this.#clientLine(line) : this.#serverLine(line)));
    }
    if (dir === 'c2s') out.push(...this.#flushFragment());
    return out;
  }

  end(dir: Direction): Pdu[] {
    const out: Pdu[] = [];
    const rest = this.#lines[dir].flush();
    if (rest) {
      const text = lineText(rest.bytes);
      out.push(this.#pdu(node(`[Incomplete line: ${short(text)}]`, [], [], rest.range), `${dir === 'c2s' ? 'C' : 'S'}: ${short(text)} [incomplete]`));
    }
    const mode = this.#mode(dir);
    if (dir === 'c2s' && (mode === 'data' || mode === 'bdat')) out.push(...this.#endOfData());
    out.push(...this.#starttls.end(dir));
    if (this.#sasl) out.push(...this.#sasl.end(dir));
    return out;
  }

  #content(bytes: Buffer, offset: number): void {
    this.#imf ??= new ImfSession({ ...this.#ctx, depth: this.#ctx.depth + 1 });
    this.#imf.feed('c2s', bytes, offset);
    if (!this.#frag) this.#frag = { bytes: 0, start: offset, end: offset };
    this.#frag.bytes += bytes.length;
    this.#frag.end = offset + bytes.length;
  }

  #flushFragment(): Pdu[] {
    const f = this.#frag;
    if (!f) return [];
    this.#frag = undefined;
    const range = { start: f.start, end: f.end };
    return [this.#pdu(node('Simple Mail Transfer Protocol', [], [node(`DATA fragment, ${f.bytes} bytes`, [field('smtp.data.fragment', f.bytes)], [], range)], range), `C: DATA fragment, ${f.bytes} bytes`)];
  }

  #endOfData(): Pdu[] {
    const out = this.#flushFragment();
    if (this.#imf) out.push(...this.#imf.end('c2s'));
    this.#imf = undefined;
    return out;
  }

  #clientLine(line: Line): Pdu[] {
    const wire = this.#wireFor('c2s');
    if (wire.phase === 'content') {
      // RFC 5321 §4.1.1.4: the line "." after a CRLF ends the data; §4.5.2: a leading dot of a
      // content line was doubled by the sender and is removed here.
      const afterCrlf = this.#afterCrlf;
      this.#afterCrlf = line.complete && endsWithCrlf(line.bytes);
      if (line.complete && endsData(line.bytes, afterCrlf)) {
        wire.contentEnd();
        this.#afterCrlf = true;
        const out = this.#endOfData();
        out.push(this.#pdu(node('Simple Mail Transfer Protocol', [field('smtp.eom', true)], [node('End of message: .')], line.range), 'C: .'));
        return out;
      }
      const content = line.complete ? unstuff(line.bytes) : line.bytes;
      const dot = line.bytes.length - content.length;
      this.#content(content, line.range.start + dot);
      return [];
    }
    const text = lineText(line.bytes);
    const read = wire.command(line.bytes);
    if (read.kind === 'auth-response') {
      // The wire is in its AUTH phase only after an AUTH command, which set #auth.
      const auth = (this.#auth ??= { mech: '', step: 0 });
      const r = clientAuthResponse(auth, text, this.#ctx.depth, line.range);
      if (r.ntlm) this.#notice(r.ntlm);
      const tree = node('Simple Mail Transfer Protocol', [field('smtp.req', true)], [node(`AUTH response: ${short(text, 60)}`, [], r.nodes, line.range)], line.range);
      return [this.#pdu(tree, `C: ${r.note ?? short(text)}`), ...r.pdus];
    }
    const verb = read.word;
    const param = read.args;
    const fields: Field[] = [field('smtp.req', true), field('smtp.command_line', text), field('smtp.req.command', verb)];
    const children = [node(`Command: ${verb}`)];
    if (param !== '') {
      fields.push(field('smtp.req.parameter', param));
      children.push(node(`Request parameter: ${short(param, 200)}`));
    }
    const extra: Pdu[] = [];
    // RFC 3030 §2: `BDAT 0 LAST` ends the message with no octets.
    if (read.bdat?.size === 0 && read.bdat.last) extra.push(...this.#endOfData());
    if (read.verb === 'AUTH') {
      const { mechanism, initial } = parseAuth(param);
      this.#auth = { mech: mechanism, step: 0 };
      if (initial !== undefined) {
        const r = clientAuthResponse(this.#auth, initial, this.#ctx.depth, line.range);
        if (r.ntlm) this.#notice(r.ntlm);
        children.push(...r.nodes);
        // The columns show the innermost layer (the NTLM message); its Info keeps the command it
        // rode on, as Wireshark appends a carried message to its carrier's (`AUTH NTLM, NTLMSSP_NEGOTIATE`).
        extra.push(...r.pdus.map((pdu) => ({ ...pdu, info: `C: AUTH ${mechanism}, ${pdu.info}` })));
      }
    }
    const tree = node('Simple Mail Transfer Protocol', [], [node(`Command Line: ${short(text, 200)}`, fields, children, line.range)], line.range);
    return [this.#pdu(tree, `C: ${short(text)}`), ...extra];
  }

  /**
   * A clear-text line between the positive reply to STARTTLS and the first TLS record: nothing may
   * stand there (RFC 3207 §4), so it is a middlebox's or an attacker's (CVE-2011-0411). Shown as an
   * SMTP line and flagged; a receiver must discard it.
   */
  #plaintextAfterStarttls(dir: Direction, bytes: Buffer, offset: number): Pdu[] {
    const text = lineText(bytes);
    const range = { start: offset, end: offset + bytes.length };
    const warning = 'clear text after the reply to STARTTLS, before TLS started (RFC 3207 §4: nothing may follow; discarded by a careful peer)';
    const tree = node('Simple Mail Transfer Protocol', [field(dir === 'c2s' ? 'smtp.req' : 'smtp.rsp', true), field(dir === 'c2s' ? 'smtp.command_line' : 'smtp.response', text)],
      [node(`[${warning}]`, [field('_ws.expert', warning)], [], range), node(`${dir === 'c2s' ? 'Command' : 'Response'} Line: ${short(text, 200)}`, [], [], range)], range);
    return [this.#pdu(tree, `${dir === 'c2s' ? 'C' : 'S'}: ${short(text)} [clear text after STARTTLS]`)];
  }

  /** NTLM facts the session needs: whether SEAL was agreed (the AUTHENTICATE's flags rule). */
  #notice(m: NtlmMessage): void {
    if (m.type === 2 || m.type === 3) this.#seal = negotiatesSeal(m);
  }

  #serverLine(line: Line): Pdu[] {
    const text = lineText(line.bytes);
    const parsed = parseReplyLine(text);
    if (!parsed) {
      const out = this.#reply ? this.#finishReply(0, '') : [];
      const tree = node('Simple Mail Transfer Protocol', [field('smtp.rsp', true), field('smtp.response', text)], [node(`[Malformed reply: ${short(text)}]`, [field('_ws.malformed', 'not a reply line')], [], line.range)], line.range);
      return [...out, this.#pdu(tree, `S: ${short(text)}`)];
    }
    const { code, text: rest } = parsed;
    this.#reply ??= { nodes: [], fields: [field('smtp.rsp', true)], texts: [], start: line.range.start };
    const lineFields = [field('smtp.response', text), field('smtp.response.code', code), field('smtp.rsp.parameter', rest)];
    this.#reply.fields.push(...lineFields);
    this.#reply.texts.push(text);
    this.#reply.nodes.push(node(`Response: ${short(text, 200)}`, [], [node(`Response code: ${REPLY_TEXT[code] ?? 'Unknown'} (${code})`), node(`Response parameter: ${short(rest, 200)}`)], line.range));
    if (!parsed.final) return [];
    return this.#finishReply(code, rest, line.range.end);
  }

  /** The reply ends (code 0 when a line that is not a reply cut it short). */
  #finishReply(code: number, rest: string, end?: number): Pdu[] {
    const r = this.#reply;
    if (!r) return [];
    this.#reply = undefined;
    const range = { start: r.start, end: end ?? r.start };
    const out: Pdu[] = [this.#pdu(node('Simple Mail Transfer Protocol', r.fields, r.nodes, range), `S: ${short(r.texts.join(' | '), 160)}`)];
    switch (this.#wireFor('s2c').replyEnded(code)) {
      case 'DATA':
        this.#afterCrlf = true;
        break;
      case 'STARTTLS':
        // RFC 3207 §4: after 220 both sides start TLS at once; bytes that follow are records.
        // The wire's pairing of replies with pipelined commands (RFC 2920 §3) found this one.
        if (code === 220) this.#starttls.start();
        break;
      case 'AUTH': {
        const auth = this.#auth;
        if (!auth) break;
        if (code === 334) {
          const c = serverChallenge(auth, rest, this.#ctx.depth, range);
          if (c.ntlm) this.#notice(c.ntlm);
          out[0].tree.children.push(...c.nodes);
          out.push(...c.pdus);
        } else {
          if (code === 235 && auth.mech === 'NTLM') {
            this.#ntlmAuthenticated = true;
            const keyFlags = this.#ctx.keys?.()?.ntlm?.negotiateFlags;
            // docs/ntlm.md, "The sealed session after 235": sealing follows 235 only when SEAL was negotiated.
            if (this.#seal || (keyFlags !== undefined && (keyFlags & 0x20) !== 0)) {
              this.#sealed.c2s = true;
              this.#sealed.s2c = true;
            }
          }
          this.#auth = undefined;
        }
        break;
      }
      default:
        break;
    }
    return out;
  }
}

export const smtpDissector: Dissector = {
  name: 'smtp',
  title: 'Simple Mail Transfer Protocol',
  fields: smtpFields,
  // Relay, submission (RFC 6409) and the common alternate port; submissions over TLS (RFC 8314 §3.3).
  ports: { plain: [25, 587, 2525], implicitTls: [465] },
  open: (ctx) => new SmtpSession(ctx),
};
