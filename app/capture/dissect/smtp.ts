/**
 * SMTP (RFC 5321) over one connection, both directions, with the state an eavesdropper must keep
 * to read it right:
 *
 *   command ──DATA + 354──► data (until CRLF.CRLF, §4.1.1.4) ──► command      content → IMF
 *   command ──BDAT n──────► n bytes of content (RFC 3030)                     content → IMF
 *   command ──STARTTLS + 220──► TLS both ways (RFC 3207 §4)                   records → tls.ts
 *   command ──AUTH + 334──► one response line per 334 (RFC 4954 §4)           blobs → ntlmssp.ts
 *   AUTH NTLM ──235 with SEAL negotiated──► sealed both ways (SPEC §4)        frames → sasl.ts
 *
 * Replies are matched to commands in order, so pipelined commands (RFC 2920) switch state at the
 * right reply. Lines split across segments are reassembled (lines.ts); multi-line replies are one
 * PDU (§4.2.1). Bytes that start a TLS record or a sealed frame where a line should start switch
 * the direction too, so a capture that missed the STARTTLS still reads.
 */
import type { Direction } from '../tap.ts';
import type { DetailNode, Dissector, Field, FieldDef, Pdu, SessionContext, StreamDissector } from './types.ts';
import { field, node } from './types.ts';
import type { Line } from './lines.ts';
import { LineAssembler, lineText } from './lines.ts';
import { ImfSession } from './imf.ts';
import { TlsSession } from './tls.ts';
import { SaslSession } from './sasl.ts';
import type { AuthState } from './smtp-auth.ts';
import { clientAuthResponse, serverChallenge } from './smtp-auth.ts';
import { negotiatesSeal } from './ntlmssp.ts';
import type { NtlmMessage } from '../../ntlm/messages.ts';

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
  #client: ClientMode = 'command';
  #server: ServerMode = 'reply';
  /** Commands awaiting their reply, oldest first (RFC 2920 keeps replies in order). */
  #pending: string[] = [];
  #reply: { nodes: DetailNode[]; fields: Field[]; texts: string[]; start: number } | undefined;
  #auth: AuthState | undefined;
  #ntlmAuthenticated = false;
  #seal = false;
  #bdat = { left: 0, last: false };
  #imf: ImfSession | undefined;
  #frag: { bytes: number; start: number; end: number } | undefined;
  #tls: TlsSession | undefined;
  #sasl: SaslSession | undefined;

  constructor(ctx: SessionContext) {
    this.#ctx = ctx;
  }

  #inner = (): StreamDissector => new SmtpSession({ ...this.#ctx, depth: this.#ctx.depth + 1 });

  #pdu(tree: DetailNode, info: string): Pdu {
    return { layer: 'smtp', protocol: 'SMTP', info, tree, depth: this.#ctx.depth };
  }

  feed(dir: Direction, bytes: Buffer, offset: number): Pdu[] {
    const out: Pdu[] = [];
    let pos = 0;
    while (pos < bytes.length) {
      const mode: ClientMode | ServerMode = dir === 'c2s' ? this.#client : this.#server;
      switch (mode) {
        case 'tls':
          this.#tls ??= new TlsSession(this.#ctx, this.#inner);
          out.push(...this.#tls.feed(dir, bytes.subarray(pos), offset + pos));
          pos = bytes.length;
          continue;
        case 'sealed':
          this.#sasl ??= new SaslSession(this.#ctx, this.#inner);
          out.push(...this.#sasl.feed(dir, bytes.subarray(pos), offset + pos));
          pos = bytes.length;
          continue;
        case 'bdat': {
          const take = Math.min(this.#bdat.left, bytes.length - pos);
          this.#content(bytes.subarray(pos, pos + take), offset + pos);
          this.#bdat.left -= take;
          pos += take;
          if (this.#bdat.left === 0) {
            this.#client = 'command';
            if (this.#bdat.last) out.push(...this.#endOfData());
          }
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
        if (bytes[pos] === 0x16 && (pos + 1 >= bytes.length || bytes[pos + 1] === 0x03)) {
          this.#setMode(dir, 'tls');
          continue;
        }
        if (bytes[pos] === 0x00 && this.#ntlmAuthenticated) {
          this.#setMode(dir, 'sealed');
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
    if (dir === 'c2s' && (this.#client === 'data' || this.#client === 'bdat')) out.push(...this.#endOfData());
    if (this.#tls) out.push(...this.#tls.end(dir));
    if (this.#sasl) out.push(...this.#sasl.end(dir));
    return out;
  }

  #setMode(dir: Direction, mode: 'tls' | 'sealed'): void {
    if (dir === 'c2s') this.#client = mode;
    else this.#server = mode;
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
    this.#client = 'command';
    if (this.#imf) out.push(...this.#imf.end('c2s'));
    this.#imf = undefined;
    return out;
  }

  #clientLine(line: Line): Pdu[] {
    const text = lineText(line.bytes);
    if (this.#client === 'data') {
      // RFC 5321 §4.1.1.4: a line holding only "." ends the data; §4.5.2: a leading dot of a
      // content line was doubled by the sender and is removed here.
      if (text === '.' && line.complete) {
        const out = this.#endOfData();
        out.push(this.#pdu(node('Simple Mail Transfer Protocol', [field('smtp.eom', true)], [node('End of message: .')], line.range), 'C: .'));
        return out;
      }
      const dot = line.complete && line.bytes[0] === 0x2e ? 1 : 0;
      this.#content(line.bytes.subarray(dot), line.range.start + dot);
      return [];
    }
    if (this.#auth?.awaiting) {
      this.#auth.awaiting = false;
      this.#expect('AUTH');
      const r = clientAuthResponse(this.#auth, text, this.#ctx.depth, line.range);
      if (r.ntlm) this.#notice(r.ntlm);
      const tree = node('Simple Mail Transfer Protocol', [field('smtp.req', true)], [node(`AUTH response: ${short(text, 60)}`, [], r.nodes, line.range)], line.range);
      return [this.#pdu(tree, `C: ${r.note ?? short(text)}`), ...r.pdus];
    }
    const sp = text.indexOf(' ');
    const verb = sp < 0 ? text : text.slice(0, sp);
    const param = sp < 0 ? '' : text.slice(sp + 1);
    const fields: Field[] = [field('smtp.req', true), field('smtp.command_line', text), field('smtp.req.command', verb)];
    const children = [node(`Command: ${verb}`)];
    if (param !== '') {
      fields.push(field('smtp.req.parameter', param));
      children.push(node(`Request parameter: ${short(param, 200)}`));
    }
    const extra: Pdu[] = [];
    const upper = verb.toUpperCase();
    this.#expect(upper);
    if (upper === 'BDAT') {
      const m = /^(\d+)(\s+LAST)?\s*$/i.exec(param);
      if (m) {
        this.#bdat = { left: Number(m[1]), last: Boolean(m[2]) };
        if (this.#bdat.left > 0) this.#client = 'bdat';
        else if (this.#bdat.last) extra.push(...this.#endOfData());
      }
    } else if (upper === 'AUTH') {
      const [mech = '', ...initial] = param.split(' ');
      this.#auth = { mech: mech.toUpperCase(), step: 0, awaiting: false };
      if (initial.length > 0) {
        const r = clientAuthResponse(this.#auth, initial.join(' '), this.#ctx.depth, line.range);
        if (r.ntlm) this.#notice(r.ntlm);
        children.push(...r.nodes);
        extra.push(...r.pdus);
      }
    }
    const tree = node('Simple Mail Transfer Protocol', [], [node(`Command Line: ${short(text, 200)}`, fields, children, line.range)], line.range);
    return [this.#pdu(tree, `C: ${short(text)}`), ...extra];
  }

  #expect(verb: string): void {
    if (this.#pending.length < MAX_PENDING) this.#pending.push(verb);
  }

  /** NTLM facts the session needs: whether SEAL was agreed (the AUTHENTICATE's flags rule). */
  #notice(m: NtlmMessage): void {
    if (m.type === 2 || m.type === 3) this.#seal = negotiatesSeal(m);
  }

  #serverLine(line: Line): Pdu[] {
    const text = lineText(line.bytes);
    const m = /^(\d{3})([ -]?)(.*)$/.exec(text);
    if (!m) {
      const out = this.#reply ? this.#finishReply(0, '') : [];
      const tree = node('Simple Mail Transfer Protocol', [field('smtp.rsp', true), field('smtp.response', text)], [node(`[Malformed reply: ${short(text)}]`, [field('_ws.malformed', 'not a reply line')], [], line.range)], line.range);
      return [...out, this.#pdu(tree, `S: ${short(text)}`)];
    }
    const code = Number(m[1]);
    const rest = m[3];
    this.#reply ??= { nodes: [], fields: [field('smtp.rsp', true)], texts: [], start: line.range.start };
    const lineFields = [field('smtp.response', text), field('smtp.response.code', code), field('smtp.rsp.parameter', rest)];
    this.#reply.fields.push(...lineFields);
    this.#reply.texts.push(text);
    this.#reply.nodes.push(node(`Response: ${short(text, 200)}`, [], [node(`Response code: ${REPLY_TEXT[code] ?? 'Unknown'} (${code})`), node(`Response parameter: ${short(rest, 200)}`)], line.range));
    if (m[2] === '-') return [];
    return this.#finishReply(code, rest, line.range.end);
  }

  #finishReply(code: number, rest: string, end?: number): Pdu[] {
    const r = this.#reply;
    if (!r) return [];
    this.#reply = undefined;
    const range = { start: r.start, end: end ?? r.start };
    const out: Pdu[] = [this.#pdu(node('Simple Mail Transfer Protocol', r.fields, r.nodes, range), `S: ${short(r.texts.join(' | '), 160)}`)];
    const verb = this.#pending.shift();
    switch (verb) {
      case 'DATA':
        if (code === 354) this.#client = 'data';
        break;
      case 'STARTTLS':
        // RFC 3207 §4: after 220 both sides start TLS at once; bytes that follow are records.
        if (code === 220) {
          this.#client = 'tls';
          this.#server = 'tls';
        }
        break;
      case 'AUTH': {
        const auth = this.#auth;
        if (!auth) break;
        if (code === 334) {
          auth.awaiting = true;
          const c = serverChallenge(auth, rest, this.#ctx.depth, range);
          if (c.ntlm) this.#notice(c.ntlm);
          out[0].tree.children.push(...c.nodes);
          out.push(...c.pdus);
        } else {
          if (code === 235 && auth.mech === 'NTLM') {
            this.#ntlmAuthenticated = true;
            const keyFlags = this.#ctx.keys?.()?.ntlm?.negotiateFlags;
            // SPEC §4: sealing follows 235 only when SEAL was negotiated.
            if (this.#seal || (keyFlags !== undefined && (keyFlags & 0x20) !== 0)) {
              this.#client = 'sealed';
              this.#server = 'sealed';
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
  open: (ctx) => new SmtpSession(ctx),
};
