/**
 * TLS handshake messages (RFC 8446 §4, RFC 5246 §7.4): what a passive observer learns from the
 * hellos — the server name asked for (SNI, RFC 6066 §3), the offered and the selected cipher
 * suite, and the version really negotiated (supported_versions, RFC 8446 §4.2.1).
 * A bounds-checked reader: a short or lying length ends the parse with an error node.
 */
import type { DetailNode, Field } from './types.ts';
import { field, hexPreview, node } from './types.ts';
import { EXTENSIONS, HANDSHAKE_TYPES, SUITES, VERSIONS, named } from './tls-names.ts';

export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get left(): number {
    return this.buf.length - this.pos;
  }
  u8(): number | undefined {
    return this.left >= 1 ? this.buf[this.pos++] : undefined;
  }
  u16(): number | undefined {
    if (this.left < 2) return undefined;
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  u24(): number | undefined {
    if (this.left < 3) return undefined;
    const v = this.buf.readUIntBE(this.pos, 3);
    this.pos += 3;
    return v;
  }
  bytes(n: number): Buffer | undefined {
    if (n < 0 || this.left < n) return undefined;
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** A vector with a length prefix of `width` bytes. */
  vec(width: 1 | 2 | 3): Buffer | undefined {
    const n = width === 1 ? this.u8() : width === 2 ? this.u16() : this.u24();
    return n === undefined ? undefined : this.bytes(n);
  }
}

/** What the session keeps from a hello. */
export interface HelloFacts {
  random?: Buffer;
  suite?: number;
  version?: number;
  sni?: string;
}

export interface HandshakeMessage {
  type: number;
  body: Buffer;
}

const malformed = (what: string): DetailNode => node(`[Malformed ${what}]`, [field('_ws.malformed', what)]);

function extensionsNode(r: Reader, hello: 1 | 2, facts: HelloFacts): DetailNode[] {
  const out: DetailNode[] = [];
  if (r.left === 0) return out;
  const all = r.vec(2);
  if (!all) return [malformed('extensions')];
  const e = new Reader(all);
  while (e.left > 0) {
    const type = e.u16();
    const data = e.vec(2);
    if (type === undefined || !data) {
      out.push(malformed('extension'));
      break;
    }
    const fields: Field[] = [field('tls.handshake.extension.type', type), field('tls.handshake.extension.len', data.length)];
    const d = new Reader(data);
    let label = `Extension: ${EXTENSIONS[type] ?? 'unknown'} (len=${data.length})`;
    if (type === 0 && hello === 1) {
      // server_name (RFC 6066 §3): a list of (type, name); type 0 is a DNS host name.
      const list = new Reader(d.vec(2) ?? Buffer.alloc(0));
      while (list.left > 0) {
        const nameType = list.u8();
        const name = list.vec(2);
        if (nameType === undefined || !name) break;
        if (nameType === 0) {
          facts.sni = name.toString('latin1');
          fields.push(field('tls.handshake.extensions_server_name', facts.sni));
          label += ` name=${facts.sni}`;
        }
      }
    } else if (type === 43) {
      if (hello === 1) {
        const list = new Reader(d.vec(1) ?? Buffer.alloc(0));
        for (let v = list.u16(); v !== undefined; v = list.u16()) fields.push(field('tls.handshake.extensions.supported_version', v));
      } else {
        const v = d.u16();
        if (v !== undefined) {
          facts.version = v;
          fields.push(field('tls.handshake.extensions.supported_version', v));
          label += ` ${VERSIONS[v] ?? v}`;
        }
      }
    }
    out.push(node(label, fields));
  }
  return out;
}

/** ClientHello (type 1) or ServerHello (type 2). */
function helloNode(type: 1 | 2, body: Buffer, facts: HelloFacts): DetailNode[] {
  const r = new Reader(body);
  const version = r.u16();
  const random = r.bytes(32);
  const session = r.vec(1);
  if (version === undefined || !random || !session) return [malformed('hello')];
  facts.random = random;
  facts.version = version;
  const out: DetailNode[] = [
    node(`Version: ${named(VERSIONS, version)}`, [field('tls.handshake.version', version)]),
    node(`Random: ${random.toString('hex')}`, [field('tls.handshake.random', random)]),
    node(`Session ID Length: ${session.length}`, [field('tls.handshake.session_id', session)]),
  ];
  if (type === 1) {
    const suites = r.vec(2);
    const compression = r.vec(1);
    if (!suites || !compression) return [...out, malformed('cipher suites')];
    const list = new Reader(suites);
    const items: DetailNode[] = [];
    for (let s = list.u16(); s !== undefined; s = list.u16()) {
      items.push(node(`Cipher Suite: ${named(SUITES, s)}`, [field('tls.handshake.ciphersuite', s)]));
    }
    out.push(node(`Cipher Suites (${items.length} suites)`, [field('tls.handshake.cipher_suites_length', suites.length)], items));
  } else {
    const suite = r.u16();
    const compression = r.u8();
    if (suite === undefined || compression === undefined) return [...out, malformed('server hello')];
    facts.suite = suite;
    out.push(node(`Cipher Suite: ${named(SUITES, suite)}`, [field('tls.handshake.ciphersuite', suite)]));
  }
  out.push(...extensionsNode(r, type, facts));
  return out;
}

/** Split a reassembled handshake byte stream into whole messages; the remainder waits. */
export function splitHandshake(buf: Buffer): { messages: HandshakeMessage[]; rest: Buffer } {
  const messages: HandshakeMessage[] = [];
  let pos = 0;
  while (buf.length - pos >= 4) {
    const len = buf.readUIntBE(pos + 1, 3);
    if (buf.length - pos - 4 < len) break;
    messages.push({ type: buf[pos], body: buf.subarray(pos + 4, pos + 4 + len) });
    pos += 4 + len;
  }
  return { messages, rest: buf.subarray(pos) };
}

/** One handshake message as a tree node; `facts` collects what the session needs. */
export function handshakeNode(m: HandshakeMessage, facts: HelloFacts): DetailNode {
  const name = HANDSHAKE_TYPES[m.type] ?? `Unknown (${m.type})`;
  const fields = [field('tls.handshake.type', m.type), field('tls.handshake.length', m.body.length)];
  let children: DetailNode[] = [];
  if (m.type === 1 || m.type === 2) children = helloNode(m.type, m.body, facts);
  else if (m.type === 20) children = [node(`Verify Data: ${hexPreview(m.body)}`, [field('tls.handshake.verify_data', m.body)])];
  return node(`Handshake Protocol: ${name}`, fields, children);
}

export function handshakeName(type: number): string {
  return HANDSHAKE_TYPES[type] ?? `Unknown Handshake Message (${type})`;
}
