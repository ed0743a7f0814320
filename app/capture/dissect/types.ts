/**
 * The common shape of every dissector (docs/packet-view.md).
 *
 * A dissector is a sans-IO state machine over the reassembled byte streams of one connection:
 * `feed` hands it the payload of one packet (one direction) and gets back the PDUs that this
 * packet completed — a command line, a reply, a TLS record, a sealed frame. A PDU split across
 * segments therefore belongs to the packet that carries its last byte, as in Wireshark.
 *
 *   TCP payload ──► smtp ──┬─► imf       (message content inside DATA / BDAT)
 *                          ├─► ntlmssp   (base64 blobs of AUTH NTLM)
 *                          ├─► tls ──► smtp (decrypted on request)
 *                          └─► sasl ──► smtp (NTLM-sealed, unsealed on request)
 *
 * Decoders never throw on hostile bytes: a malformed PDU is reported as a PDU with an error node.
 */
import type { ConnectionKeys, Direction } from '../tap.ts';

export type FieldValue = string | number | boolean | Buffer;

export interface Field {
  /** Wireshark's field name where one exists (`smtp.req.command`), else ours in the same style. */
  name: string;
  value: FieldValue;
}

/** Byte range [start, end) in the reassembled stream of the PDU's direction. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface DetailNode {
  label: string;
  fields: Field[];
  children: DetailNode[];
  byteRange?: ByteRange;
}

export interface Pdu {
  /** Layer name for the display filter: `smtp`, `imf`, `tls`, `ntlmssp`, `sasl`. */
  layer: string;
  /** Protocol column: `SMTP`, `SMTP/IMF`, `TLSv1.3` … */
  protocol: string;
  info: string;
  tree: DetailNode;
  /** 0 directly over TCP, +1 for each layer it sits inside (decrypted SMTP is 1, its IMF 2). */
  depth: number;
  /**
   * Bytes worth a tab of their own in the detail view (decrypted TLS, unsealed SASL); `stream`
   * marks content of the inner byte stream (what Follow Stream shows), not handshake messages.
   */
  data?: { label: string; bytes: Buffer; stream: boolean };
}

export interface SessionContext {
  /** Nesting depth of the session's PDUs. */
  depth: number;
  /**
   * Key hand-off for this connection, if any (docs/lab.md, "Shared shapes"). A function, because keys may arrive
   * while the connection is being dissected (the client logs them during its handshake).
   */
  keys?: () => ConnectionKeys | undefined;
  /** "Decrypt with lab keys": TLS application data and SASL-sealed frames are opened. */
  decrypt: boolean;
  /** The server's TCP port, which picks the first protocol (25/587: SMTP, 465: TLS). */
  serverPort?: number;
}

/** One connection's (or one inner layer's) dissection state. */
export interface StreamDissector {
  /** `offset` is the position of `bytes[0]` in the reassembled stream of direction `dir`. */
  feed(dir: Direction, bytes: Buffer, offset: number): Pdu[];
  /** The direction ended (FIN, RST): whatever is buffered is reported as incomplete. */
  end(dir: Direction): Pdu[];
}

export interface FieldDef {
  name: string;
  type: 'string' | 'number' | 'boolean' | 'bytes' | 'ipv4' | 'none';
  label: string;
}

export interface Dissector {
  /** Layer name, as typed in a filter. */
  name: string;
  title: string;
  /** The fields this dissector may produce, for the filter's name check. */
  fields: FieldDef[];
  /**
   * Where it is the first protocol of a connection ("decode as", by the server's port): `plain`
   * over TCP, `implicitTls` inside TLS from the first byte (RFC 8314 §3.3). A dissector without
   * ports is reached only from another (IMF inside SMTP's DATA, NTLMSSP inside AUTH).
   */
  ports?: { plain?: readonly number[]; implicitTls?: readonly number[] };
  open(ctx: SessionContext): StreamDissector;
}

// ---- small helpers shared by the dissectors ----

export function node(label: string, fields: Field[] = [], children: DetailNode[] = [], byteRange?: ByteRange): DetailNode {
  return byteRange ? { label, fields, children, byteRange } : { label, fields, children };
}

export function field(name: string, value: FieldValue): Field {
  return { name, value };
}

/** Every field of a tree, depth first: what the filter evaluates. */
export function collectFields(tree: DetailNode, out: Field[] = []): Field[] {
  for (const f of tree.fields) out.push(f);
  for (const c of tree.children) collectFields(c, out);
  return out;
}

/** Point every node of an inner layer's tree at one outer range (the record that carried it). */
export function retarget(tree: DetailNode, range: ByteRange | undefined): DetailNode {
  return {
    label: tree.label,
    fields: tree.fields,
    children: tree.children.map((c) => retarget(c, range)),
    ...(range ? { byteRange: range } : {}),
  };
}

/** Bytes as hex, capped, for labels of binary fields. */
export function hexPreview(bytes: Buffer, max = 32): string {
  const h = bytes.subarray(0, max).toString('hex');
  return bytes.length > max ? `${h}…` : h;
}
