/**
 * An independent capture writer for the infer tests: frames built byte by byte here (not with the
 * lab's app/capture code), written as classic pcap (either byte order, micro- or nanoseconds) or
 * pcapng (either byte order), over Ethernet, raw IP or Linux cooked link layers. A conversation
 * becomes SYN, SYN-ACK, ACK, data segments (cut to `mss`), FIN; a segment can be sent twice
 * (a retransmission) or two swapped (reordering), as real captures have them.
 */
export interface Turn {
  dir: 'c2s' | 's2c';
  text: string;
}

export interface Conversation {
  client: [string, number];
  server: [string, number];
  turns: Turn[];
  mss?: number;
  /** Send the data segment with this index twice. */
  duplicate?: number;
  /** Swap the data segments with this index and the next. */
  swap?: number;
}

export type LinkType = 'ethernet' | 'raw' | 'sll';
export interface Frame {
  data: Buffer;
  time: number;
}

const ip4 = (s: string) => Buffer.from(s.split('.').map(Number));

function ipTcp(src: [string, number], dst: [string, number], seq: number, ack: number, flags: number, payload: Buffer): Buffer {
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(src[1], 0);
  tcp.writeUInt16BE(dst[1], 2);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp.writeUInt32BE(ack >>> 0, 8);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  tcp.writeUInt16BE(65535, 14);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(40 + payload.length, 2);
  ip[8] = 64;
  ip[9] = 6;
  ip4(src[0]).copy(ip, 12);
  ip4(dst[0]).copy(ip, 16);
  return Buffer.concat([ip, tcp, payload]);
}

function link(ip: Buffer, type: LinkType): Buffer {
  if (type === 'raw') return ip;
  if (type === 'sll') {
    const h = Buffer.alloc(16);
    h.writeUInt16BE(0, 0); // sent to us
    h.writeUInt16BE(1, 2); // ARPHRD_ETHER
    h.writeUInt16BE(6, 4);
    h.writeUInt16BE(0x0800, 14);
    return Buffer.concat([h, ip]);
  }
  const eth = Buffer.alloc(14);
  eth.fill(0x02, 0, 12);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, ip]);
}

const SYN = 0x02, ACK = 0x10, PSH = 0x08, FIN = 0x01;

/** The frames of one conversation, starting at `t0` seconds. */
export function conversationFrames(c: Conversation, type: LinkType, t0 = 1_700_000_000): Frame[] {
  const isn = { c2s: 1000, s2c: 5000 };
  const next = { c2s: isn.c2s + 1, s2c: isn.s2c + 1 };
  const ends = (d: 'c2s' | 's2c') => (d === 'c2s' ? [c.client, c.server] as const : [c.server, c.client] as const);
  const frames: Buffer[] = [
    ipTcp(c.client, c.server, isn.c2s, 0, SYN, Buffer.alloc(0)),
    ipTcp(c.server, c.client, isn.s2c, isn.c2s + 1, SYN | ACK, Buffer.alloc(0)),
    ipTcp(c.client, c.server, isn.c2s + 1, isn.s2c + 1, ACK, Buffer.alloc(0)),
  ];
  const data: Buffer[] = [];
  for (const t of c.turns) {
    const bytes = Buffer.from(t.text, 'latin1');
    const mss = c.mss ?? 1460;
    for (let off = 0; off < bytes.length; off += mss) {
      const chunk = bytes.subarray(off, off + mss);
      const [src, dst] = ends(t.dir);
      const other = t.dir === 'c2s' ? 's2c' : 'c2s';
      data.push(ipTcp(src, dst, next[t.dir], next[other], ACK | PSH, chunk));
      next[t.dir] += chunk.length;
    }
  }
  if (c.swap !== undefined) [data[c.swap], data[c.swap + 1]] = [data[c.swap + 1], data[c.swap]];
  if (c.duplicate !== undefined) data.splice(c.duplicate + 1, 0, data[c.duplicate]);
  frames.push(...data);
  frames.push(ipTcp(c.client, c.server, next.c2s, next.s2c, FIN | ACK, Buffer.alloc(0)));
  frames.push(ipTcp(c.server, c.client, next.s2c, next.c2s + 1, FIN | ACK, Buffer.alloc(0)));
  return frames.map((ip, i) => ({ data: link(ip, type), time: t0 + i * 0.001 }));
}

const LINKTYPES: Record<LinkType, number> = { ethernet: 1, raw: 101, sll: 113 };

export function writePcap(frames: Frame[], type: LinkType, o: { bigEndian?: boolean; nano?: boolean } = {}): Buffer {
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    if (o.bigEndian) b.writeUInt32BE(v >>> 0);
    else b.writeUInt32LE(v >>> 0);
    return b;
  };
  const u16 = (v: number) => {
    const b = Buffer.alloc(2);
    if (o.bigEndian) b.writeUInt16BE(v);
    else b.writeUInt16LE(v);
    return b;
  };
  const parts: Buffer[] = [u32(o.nano ? 0xa1b23c4d : 0xa1b2c3d4), u16(2), u16(4), u32(0), u32(0), u32(65535), u32(LINKTYPES[type])];
  for (const f of frames) {
    const sec = Math.floor(f.time);
    const frac = Math.round((f.time - sec) * (o.nano ? 1e9 : 1e6));
    parts.push(u32(sec), u32(frac), u32(f.data.length), u32(f.data.length), f.data);
  }
  return Buffer.concat(parts);
}

export function writePcapng(frames: Frame[], type: LinkType, o: { bigEndian?: boolean; ifName?: string } = {}): Buffer {
  const be = !!o.bigEndian;
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    if (be) b.writeUInt32BE(v >>> 0);
    else b.writeUInt32LE(v >>> 0);
    return b;
  };
  const u16 = (v: number) => {
    const b = Buffer.alloc(2);
    if (be) b.writeUInt16BE(v);
    else b.writeUInt16LE(v);
    return b;
  };
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const block = (t: number, body: Buffer) => Buffer.concat([u32(t), u32(body.length + 12), body, u32(body.length + 12)]);
  const opt = (code: number, v: Buffer) => Buffer.concat([u16(code), u16(v.length), pad(v)]);
  const shb = block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d), u16(1), u16(0), Buffer.alloc(8, 0xff)]));
  // Nanosecond timestamps (if_tsresol 9) on the interface, to exercise the option.
  const idbOpts = Buffer.concat([...(o.ifName ? [opt(2, Buffer.from(o.ifName))] : []), opt(9, Buffer.from([9])), u16(0), u16(0)]);
  const idb = block(1, Buffer.concat([u16(LINKTYPES[type]), u16(0), u32(0), idbOpts]));
  const epbs = frames.map((f) => {
    const ts = BigInt(Math.round(f.time * 1e9));
    return block(6, Buffer.concat([u32(0), u32(Number(ts >> 32n)), u32(Number(ts & 0xffffffffn)), u32(f.data.length), u32(f.data.length), pad(f.data)]));
  });
  return Buffer.concat([shb, idb, ...epbs]);
}
