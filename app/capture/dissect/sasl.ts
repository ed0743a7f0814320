/**
 * The NTLM-sealed SASL security layer after `235` (docs/ntlm.md, RFC 4422 §3.7) — a reconstruction,
 * like the layer itself (app/ntlm/sasl-layer.ts):
 *
 *   length (4, big-endian) | RC4-sealed bytes (length - 16) | NTLMSSP signature (16)
 *   signature (MS-NLMP §2.2.2.9.1, extended session security): version 1 | checksum (8) | seq (4)
 *
 * An eavesdropper sees the length, the ciphertext and the signature. With "decrypt with lab
 * keys" and the connection's NTLM session keys, each frame is unsealed (server role for what
 * the client sent, client role for what the server sent) and the plaintext handed to the SMTP
 * dissector again. A bad frame ends the layer, as it ends the real session.
 */
import type { Direction } from '../tap.ts';
import type { SecurityLayer } from '../../ntlm/sasl-layer.ts';
import { createSecurityLayer } from '../../ntlm/sasl-layer.ts';
import { RecordFramer } from './framing.ts';
import type { HeaderCheck } from './framing.ts';
import type { ByteRange, DetailNode, Dissector, FieldDef, Pdu, SessionContext, StreamDissector } from './types.ts';
import { field, hexPreview, node, retarget } from './types.ts';

export const saslFields: FieldDef[] = [
  { name: 'sasl.buffer.length', type: 'number', label: 'Buffer length' },
  { name: 'sasl.buffer.ciphertext', type: 'bytes', label: 'Sealed data' },
  { name: 'sasl.buffer.signature', type: 'bytes', label: 'NTLMSSP signature' },
  { name: 'ntlmssp.verf.vers', type: 'number', label: 'Signature version' },
  { name: 'ntlmssp.verf.sequence', type: 'number', label: 'Sequence number' },
  { name: 'sasl.decrypted', type: 'boolean', label: 'Unsealed with lab keys' },
];

const SIGNATURE = 16;
/** The layer's largest buffer: 64 KiB of plaintext and its signature (sasl-layer.ts). */
const MAX_FRAME = 65_536 + SIGNATURE;

/** The 4-byte big-endian length; anything outside what the layer sends ends the layer. */
function saslHeader(header: Buffer): HeaderCheck {
  const length = header.readUInt32BE(0);
  if (length < SIGNATURE || length > MAX_FRAME) return { ok: false, why: `buffer length ${length} outside ${SIGNATURE}..${MAX_FRAME}` };
  return { ok: true, total: 4 + length };
}

interface DirState {
  framer: RecordFramer;
  layer?: SecurityLayer;
  layerFailed?: string;
  innerOffset: number;
}

export class SaslSession implements StreamDissector {
  readonly #ctx: SessionContext;
  readonly #innerFactory: (() => StreamDissector) | undefined;
  #inner: StreamDissector | undefined;
  #dirs: Record<Direction, DirState> = {
    c2s: { framer: new RecordFramer(4, saslHeader), innerOffset: 0 },
    s2c: { framer: new RecordFramer(4, saslHeader), innerOffset: 0 },
  };

  constructor(ctx: SessionContext, inner?: () => StreamDissector) {
    this.#ctx = ctx;
    this.#innerFactory = inner;
  }

  feed(dir: Direction, bytes: Buffer, offset: number): Pdu[] {
    const { frames, failure } = this.#dirs[dir].framer.push(bytes, offset);
    const out: Pdu[] = [];
    for (const f of frames) out.push(...this.#frame(dir, f.bytes, f.range));
    if (failure) {
      const why = failure.why;
      out.push(this.#pdu(node('SASL security layer', [], [node(`[Malformed: ${why}]`, [field('_ws.malformed', why)])]), 'Malformed buffer', failure.range));
    }
    return out;
  }

  end(dir: Direction): Pdu[] {
    const out: Pdu[] = [];
    const rest = this.#dirs[dir].framer.end();
    if (rest) out.push(this.#pdu(node(`[Incomplete sealed buffer, ${rest.size} bytes]`), 'Incomplete buffer', rest.range));
    if (this.#inner) out.push(...this.#inner.end(dir).map((p) => ({ ...p, tree: retarget(p.tree, undefined) })));
    return out;
  }

  #pdu(tree: DetailNode, info: string, range: ByteRange, data?: Pdu['data']): Pdu {
    const t = { ...tree, byteRange: range };
    const pdu: Pdu = { layer: 'sasl', protocol: 'SASL', info, tree: t, depth: this.#ctx.depth };
    if (data) pdu.data = data;
    return pdu;
  }

  #frame(dir: Direction, frame: Buffer, range: ByteRange): Pdu[] {
    const length = frame.readUInt32BE(0);
    const sealed = frame.subarray(4, 4 + length - SIGNATURE);
    const signature = frame.subarray(4 + length - SIGNATURE);
    const version = signature.readUInt32LE(0);
    const seq = signature.readUInt32LE(12);
    const fields = [field('sasl.buffer.length', length), field('sasl.buffer.ciphertext', sealed), field('sasl.buffer.signature', signature)];
    const children: DetailNode[] = [
      node(`Length: ${length}`, [], [], { start: range.start, end: range.start + 4 }),
      node(`Sealed data (${sealed.length} bytes): ${hexPreview(sealed)}`, [], [], { start: range.start + 4, end: range.end - SIGNATURE }),
      node(
        `NTLMSSP Verifier: ${signature.toString('hex')}`,
        [field('ntlmssp.verf.vers', version), field('ntlmssp.verf.sequence', seq)],
        [node(`Version Number: ${version}`), node(`Checksum: ${signature.subarray(4, 12).toString('hex')}`), node(`Sequence Number: ${seq}`)],
        { start: range.end - SIGNATURE, end: range.end },
      ),
      node('[Reconstruction: Microsoft documented only the NTLM authentication, not this layer]'),
    ];
    const label = `SASL security layer (NTLM sealed), ${sealed.length} bytes`;
    const info = `Sealed buffer, ${sealed.length} bytes`;
    const ntlm = this.#ctx.keys?.()?.ntlm;
    if (!this.#ctx.decrypt || !ntlm) {
      if (this.#ctx.decrypt) children.push(node('[Not unsealed: no NTLM session keys for this connection]'));
      return [this.#pdu(node(label, fields, children), info, range)];
    }
    const d = this.#dirs[dir];
    // What the client sent is opened as the server opens it, and the other way round.
    d.layer ??= createSecurityLayer(ntlm, dir === 'c2s' ? 'server' : 'client');
    let opened: Buffer[] | undefined;
    if (!d.layerFailed) {
      try {
        const r = d.layer.unwrap(frame);
        if (r.ok) opened = r.plaintext;
        else d.layerFailed = r.error;
      } catch (e) {
        d.layerFailed = e instanceof Error ? e.message : String(e);
      }
    }
    if (!opened) {
      children.push(node(`[Not unsealed: ${d.layerFailed ?? 'layer failed earlier'}]`));
      return [this.#pdu(node(label, fields, children), info, range)];
    }
    const plain = Buffer.concat(opened);
    const out: Pdu[] = [this.#pdu(node(`${label} (unsealed)`, [...fields, field('sasl.decrypted', true)], children), info, range, { label: 'Unsealed SASL', bytes: plain, stream: true })];
    if (this.#innerFactory && plain.length > 0) {
      this.#inner ??= this.#innerFactory();
      for (const p of this.#inner.feed(dir, plain, d.innerOffset)) out.push({ ...p, tree: retarget(p.tree, range) });
      d.innerOffset += plain.length;
    }
    return out;
  }
}

export const saslDissector: Dissector = {
  name: 'sasl',
  title: 'SASL security layer (NTLM sealing)',
  fields: saslFields,
  open: (ctx) => new SaslSession(ctx),
};
