/**
 * Looking at one packet or one connection: the detail tree with byte ranges into the frame, the
 * hex pane, and Follow Stream. Both dissect the connection again from its first held packet,
 * which keeps the store free of trees (a connection is short; a page of the list is not).
 */
import type { Direction, Endpoint, StageMark } from './tap.ts';
import type { Packet } from './packets.ts';
import { frameBytes, headerLength } from './frame.ts';
import type { DetailNode, Pdu, SessionContext } from './dissect/types.ts';
import { openConnection } from './dissect/registry.ts';
import { lowerLayers } from './dissect/tcpip.ts';
import type { HexRow } from './hex.ts';
import { followText, hexRows } from './hex.ts';
import type { Held } from './summary.ts';
import { infoColumn, protocolColumn, protocolsInFrame } from './summary.ts';
import type { ConnView } from './store.ts';

export interface PacketDetail {
  no: number;
  point: string;
  conn: string;
  dir: Direction;
  /** Link to the tap record (transcript line) whose bytes this packet carries. */
  link: { conn: string; recordSeq: number | undefined };
  leak: boolean;
  marks: StageMark[];
  protocol: string;
  info: string;
  length: number;
  /** Frame, Ethernet, IPv4, TCP, then the dissected PDUs; byte ranges index `bytes`. */
  tree: DetailNode[];
  bytes: HexRow[];
  /** Extra byte panes: decrypted TLS, unsealed SASL. */
  tabs: { label: string; bytes: HexRow[] }[];
}

export interface FollowOptions {
  point?: string;
  /** Show TLS and sealed SASL content opened with the lab keys, where they allow it. */
  decrypted?: boolean;
}

export interface FollowPart {
  dir: Direction;
  from: 'client' | 'server';
  /** First packet of the part. */
  no: number;
  t: number;
  bytes: Buffer;
  text: string;
}

export interface FollowResult {
  conn: string;
  point: string;
  client: Endpoint;
  server: Endpoint;
  parts: FollowPart[];
  /** The oldest packets of the connection were dropped from the bounded store. */
  truncated: boolean;
  decrypted: boolean;
  clientBytes: number;
  serverBytes: number;
}

/** Map a tree's stream ranges to this packet's frame; parts outside the packet lose their range. */
function toFrame(tree: DetailNode, p: Packet, header: number): DetailNode {
  const out: DetailNode = { label: tree.label, fields: tree.fields, children: tree.children.map((c) => toFrame(c, p, header)) };
  const r = tree.byteRange;
  if (r) {
    const start = Math.max(r.start, p.streamOffset);
    const end = Math.min(r.end, p.streamOffset + p.payload.length);
    if (start < end) out.byteRange = { start: header + start - p.streamOffset, end: header + end - p.streamOffset };
  }
  return out;
}

/** The PDUs of one packet, by dissecting its connection again up to it. */
function pdusOf(h: Held, view: ConnView, ctx: SessionContext): Pdu[] {
  const session = openConnection(ctx);
  let found: Pdu[] = [];
  for (const x of view.held) {
    const pdus = x.p.payload.length > 0 ? session.feed(x.p.dir, x.p.payload, x.p.streamOffset) : [];
    if (x === h) {
      found = pdus;
      break;
    }
  }
  if (view.closed && view.held.last() === h) found = [...found, ...session.end('c2s'), ...session.end('s2c')];
  return found;
}

/** `shown`: the packet's summary in the view asked for (decrypted or not); `h` finds it in its connection. */
export function detailOf(h: Held, view: ConnView, ctx: SessionContext, firstT: number, shown: Held = h): PacketDetail {
  const p = h.p;
  const pdus = pdusOf(h, view, ctx);
  const header = headerLength(p);
  const pc = { stream: h.stream, leak: h.leak, relative: (p.t - firstT) / 1000, protocols: protocolsInFrame(shown) };
  const tree = [...lowerLayers(p, pc), ...pdus.map((pdu) => toFrame(pdu.tree, p, header))];
  if (h.leak) tree.unshift({ label: '[Postcard Lab: this segment carries canary bytes in clear]', fields: [{ name: 'lab.leak', value: true }], children: [] });
  return {
    no: p.no,
    point: p.point,
    conn: p.conn,
    dir: p.dir,
    link: { conn: p.conn, recordSeq: p.recordSeq },
    leak: h.leak,
    marks: p.marks ?? [],
    protocol: protocolColumn(shown),
    info: infoColumn(shown),
    length: header + p.payload.length,
    tree,
    bytes: hexRows(frameBytes(p)),
    tabs: pdus.filter((x) => x.data).map((x) => ({ label: x.data!.label, bytes: hexRows(x.data!.bytes) })),
  };
}

export function followOf(view: ConnView, ctx: SessionContext, decrypted: boolean): FollowResult {
  const parts: FollowPart[] = [];
  const session = decrypted ? openConnection(ctx) : undefined;
  // Once a direction is wrapped (TLS, SASL), its raw bytes are ciphertext: show only what opened.
  const wrapped: Record<Direction, boolean> = { c2s: false, s2c: false };
  const totals: Record<Direction, number> = { c2s: 0, s2c: 0 };
  const add = (x: Packet, bytes: Buffer) => {
    if (bytes.length === 0) return;
    totals[x.dir] += bytes.length;
    const last = parts[parts.length - 1];
    if (last && last.dir === x.dir) {
      last.bytes = Buffer.concat([last.bytes, bytes]);
      return;
    }
    parts.push({ dir: x.dir, from: x.dir === 'c2s' ? 'client' : 'server', no: x.no, t: x.t, bytes, text: '' });
  };
  for (const h of view.held) {
    const x = h.p;
    if (x.payload.length === 0) continue;
    if (!session) {
      add(x, x.payload);
      continue;
    }
    const pdus = session.feed(x.dir, x.payload, x.streamOffset);
    const outer = pdus.filter((q) => q.depth === 0 && (q.layer === 'tls' || q.layer === 'sasl'));
    if (outer.length > 0) wrapped[x.dir] = true;
    if (!wrapped[x.dir]) add(x, x.payload);
    else for (const q of outer) if (q.data?.stream) add(x, q.data.bytes);
  }
  for (const part of parts) part.text = followText(part.bytes);
  return {
    conn: view.c.conn,
    point: view.c.point,
    client: view.c.client,
    server: view.c.server,
    parts,
    truncated: view.truncated,
    decrypted,
    clientBytes: totals.c2s,
    serverBytes: totals.s2c,
  };
}
