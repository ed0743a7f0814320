/**
 * pcapng export (draft-ietf-opsawg-pcapng): what Wireshark and tshark open and decode.
 *
 *   SHB ─ DSB (TLS key log, secrets type 0x544c534b) ─ IDB per capture point ─ EPB per packet …
 *
 * Little-endian throughout (the SHB's byte-order magic says so). One interface per capture point,
 * link type 1 (Ethernet), `if_name` the point id and `if_description` its label, microsecond
 * timestamps (the default `if_tsresol`). An IDB is written just before the first packet of its
 * point, so packets can be streamed without knowing every point up front. The DSB comes first so
 * every TLS session can be decrypted from its first record.
 */
import type { CapturePoint, ConnectionKeys } from './tap.ts';
import type { Packet } from './packets.ts';
import { frameLength, writeFrameHeaders } from './frame.ts';

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const DSB = 0x0000000a;
/** Secrets type of a TLS key log in a Decryption Secrets Block ("TLSK"). */
export const TLS_KEY_LOG = 0x544c534b;
const LINKTYPE_ETHERNET = 1;

/** Where the store's packets, points and keys come from (a CaptureStore fits). */
export interface PacketSource {
  packets(point?: string): Iterable<Packet>;
  capturePoint(id: string): CapturePoint | undefined;
  allKeys(): ConnectionKeys[];
}

export interface PcapngOptions {
  /** Labels for the interfaces, when the source does not know them. */
  points?: CapturePoint[];
  /** Wall-clock base for timestamps, ms since epoch; default: the lab time of the first packet. */
  epochMs?: number;
  /** Write a comment on packets a middlebox stage touched (default true). */
  comments?: boolean;
  /**
   * One capture point's packets only (a source that has points). A file of every point holds the
   * same connection once per point, with the same addresses and ports, and Wireshark 4.0 keys a TCP
   * conversation on those alone: it takes the copies for one stream and flags each as a
   * retransmission or a lost segment. One point's file opens as the capture of one tap.
   */
  point?: string;
}

const pad4 = (n: number) => (n + 3) & ~3;

/** Options: code, length, value padded to 4; then opt_endofopt. */
function options(list: [number, Buffer][]): Buffer {
  if (list.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const [code, value] of list) {
    const head = Buffer.alloc(4);
    head.writeUInt16LE(code, 0);
    head.writeUInt16LE(value.length, 2);
    parts.push(head, value, Buffer.alloc(pad4(value.length) - value.length));
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

function block(type: number, body: Buffer): Buffer {
  const total = 12 + body.length;
  const out = Buffer.alloc(total);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(total, 4);
  body.copy(out, 8);
  out.writeUInt32LE(total, total - 4);
  return out;
}

export function sectionHeader(): Buffer {
  const body = Buffer.alloc(16);
  body.writeUInt32LE(0x1a2b3c4d, 0);
  body.writeUInt16LE(1, 4);
  body.writeUInt16LE(0, 6);
  body.writeBigInt64LE(-1n, 8); // section length unknown
  return block(SHB, Buffer.concat([body, options([[4, Buffer.from('Postcard Lab', 'utf8')]])]));
}

export function interfaceDescription(name: string, description?: string): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt16LE(LINKTYPE_ETHERNET, 0);
  body.writeUInt32LE(0, 4); // snaplen: no limit
  const opts: [number, Buffer][] = [[2, Buffer.from(name, 'utf8')]];
  if (description) opts.push([3, Buffer.from(description, 'utf8')]);
  opts.push([9, Buffer.from([6])]); // if_tsresol: microseconds
  return block(IDB, Buffer.concat([body, options(opts)]));
}

export function decryptionSecrets(keyLog: string): Buffer {
  const data = Buffer.from(keyLog, 'utf8');
  const body = Buffer.alloc(8 + pad4(data.length));
  body.writeUInt32LE(TLS_KEY_LOG, 0);
  body.writeUInt32LE(data.length, 4);
  data.copy(body, 8);
  return block(DSB, body);
}

/** The NSS key log file of a set of connections: every distinct line once, in order. */
export function exportKeyLog(keys: Iterable<ConnectionKeys>): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const k of keys) {
    for (const raw of k.tlsKeyLog) {
      for (const line of raw.split(/\r?\n/)) {
        const t = line.trim();
        if (!/^[A-Z0-9_]+ [0-9a-fA-F]+ [0-9a-fA-F]+$/.test(t) || seen.has(t)) continue;
        seen.add(t);
        lines.push(t);
      }
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

function isSource(x: PacketSource | Iterable<Packet>): x is PacketSource {
  return typeof (x as PacketSource).allKeys === 'function';
}

/** An Enhanced Packet Block, the frame built straight into it. */
function packetBlock(p: Packet, iface: number, micros: bigint, comment: string | undefined): Buffer {
  const caplen = frameLength(p);
  const opt = comment ? options([[1, Buffer.from(comment, 'utf8')]]) : Buffer.alloc(0);
  const total = 32 + pad4(caplen) + opt.length;
  const out = Buffer.alloc(total);
  out.writeUInt32LE(EPB, 0);
  out.writeUInt32LE(total, 4);
  out.writeUInt32LE(iface, 8);
  out.writeUInt32LE(Number(micros >> 32n) >>> 0, 12);
  out.writeUInt32LE(Number(micros & 0xffffffffn) >>> 0, 16);
  out.writeUInt32LE(caplen, 20);
  out.writeUInt32LE(caplen, 24);
  const header = writeFrameHeaders(p, out, 28);
  p.payload.copy(out, 28 + header);
  opt.copy(out, 28 + pad4(caplen));
  out.writeUInt32LE(total, total - 4);
  return out;
}

/** The blocks of a capture file, in order; streamable. */
export function* pcapngBlocks(source: PacketSource | Iterable<Packet>, keys?: Iterable<ConnectionKeys>, opts: PcapngOptions = {}): Generator<Buffer> {
  yield sectionHeader();
  const keyLog = exportKeyLog(keys ?? (isSource(source) ? source.allKeys() : []));
  if (keyLog) yield decryptionSecrets(keyLog);
  const packets = isSource(source) ? source.packets(opts.point) : source;
  const labels = new Map((opts.points ?? []).map((p) => [p.id, p.label]));
  const ifaces = new Map<string, number>();
  let base: number | undefined = opts.epochMs;
  for (const p of packets) {
    let iface = ifaces.get(p.point);
    if (iface === undefined) {
      iface = ifaces.size;
      ifaces.set(p.point, iface);
      const label = labels.get(p.point) ?? (isSource(source) ? source.capturePoint(p.point)?.label : undefined);
      yield interfaceDescription(p.point, label);
    }
    // Real time drives the packet clock; the lab clock of the first packet anchors it.
    base ??= p.labTime - p.t;
    const micros = BigInt(Math.max(0, Math.round((base + p.t) * 1000)));
    const comment = opts.comments !== false && p.marks?.length ? p.marks.map((m) => `${m.stage}: ${m.action}${m.note ? ` (${m.note})` : ''}`).join('; ') : undefined;
    yield packetBlock(p, iface, micros, comment);
  }
}

/** The whole file in memory. */
export function pcapngBuffer(source: PacketSource | Iterable<Packet>, keys?: Iterable<ConnectionKeys>, opts?: PcapngOptions): Buffer {
  return Buffer.concat([...pcapngBlocks(source, keys, opts)]);
}

/** Something to write blocks to: a list of Buffers, or a stream (file, socket) with back-pressure. */
export type PcapngSink = Buffer[] | NodeJS.WritableStream;

/**
 * Write a capture file to `out`, batching blocks into chunks of about 1 MiB and waiting for
 * `drain` when a stream asks. Resolves with what was written; does not end the stream.
 */
export async function writePcapng(source: PacketSource | Iterable<Packet>, keys: Iterable<ConnectionKeys> | undefined, out: PcapngSink, opts?: PcapngOptions): Promise<{ bytes: number; packets: number }> {
  let bytes = 0;
  let packets = 0;
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const chunk = batch.length === 1 ? batch[0] : Buffer.concat(batch, batchBytes);
    batch = [];
    batchBytes = 0;
    if (Array.isArray(out)) {
      out.push(chunk);
      return;
    }
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  for (const b of pcapngBlocks(source, keys, opts)) {
    if (b.readUInt32LE(0) === EPB) packets++;
    bytes += b.length;
    batch.push(b);
    batchBytes += b.length;
    if (batchBytes >= 1 << 20) await flush();
  }
  await flush();
  return { bytes, packets };
}
