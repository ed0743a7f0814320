/**
 * The layers under every packet — frame, Ethernet II, IPv4 (RFC 791), TCP (RFC 9293) — plus the
 * lab's own facts (`lab.leak`, `lab.stage`). Their fields are computed from the packet on demand,
 * never stored, so 100,000 packets cost no field objects until a filter asks.
 */
import type { Packet } from '../packets.ts';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, connKey, hash32 } from '../packets.ts';
import { ETH_HEADER, IPV4_HEADER, frameLength, macOf, macText, tcpHeaderLength } from '../frame.ts';
import type { Direction } from '../tap.ts';
import type { DetailNode, FieldDef, FieldValue } from './types.ts';
import { field, node } from './types.ts';

export const tcpipFields: FieldDef[] = [
  { name: 'frame', type: 'none', label: 'Frame' },
  { name: 'frame.number', type: 'number', label: 'Frame Number' },
  { name: 'frame.len', type: 'number', label: 'Frame length on the wire' },
  { name: 'frame.cap_len', type: 'number', label: 'Frame length stored' },
  { name: 'frame.time_relative', type: 'number', label: 'Time since the first frame (s)' },
  { name: 'frame.time_epoch', type: 'number', label: 'Lab time (s since epoch)' },
  { name: 'frame.protocols', type: 'string', label: 'Protocols in frame' },
  { name: 'eth', type: 'none', label: 'Ethernet II' },
  { name: 'eth.src', type: 'string', label: 'Source' },
  { name: 'eth.dst', type: 'string', label: 'Destination' },
  { name: 'eth.addr', type: 'string', label: 'Address' },
  { name: 'eth.type', type: 'number', label: 'Type' },
  { name: 'ip', type: 'none', label: 'Internet Protocol Version 4' },
  { name: 'ip.src', type: 'ipv4', label: 'Source Address' },
  { name: 'ip.dst', type: 'ipv4', label: 'Destination Address' },
  { name: 'ip.addr', type: 'ipv4', label: 'Source or Destination Address' },
  { name: 'ip.len', type: 'number', label: 'Total Length' },
  { name: 'ip.id', type: 'number', label: 'Identification' },
  { name: 'ip.ttl', type: 'number', label: 'Time to Live' },
  { name: 'ip.proto', type: 'number', label: 'Protocol' },
  { name: 'tcp', type: 'none', label: 'Transmission Control Protocol' },
  { name: 'tcp.srcport', type: 'number', label: 'Source Port' },
  { name: 'tcp.dstport', type: 'number', label: 'Destination Port' },
  { name: 'tcp.port', type: 'number', label: 'Source or Destination Port' },
  { name: 'tcp.stream', type: 'number', label: 'Stream index' },
  { name: 'tcp.len', type: 'number', label: 'TCP Segment Len' },
  { name: 'tcp.seq', type: 'number', label: 'Sequence Number (relative)' },
  { name: 'tcp.seq_raw', type: 'number', label: 'Sequence Number (raw)' },
  { name: 'tcp.nxtseq', type: 'number', label: 'Next Sequence Number (relative)' },
  { name: 'tcp.ack', type: 'number', label: 'Acknowledgment Number (relative)' },
  { name: 'tcp.ack_raw', type: 'number', label: 'Acknowledgment number (raw)' },
  { name: 'tcp.hdr_len', type: 'number', label: 'Header Length' },
  { name: 'tcp.flags', type: 'number', label: 'Flags' },
  { name: 'tcp.flags.syn', type: 'boolean', label: 'Syn' },
  { name: 'tcp.flags.ack', type: 'boolean', label: 'Acknowledgment' },
  { name: 'tcp.flags.fin', type: 'boolean', label: 'Fin' },
  { name: 'tcp.flags.reset', type: 'boolean', label: 'Reset' },
  { name: 'tcp.flags.push', type: 'boolean', label: 'Push' },
  { name: 'tcp.window_size_value', type: 'number', label: 'Window' },
  { name: 'tcp.payload', type: 'bytes', label: 'TCP payload' },
  { name: 'lab', type: 'none', label: 'Postcard Lab' },
  { name: 'lab.leak', type: 'boolean', label: 'Carries canary bytes in clear' },
  { name: 'lab.stage', type: 'string', label: 'Middlebox stage that touched the bytes' },
  { name: 'lab.action', type: 'string', label: 'What the stage did (changed, dropped, added)' },
  { name: 'lab.point', type: 'string', label: 'Capture point' },
  { name: 'lab.conn', type: 'string', label: 'Connection' },
  { name: 'lab.record', type: 'number', label: 'Tap record sequence' },
];

/** Names `builtinValues` answers, so a filter skips it for dissected fields. */
export const BUILTIN_FIELDS: ReadonlySet<string> = new Set(tcpipFields.filter((f) => f.type !== 'none').map((f) => f.name));

/** The initial sequence number the synthesiser chose for a direction (packets.ts). */
export function initialSeq(point: string, conn: string, dir: Direction): number {
  return hash32(`${connKey(point, conn)}/${dir}`);
}

export function relSeq(p: Packet): number {
  return (p.seq - initialSeq(p.point, p.conn, p.dir)) >>> 0;
}

export function relAck(p: Packet): number {
  if (!(p.flags & TCP_ACK)) return 0;
  return (p.ack - initialSeq(p.point, p.conn, p.dir === 'c2s' ? 's2c' : 'c2s')) >>> 0;
}

export function flagText(flags: number): string {
  const names: string[] = [];
  if (flags & TCP_FIN) names.push('FIN');
  if (flags & TCP_SYN) names.push('SYN');
  if (flags & TCP_RST) names.push('RST');
  if (flags & TCP_PSH) names.push('PSH');
  if (flags & TCP_ACK) names.push('ACK');
  return names.join(', ');
}

/** The Info column of a packet no upper layer claimed. */
export function tcpInfo(p: Packet): string {
  if (p.payload.length > 0) return '[TCP segment of a reassembled PDU]';
  const mss = p.flags & TCP_SYN ? ' MSS=1460' : '';
  const ack = p.flags & TCP_ACK ? ` Ack=${relAck(p)}` : '';
  return `${p.srcPort} → ${p.dstPort} [${flagText(p.flags)}] Seq=${relSeq(p)}${ack} Win=${p.win} Len=${p.payload.length}${mss}`;
}

/** Per-packet facts the store knows beyond the packet itself. */
export interface PacketContext {
  stream: number;
  leak: boolean;
  /** Seconds since the first packet of the capture point. */
  relative: number;
  protocols: string;
}

/** Values of a built-in field, or undefined when the name is not one of ours. */
export function builtinValues(p: Packet, name: string, c: PacketContext): FieldValue[] | undefined {
  switch (name) {
    case 'frame': case 'eth': case 'ip': case 'tcp': case 'lab': return [true];
    case 'frame.number': return [p.no];
    case 'frame.len': case 'frame.cap_len': return [frameLength(p)];
    case 'frame.time_relative': return [c.relative];
    case 'frame.time_epoch': return [p.labTime / 1000];
    case 'frame.protocols': return [c.protocols];
    case 'eth.src': return [macText(macOf(p.src))];
    case 'eth.dst': return [macText(macOf(p.dst))];
    case 'eth.addr': return [macText(macOf(p.src)), macText(macOf(p.dst))];
    case 'eth.type': return [0x0800];
    case 'ip.src': return [p.src];
    case 'ip.dst': return [p.dst];
    case 'ip.addr': return [p.src, p.dst];
    case 'ip.len': return [IPV4_HEADER + tcpHeaderLength(p) + p.payload.length];
    case 'ip.id': return [p.no & 0xffff];
    case 'ip.ttl': return [64];
    case 'ip.proto': return [6];
    case 'tcp.srcport': return [p.srcPort];
    case 'tcp.dstport': return [p.dstPort];
    case 'tcp.port': return [p.srcPort, p.dstPort];
    case 'tcp.stream': return [c.stream];
    case 'tcp.len': return [p.payload.length];
    case 'tcp.seq': return [relSeq(p)];
    case 'tcp.seq_raw': return [p.seq];
    case 'tcp.nxtseq': return [relSeq(p) + p.payload.length + (p.flags & (TCP_SYN | TCP_FIN) ? 1 : 0)];
    case 'tcp.ack': return [relAck(p)];
    case 'tcp.ack_raw': return [p.ack];
    case 'tcp.hdr_len': return [tcpHeaderLength(p)];
    case 'tcp.flags': return [p.flags];
    case 'tcp.flags.syn': return [(p.flags & TCP_SYN) !== 0];
    case 'tcp.flags.ack': return [(p.flags & TCP_ACK) !== 0];
    case 'tcp.flags.fin': return [(p.flags & TCP_FIN) !== 0];
    case 'tcp.flags.reset': return [(p.flags & TCP_RST) !== 0];
    case 'tcp.flags.push': return [(p.flags & TCP_PSH) !== 0];
    case 'tcp.window_size_value': return [p.win];
    case 'tcp.payload': return p.payload.length > 0 ? [p.payload] : [];
    case 'lab.leak': return [c.leak];
    case 'lab.stage': return (p.marks ?? []).map((m) => m.stage);
    case 'lab.action': return (p.marks ?? []).map((m) => m.action);
    case 'lab.point': return [p.point];
    case 'lab.conn': return [p.conn];
    case 'lab.record': return p.recordSeq === undefined ? [] : [p.recordSeq];
    default: return undefined;
  }
}

/** Frame, Ethernet, IPv4 and TCP nodes, with byte ranges into the frame. */
export function lowerLayers(p: Packet, c: PacketContext): DetailNode[] {
  const len = frameLength(p);
  const tcpLen = tcpHeaderLength(p);
  const ip = ETH_HEADER;
  const tcp = ip + IPV4_HEADER;
  const nodes: DetailNode[] = [
    node(`Frame ${p.no}: ${len} bytes on wire (${len * 8} bits)`, [field('frame.number', p.no), field('frame.len', len)], [
      node(`Capture point: ${p.point}`),
      node(`Time since first frame: ${c.relative.toFixed(6)} seconds`),
      node(`[Protocols in frame: ${c.protocols}]`),
    ], { start: 0, end: len }),
    node(`Ethernet II, Src: ${macText(macOf(p.src))}, Dst: ${macText(macOf(p.dst))}`, [], [node('Type: IPv4 (0x0800)')], { start: 0, end: ETH_HEADER }),
    node(`Internet Protocol Version 4, Src: ${p.src}, Dst: ${p.dst}`, [], [
      node(`Total Length: ${IPV4_HEADER + tcpLen + p.payload.length}`, [], [], { start: ip + 2, end: ip + 4 }),
      node('Time to Live: 64', [], [], { start: ip + 8, end: ip + 9 }),
      node('Protocol: TCP (6)', [], [], { start: ip + 9, end: ip + 10 }),
      node(`Source Address: ${p.src}`, [], [], { start: ip + 12, end: ip + 16 }),
      node(`Destination Address: ${p.dst}`, [], [], { start: ip + 16, end: ip + 20 }),
    ], { start: ip, end: tcp }),
    node(`Transmission Control Protocol, Src Port: ${p.srcPort}, Dst Port: ${p.dstPort}, Seq: ${relSeq(p)}, Ack: ${relAck(p)}, Len: ${p.payload.length}`, [], [
      node(`[Stream index: ${c.stream}]`),
      node(`Sequence Number: ${relSeq(p)}    (relative sequence number)`, [], [], { start: tcp + 4, end: tcp + 8 }),
      node(`Sequence Number (raw): ${p.seq}`, [], [], { start: tcp + 4, end: tcp + 8 }),
      node(`Acknowledgment Number: ${relAck(p)}    (relative ack number)`, [], [], { start: tcp + 8, end: tcp + 12 }),
      node(`Flags: 0x${p.flags.toString(16).padStart(3, '0')} (${flagText(p.flags)})`, [], [], { start: tcp + 13, end: tcp + 14 }),
      node(`Window: ${p.win}`, [], [], { start: tcp + 14, end: tcp + 16 }),
      ...(p.payload.length > 0 ? [node(`TCP payload (${p.payload.length} bytes)`, [], [], { start: tcp + tcpLen, end: len })] : []),
    ], { start: tcp, end: tcp + tcpLen }),
  ];
  if (p.marks?.length) {
    nodes.push(node('Postcard Lab: middlebox stages', [], p.marks.map((m) => node(`${m.stage}: ${m.action}${m.note ? ` (${m.note})` : ''}`, [field('lab.stage', m.stage), field('lab.action', m.action)]))));
  }
  return nodes;
}
