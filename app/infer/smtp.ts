/**
 * One TCP connection read as an SMTP dialogue (RFC 5321): the greeting, then each command with
 * the reply that answered it (replies come in order, RFC 2920 §3, so pipelining does not matter),
 * DATA content up to the lone "." (§4.1.1.4), AUTH continuation lines (RFC 4954 §4). The readable
 * part ends where TLS begins (220 to STARTTLS, RFC 3207 §4) or where binary bytes appear (an NTLM
 * seal, docs/ntlm.md); what follows is kept as a count of bytes and the packet it starts in.
 */
import type { Stream, TcpConnection } from './tcp.ts';
import { parseCommand, parseReplyLine } from '../smtp/wire.ts';

export interface Line {
  text: string;
  /** The raw line, terminator included (absent when the stream ended first). */
  raw: Buffer;
  terminated: boolean;
  packet: number;
}

export interface Reply {
  code: number;
  lines: Line[];
  packet: number;
  /** The last line had no CRLF: the reply never ended. */
  partial: boolean;
}

export interface Exchange {
  kind: 'command' | 'auth-response';
  line: Line;
  reply?: Reply;
}

export interface Dialogue {
  conn: TcpConnection;
  greeting?: Reply;
  exchanges: Exchange[];
  /** Content lines between 354 and the final dot, per transaction. */
  content: Line[][];
  /** Client lines sent after STARTTLS was accepted, before the TLS handshake (CVE-2011-0411). */
  afterStarttls: Line[];
  /** Server lines after its 220 to STARTTLS, before the TLS handshake (a box answering in clear). */
  serverAfterStarttls: Line[];
  /** Where the readable dialogue ends and why. */
  opaque?: { from: 'tls' | 'binary'; c2sBytes: number; s2cBytes: number; packet: number };
  endedBy?: { how: 'fin' | 'rst'; packet: number };
}

const PRINTABLE = /^[\x09\x20-\x7e\x80-\xff]*$/;

/** Split a stream into lines from `from`, stopping at the first binary line (control bytes). */
function lines(s: Stream, from = 0): { lines: Line[]; stoppedAt: number } {
  const out: Line[] = [];
  let at = from;
  while (at < s.bytes.length) {
    const lf = s.bytes.indexOf(0x0a, at);
    const end = lf < 0 ? s.bytes.length : lf + 1;
    const raw = s.bytes.subarray(at, end);
    const text = raw.toString('latin1').replace(/\r?\n$/, '');
    if (!PRINTABLE.test(text)) return { lines: out, stoppedAt: at };
    out.push({ text, raw, terminated: lf >= 0, packet: s.packetAt[at] ?? 0 });
    at = end;
  }
  return { lines: out, stoppedAt: at };
}

/**
 * Group server lines into replies with the wire's reply grammar (app/smtp/wire.ts, RFC 5321
 * §4.2.1): `250-…` continues, `250 …` ends. A line that is not a reply line (a box's mangled
 * answer) ends the reply it is in, with code 0 when it is the first: offline, the dialogue is
 * still read on, where a live client would call it a protocol error.
 */
function replies(ls: Line[]): Reply[] {
  const out: Reply[] = [];
  let cur: Line[] = [];
  let code = 0;
  for (const l of ls) {
    const parsed = parseReplyLine(l.text);
    if (cur.length === 0) code = parsed?.code ?? 0;
    cur.push(l);
    if (!l.terminated || !parsed || parsed.final) {
      out.push({ code, lines: cur, packet: cur[0].packet, partial: !l.terminated });
      cur = [];
    }
  }
  if (cur.length) out.push({ code, lines: cur, packet: cur[0].packet, partial: true });
  return out;
}

/** A command line's verb as the wire reads it (RFC 5321 §4.1), or '' for a line that starts with none (a dot, a base64 AUTH response's padding). */
export const verbOf = (text: string) => {
  const { verb } = parseCommand(text);
  return /^[A-Z]+$/.test(verb) ? verb : '';
};

export function readDialogue(conn: TcpConnection): Dialogue {
  const c = lines(conn.c2s), s = lines(conn.s2c);
  const reps = replies(s.lines);
  const d: Dialogue = { conn, greeting: reps[0], exchanges: [], content: [], afterStarttls: [], serverAfterStarttls: [] };
  let ri = 1;
  let mode: 'command' | 'content' | 'auth' = 'command';
  let content: Line[] = [];
  let tlsAt: { c: number; s: number } | undefined;
  for (let i = 0; i < c.lines.length; i++) {
    const l = c.lines[i];
    if (mode === 'content') {
      content.push(l);
      if (l.text === '.') {
        d.content.push(content);
        content = [];
        mode = 'command';
        d.exchanges.push({ kind: 'command', line: l, reply: reps[ri++] });
      }
      continue;
    }
    const reply = reps[ri++];
    d.exchanges.push({ kind: mode === 'auth' ? 'auth-response' : 'command', line: l, reply });
    const verb = verbOf(l.text);
    if (mode === 'auth') mode = reply?.code === 334 ? 'auth' : 'command';
    else if (verb === 'DATA' && reply?.code === 354) mode = 'content';
    else if (verb === 'AUTH' && reply?.code === 334) mode = 'auth';
    else if (verb === 'STARTTLS' && reply?.code === 220) {
      // What the client sent after STARTTLS in clear, before its ClientHello (0x16).
      d.afterStarttls = c.lines.slice(i + 1);
      const cEnd = d.afterStarttls.length ? c.lines.indexOf(d.afterStarttls.at(-1)!) : i;
      const cOff = c.lines[cEnd].raw.byteOffset - conn.c2s.bytes.byteOffset + c.lines[cEnd].raw.length;
      const sLast = reply.lines.at(-1)!;
      tlsAt = { c: cOff, s: sLast.raw.byteOffset - conn.s2c.bytes.byteOffset + sLast.raw.length };
      d.serverAfterStarttls = lines(conn.s2c, tlsAt.s).lines.filter((l) => l.terminated);
      if (d.serverAfterStarttls.length) {
        const last = d.serverAfterStarttls.at(-1)!;
        tlsAt.s = last.raw.byteOffset - conn.s2c.bytes.byteOffset + last.raw.length;
      }
      break;
    }
  }
  if (mode === 'content' && content.length) d.content.push(content);
  const cRest = tlsAt ? conn.c2s.bytes.length - tlsAt.c : conn.c2s.bytes.length - c.stoppedAt;
  const sRest = tlsAt ? conn.s2c.bytes.length - tlsAt.s : conn.s2c.bytes.length - s.stoppedAt;
  if (cRest > 0 || sRest > 0) {
    const at = tlsAt?.c ?? c.stoppedAt;
    d.opaque = { from: tlsAt ? 'tls' : 'binary', c2sBytes: Math.max(0, cRest), s2cBytes: Math.max(0, sRest), packet: conn.c2s.packetAt[at] ?? conn.s2c.packetAt[tlsAt?.s ?? s.stoppedAt] ?? 0 };
  }
  const rst = conn.c2s.rst ?? conn.s2c.rst;
  const fin = conn.c2s.fin ?? conn.s2c.fin;
  if (rst) d.endedBy = { how: 'rst', packet: rst };
  else if (fin) d.endedBy = { how: 'fin', packet: fin };
  return d;
}
