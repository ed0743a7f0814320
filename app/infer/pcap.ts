/**
 * Reading captures written by any tool: classic pcap (either byte order, micro- or nanosecond
 * magic) and pcapng (draft-ietf-opsawg-pcapng: SHB, IDB, EPB, SPB and the obsolete PB; other
 * blocks skipped; several sections). Packet numbers count packet blocks from 1, as Wireshark's
 * frame numbers do, so a report can say "packet 14".
 */

export interface CapturedPacket {
  /** 1-based, in file order. */
  number: number;
  linkType: number;
  /** Interface name (pcapng `if_name`), when the file names it. */
  iface?: string;
  /** Seconds since the epoch (fractional). */
  time: number;
  data: Buffer;
}

export class CaptureFormatError extends Error {}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

export function readCapture(buf: Buffer, file = 'capture'): CapturedPacket[] {
  if (buf.length < 4) throw new CaptureFormatError(`${file}: too short to be a capture (${buf.length} bytes)`);
  if (buf.readUInt32LE(0) === PCAPNG_SHB) return readPcapng(buf, file);
  const le = buf.readUInt32LE(0), be = buf.readUInt32BE(0);
  if ([le, be].some((m) => m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS)) return readPcap(buf, file);
  throw new CaptureFormatError(`${file}: not a pcap or pcapng file (magic 0x${buf.subarray(0, 4).toString('hex')})`);
}

function readPcap(buf: Buffer, file: string): CapturedPacket[] {
  const little = buf.readUInt32LE(0) === PCAP_MAGIC_US || buf.readUInt32LE(0) === PCAP_MAGIC_NS;
  const u32 = (at: number) => (little ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  if (buf.length < 24) throw new CaptureFormatError(`${file}: pcap header cut short`);
  const nano = u32(0) === PCAP_MAGIC_NS;
  const linkType = u32(20) & 0x0fffffff;
  const packets: CapturedPacket[] = [];
  for (let at = 24; at < buf.length;) {
    if (at + 16 > buf.length) throw new CaptureFormatError(`${file}: record header of packet ${packets.length + 1} cut short at byte ${at}`);
    const sec = u32(at), frac = u32(at + 4), incl = u32(at + 8);
    if (at + 16 + incl > buf.length) throw new CaptureFormatError(`${file}: packet ${packets.length + 1} claims ${incl} bytes but the file ends first`);
    packets.push({ number: packets.length + 1, linkType, time: sec + frac / (nano ? 1e9 : 1e6), data: buf.subarray(at + 16, at + 16 + incl) });
    at += 16 + incl;
  }
  return packets;
}

interface Iface {
  linkType: number;
  name?: string;
  /** Units per second of the timestamps. */
  tsPerSecond: number;
}

function readPcapng(buf: Buffer, file: string): CapturedPacket[] {
  const packets: CapturedPacket[] = [];
  let little = true;
  let ifaces: Iface[] = [];
  const u16 = (at: number) => (little ? buf.readUInt16LE(at) : buf.readUInt16BE(at));
  const u32 = (at: number) => (little ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  /** Options of a block body from `at` to `end`: code → values. */
  const options = (at: number, end: number): Map<number, Buffer[]> => {
    const opts = new Map<number, Buffer[]>();
    while (at + 4 <= end) {
      const code = u16(at), len = u16(at + 2);
      if (code === 0) break;
      const value = buf.subarray(at + 4, Math.min(end, at + 4 + len));
      opts.set(code, [...(opts.get(code) ?? []), value]);
      at += 4 + ((len + 3) & ~3);
    }
    return opts;
  };
  for (let at = 0; at < buf.length;) {
    if (at + 12 > buf.length) throw new CaptureFormatError(`${file}: block at byte ${at} cut short`);
    const type = buf.readUInt32LE(at);
    if (type === PCAPNG_SHB) {
      const magic = buf.readUInt32LE(at + 8);
      if (magic === BYTE_ORDER_MAGIC) little = true;
      else if (buf.readUInt32BE(at + 8) === BYTE_ORDER_MAGIC) little = false;
      else throw new CaptureFormatError(`${file}: section header at byte ${at} has no byte-order magic`);
      ifaces = [];
    }
    const blockType = u32(at);
    const total = u32(at + 4);
    if (total < 12 || total % 4 !== 0 || at + total > buf.length) throw new CaptureFormatError(`${file}: block at byte ${at} has a bad length ${total}`);
    const body = at + 8, end = at + total - 4;
    switch (blockType) {
      case 0x00000001: { // IDB
        const opts = options(body + 8, end);
        const res = opts.get(9)?.[0]?.[0];
        const tsPerSecond = res === undefined ? 1e6 : res & 0x80 ? 2 ** (res & 0x7f) : 10 ** res;
        ifaces.push({ linkType: u16(body), name: opts.get(2)?.[0]?.toString('utf8'), tsPerSecond });
        break;
      }
      case 0x00000006: { // EPB
        const iface = ifaces[u32(body)];
        if (!iface) throw new CaptureFormatError(`${file}: packet ${packets.length + 1} names interface ${u32(body)}, which no IDB described`);
        const ts = (BigInt(u32(body + 4)) << 32n) | BigInt(u32(body + 8));
        const cap = u32(body + 12);
        if (body + 20 + cap > end) throw new CaptureFormatError(`${file}: packet ${packets.length + 1} claims ${cap} bytes beyond its block`);
        packets.push({ number: packets.length + 1, linkType: iface.linkType, iface: iface.name, time: Number(ts) / iface.tsPerSecond, data: buf.subarray(body + 20, body + 20 + cap) });
        break;
      }
      case 0x00000003: { // SPB: interface 0, no timestamp
        const iface = ifaces[0];
        if (!iface) throw new CaptureFormatError(`${file}: simple packet block before any IDB`);
        const orig = u32(body);
        packets.push({ number: packets.length + 1, linkType: iface.linkType, iface: iface.name, time: 0, data: buf.subarray(body + 4, Math.min(end, body + 4 + orig)) });
        break;
      }
      case 0x00000002: { // obsolete Packet Block
        const iface = ifaces[u16(body)];
        if (!iface) throw new CaptureFormatError(`${file}: packet block names an unknown interface`);
        const ts = (BigInt(u32(body + 4)) << 32n) | BigInt(u32(body + 8));
        const cap = u32(body + 12);
        packets.push({ number: packets.length + 1, linkType: iface.linkType, iface: iface.name, time: Number(ts) / iface.tsPerSecond, data: buf.subarray(body + 20, body + 20 + cap) });
        break;
      }
      default:
        break; // SHB handled above; NRB, ISB, DSB, custom blocks carry nothing we need
    }
    at += total;
  }
  return packets;
}
