/**
 * Frame bytes for a synthesised packet, built on demand: Ethernet II, IPv4, TCP.
 *
 *   0            14             34                 54 (58 with the MSS option of a SYN)
 *   | Ethernet II | IPv4 (RFC 791) | TCP (RFC 9293) | payload
 *
 * Checksums are real (RFC 1071 one's-complement sums), so Wireshark and tshark show them as good.
 */
import type { Packet } from './packets.ts';
import { TCP_SYN } from './packets.ts';

export const ETH_HEADER = 14;
export const IPV4_HEADER = 20;
const TCP_BASE_HEADER = 20;

const parsedIps = new Map<string, Buffer>();

/** IPv4 address text to its four bytes; anything unparsable becomes 0.0.0.0. Cached: a lab has few hosts. */
export function ipv4Bytes(ip: string): Buffer {
  let out = parsedIps.get(ip);
  if (out) return out;
  out = Buffer.alloc(4);
  const parts = ip.split('.');
  if (parts.length === 4 && parts.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255)) {
    for (let i = 0; i < 4; i++) out[i] = Number(parts[i]);
  } else out.fill(0);
  if (parsedIps.size < 4096) parsedIps.set(ip, out);
  return out;
}

/** A locally administered MAC (02:00 + the IPv4 address), so each simulated host has a stable one. */
export function macOf(ip: string): Buffer {
  return Buffer.concat([Buffer.from([0x02, 0x00]), ipv4Bytes(ip)]);
}

export function macText(mac: Buffer): string {
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** TCP header length: a SYN carries the MSS option (RFC 9293 §3.7.1), 4 bytes more. */
export function tcpHeaderLength(p: Pick<Packet, 'flags'>): number {
  return p.flags & TCP_SYN ? TCP_BASE_HEADER + 4 : TCP_BASE_HEADER;
}

export function headerLength(p: Pick<Packet, 'flags'>): number {
  return ETH_HEADER + IPV4_HEADER + tcpHeaderLength(p);
}

export function frameLength(p: Pick<Packet, 'flags' | 'payload'>): number {
  return headerLength(p) + p.payload.length;
}

/** RFC 1071: one's-complement sum of 16-bit words, folded; `initial` carries a partial sum. */
export function onesComplementSum(buf: Buffer, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i < end) sum += buf[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export interface FrameOptions {
  /** Maximum segment size advertised in SYNs. */
  mss?: number;
  /** Compute the TCP checksum (a pass over the payload); default true. */
  checksum?: boolean;
}

/** Only the headers (Ethernet, IPv4, TCP with its checksum over the payload). */
export function frameHeaders(p: Packet, opts: FrameOptions = {}): Buffer {
  // Every header byte is written below, so the pool's unzeroed memory is fine.
  const h = Buffer.allocUnsafe(headerLength(p));
  writeFrameHeaders(p, h, 0, opts);
  return h;
}

/** Write the headers into `h` at `at` (every byte of them); returns their length. */
export function writeFrameHeaders(p: Packet, h: Buffer, at: number, opts: FrameOptions = {}): number {
  const tcpLen = tcpHeaderLength(p);
  const src = ipv4Bytes(p.src);
  const dst = ipv4Bytes(p.dst);
  // Ethernet II: destination MAC, source MAC, EtherType IPv4.
  h[at] = 0x02;
  h[at + 1] = 0;
  dst.copy(h, at + 2);
  h[at + 6] = 0x02;
  h[at + 7] = 0;
  src.copy(h, at + 8);
  h.writeUInt16BE(0x0800, at + 12);
  // IPv4 (RFC 791 §3.1): no options, DF set, TTL 64, protocol 6 (TCP).
  const ip = at + ETH_HEADER;
  h[ip] = 0x45;
  h[ip + 1] = 0;
  h.writeUInt16BE(IPV4_HEADER + tcpLen + p.payload.length, ip + 2);
  h.writeUInt16BE(p.no & 0xffff, ip + 4);
  h.writeUInt16BE(0x4000, ip + 6);
  h[ip + 8] = 64;
  h[ip + 9] = 6;
  h.writeUInt16BE(0, ip + 10);
  src.copy(h, ip + 12);
  dst.copy(h, ip + 16);
  h.writeUInt16BE(~onesComplementSum(h, ip, ip + IPV4_HEADER) & 0xffff, ip + 10);
  // TCP (RFC 9293 §3.1).
  const tcp = ip + IPV4_HEADER;
  h.writeUInt16BE(p.srcPort, tcp);
  h.writeUInt16BE(p.dstPort, tcp + 2);
  h.writeUInt32BE(p.seq >>> 0, tcp + 4);
  h.writeUInt32BE(p.ack >>> 0, tcp + 8);
  h[tcp + 12] = (tcpLen / 4) << 4;
  h[tcp + 13] = p.flags & 0x3f;
  h.writeUInt16BE(p.win & 0xffff, tcp + 14);
  h.writeUInt16BE(0, tcp + 16);
  h.writeUInt16BE(0, tcp + 18);
  if (p.flags & TCP_SYN) {
    h[tcp + 20] = 2; // kind: maximum segment size
    h[tcp + 21] = 4;
    h.writeUInt16BE(opts.mss ?? 1460, tcp + 22);
  }
  if (opts.checksum === false) return ETH_HEADER + IPV4_HEADER + tcpLen;
  // Checksum over the pseudo-header (src, dst, zero, protocol, TCP length), header and payload.
  let sum = ((src[0] << 8) | src[1]) + ((src[2] << 8) | src[3]) + ((dst[0] << 8) | dst[1]) + ((dst[2] << 8) | dst[3]);
  sum += 6 + tcpLen + p.payload.length;
  sum = onesComplementSum(h, tcp, tcp + tcpLen, sum);
  sum = onesComplementSum(p.payload, 0, p.payload.length, sum);
  h.writeUInt16BE(~sum & 0xffff, tcp + 16);
  return ETH_HEADER + IPV4_HEADER + tcpLen;
}

/** The whole frame as it would sit in a capture file. */
export function frameBytes(p: Packet, opts: FrameOptions = {}): Buffer {
  return Buffer.concat([frameHeaders(p, opts), p.payload]);
}

const scratch = Buffer.alloc(256);

/** Offset of the TCP checksum in a frame. */
const TCP_CHECKSUM = ETH_HEADER + IPV4_HEADER + 16;

/**
 * Whether the frame holds `needle`, without building it for every packet: the payload is searched
 * as it is; the headers are built without the TCP checksum (a pass over the payload), and only
 * when a match could need the two checksum bytes is the real checksum computed.
 */
export function frameIncludes(p: Packet, needle: Buffer): boolean {
  if (needle.length === 0) return true;
  if (p.payload.includes(needle)) return true;
  const size = headerLength(p) + Math.min(p.payload.length, needle.length - 1);
  // One scratch buffer for the common case: no allocation per packet while filtering.
  const head = size <= scratch.length ? scratch.subarray(0, size) : Buffer.allocUnsafe(size);
  const hl = writeFrameHeaders(p, head, 0, { checksum: false });
  p.payload.copy(head, hl, 0, head.length - hl);
  const cs = TCP_CHECKSUM;
  // A match clear of the two checksum bytes is a match whatever the checksum is.
  for (let at = head.indexOf(needle); at >= 0; at = head.indexOf(needle, at + 1)) {
    if (at + needle.length <= cs || at >= cs + 2) return true;
  }
  // Windows that cover the checksum: compare the other bytes first, then the real checksum.
  let real: Buffer | undefined;
  for (let at = Math.max(0, cs - needle.length + 1); at <= cs + 1 && at + needle.length <= head.length; at++) {
    let ok = true;
    for (let i = 0; i < needle.length && ok; i++) {
      const k = at + i;
      if (k !== cs && k !== cs + 1) ok = head[k] === needle[i];
    }
    if (!ok) continue;
    real ??= frameHeaders(p);
    let exact = true;
    for (let i = 0; i < needle.length && exact; i++) {
      const k = at + i;
      exact = (k < real.length ? real[k] : head[k]) === needle[i];
    }
    if (exact) return true;
  }
  return false;
}
