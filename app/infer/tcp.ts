/**
 * From link-layer frames to TCP byte streams (RFC 9293): Ethernet II (with 802.1Q tags), BSD
 * loopback, raw IP and Linux cooked captures; IPv4 (RFC 791) and IPv6 (RFC 8200, no extension
 * headers); segments placed by sequence number, so retransmissions and reordering collapse.
 * Every byte remembers the packet that carried it, so a report can name packet numbers.
 */
import type { CapturedPacket } from './pcap.ts';

export interface Endpoint {
  ip: string;
  port: number;
}

export interface Segment {
  packet: number;
  src: Endpoint;
  dst: Endpoint;
  seq: number;
  flags: { syn: boolean; fin: boolean; rst: boolean; ack: boolean };
  payload: Buffer;
}

const ETHERTYPE_IPV4 = 0x0800, ETHERTYPE_IPV6 = 0x86dd, ETHERTYPE_VLAN = 0x8100;

/**
 * The link types (tcpdump.org's LINKTYPE_ values) whose frames `ipOf` opens: Ethernet, BSD loopback,
 * raw IP, Linux cooked v1 and v2. A capture of any other carries nothing this reader can see.
 */
export const LINK_TYPES_READ: ReadonlyMap<number, string> = new Map([
  [1, 'Ethernet'], [0, 'BSD loopback'], [108, 'BSD loopback'], [101, 'raw IP'], [12, 'raw IP'], [14, 'raw IP'], [228, 'raw IPv4'], [229, 'raw IPv6'],
  [113, 'Linux cooked'], [276, 'Linux cooked v2'],
]);

/** The IP packet inside a frame, or undefined for frames that carry none. */
function ipOf(p: CapturedPacket): Buffer | undefined {
  const d = p.data;
  switch (p.linkType) {
    case 1: { // Ethernet
      let off = 12;
      let type = d.readUInt16BE(off);
      while (type === ETHERTYPE_VLAN && off + 6 <= d.length) {
        off += 4;
        type = d.readUInt16BE(off);
      }
      return type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 ? d.subarray(off + 2) : undefined;
    }
    case 0: case 108: return d.subarray(4); // BSD loopback: 4-byte family
    case 101: case 12: case 14: case 228: case 229: return d; // raw IP
    case 113: return [ETHERTYPE_IPV4, ETHERTYPE_IPV6].includes(d.readUInt16BE(14)) ? d.subarray(16) : undefined; // Linux SLL
    case 276: return [ETHERTYPE_IPV4, ETHERTYPE_IPV6].includes(d.readUInt16BE(0)) ? d.subarray(20) : undefined; // SLL2
    default: return undefined;
  }
}

const ipv6Text = (b: Buffer) => Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':');

export function tcpSegment(p: CapturedPacket): Segment | undefined {
  if (p.data.length < 20) return undefined;
  const ip = ipOf(p);
  if (!ip || ip.length < 20) return undefined;
  let src: string, dst: string, tcp: Buffer;
  const version = ip[0] >> 4;
  if (version === 4) {
    if (ip[9] !== 6) return undefined;
    const ihl = (ip[0] & 0x0f) * 4;
    const total = ip.readUInt16BE(2);
    src = [...ip.subarray(12, 16)].join('.');
    dst = [...ip.subarray(16, 20)].join('.');
    tcp = ip.subarray(ihl, total > 0 ? Math.min(total, ip.length) : ip.length);
  } else if (version === 6) {
    if (ip[6] !== 6) return undefined;
    src = ipv6Text(ip.subarray(8, 24));
    dst = ipv6Text(ip.subarray(24, 40));
    tcp = ip.subarray(40, 40 + ip.readUInt16BE(4));
  } else return undefined;
  if (tcp.length < 20) return undefined;
  const dataOff = (tcp[12] >> 4) * 4;
  const f = tcp[13];
  return {
    packet: p.number,
    src: { ip: src, port: tcp.readUInt16BE(0) }, dst: { ip: dst, port: tcp.readUInt16BE(2) },
    seq: tcp.readUInt32BE(4),
    flags: { fin: !!(f & 0x01), syn: !!(f & 0x02), rst: !!(f & 0x04), ack: !!(f & 0x10) },
    payload: tcp.subarray(dataOff),
  };
}

export interface Stream {
  bytes: Buffer;
  /** packetAt[i]: the packet that carried byte i. */
  packetAt: number[];
  /** Bytes the capture never saw (a gap), as [offset, packet after the gap]. */
  gaps: [number, number][];
  fin?: number;
  rst?: number;
}

export interface TcpConnection {
  client: Endpoint;
  server: Endpoint;
  firstPacket: number;
  c2s: Stream;
  s2c: Stream;
}

const key = (e: Endpoint) => `${e.ip}:${e.port}`;
const SMTP_PORTS = new Set([25, 465, 587, 2525]);

function assemble(segs: Segment[]): Stream {
  const syn = segs.find((s) => s.flags.syn);
  const withData = segs.filter((s) => s.payload.length > 0);
  const isn = syn ? (syn.seq + 1) >>> 0 : withData.length ? withData[0].seq : 0;
  const rel = (seq: number) => ((seq - isn) >>> 0) | 0;
  const placed = new Map<number, { byte: number; packet: number }>();
  let max = 0;
  for (const s of withData) {
    const start = rel(s.seq);
    if (start < 0) continue;
    for (let i = 0; i < s.payload.length; i++) if (!placed.has(start + i)) placed.set(start + i, { byte: s.payload[i], packet: s.packet });
    max = Math.max(max, start + s.payload.length);
  }
  const bytes: number[] = [], packetAt: number[] = [], gaps: [number, number][] = [];
  for (let i = 0; i < max; i++) {
    const b = placed.get(i);
    if (!b) {
      let j = i;
      while (j < max && !placed.has(j)) j++;
      gaps.push([bytes.length, placed.get(j)?.packet ?? 0]);
      i = j - 1;
      continue;
    }
    bytes.push(b.byte);
    packetAt.push(b.packet);
  }
  return { bytes: Buffer.from(bytes), packetAt, gaps, fin: segs.find((s) => s.flags.fin)?.packet, rst: segs.find((s) => s.flags.rst)?.packet };
}

/** TCP connections in order of their first packet; the client is the side that sent the SYN. */
export function tcpConnections(packets: CapturedPacket[]): TcpConnection[] {
  const flows = new Map<string, { a: Endpoint; b: Endpoint; first: number; segs: Segment[] }>();
  for (const p of packets) {
    const s = tcpSegment(p);
    if (!s) continue;
    const [x, y] = [key(s.src), key(s.dst)].sort();
    let f = flows.get(`${x}|${y}`);
    // A new SYN after the flow ended starts a new connection on the same ports.
    if (f && s.flags.syn && !s.flags.ack && f.segs.some((g) => g.flags.fin || g.flags.rst)) {
      flows.set(`${x}|${y}#${f.first}`, f);
      f = undefined;
    }
    if (!f) {
      f = { a: s.src, b: s.dst, first: s.packet, segs: [] };
      flows.set(`${x}|${y}`, f);
    }
    f.segs.push(s);
  }
  const out: TcpConnection[] = [];
  for (const f of flows.values()) {
    const synner = f.segs.find((s) => s.flags.syn && !s.flags.ack)?.src;
    let client: Endpoint;
    if (synner) client = synner;
    else if (SMTP_PORTS.has(f.b.port) && !SMTP_PORTS.has(f.a.port)) client = f.a;
    else if (SMTP_PORTS.has(f.a.port) && !SMTP_PORTS.has(f.b.port)) client = f.b;
    else client = f.segs.find((s) => s.payload.length > 0)?.dst ?? f.a; // the SMTP server speaks first
    const server = key(client) === key(f.a) ? f.b : f.a;
    out.push({
      client, server, firstPacket: f.first,
      c2s: assemble(f.segs.filter((s) => key(s.src) === key(client))),
      s2c: assemble(f.segs.filter((s) => key(s.src) === key(server))),
    });
  }
  return out.sort((a, b) => a.firstPacket - b.firstPacket);
}
