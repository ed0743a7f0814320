/**
 * From two capture files to an inference: read both (pcap or pcapng), keep the packets of the
 * side each stands for, cut them into TCP connections and SMTP dialogues, pair the sessions in
 * order and infer the box between them (infer.ts).
 *
 * One file may hold both sides: the lab's own pcapng names its interfaces `<path>/sent` (before
 * the box) and `<path>/wire` (after it). With such names, `--sent` takes the `/sent` interfaces
 * and `--wire` the `/wire` ones; a file without them is taken whole.
 */
import fs from 'node:fs';
import { readCapture, type CapturedPacket } from './pcap.ts';
import { tcpConnections } from './tcp.ts';
import { readDialogue, type Dialogue } from './smtp.ts';
import { inferFromDialogues, type Inference } from './infer.ts';

export interface SideOptions {
  /** Take only packets of interfaces with this name (pcapng `if_name`). */
  iface?: string;
}

/** The lab's paths in a file (`<path>/sent` and `<path>/wire` interface pairs), in order of first packet. */
export function labPaths(packets: CapturedPacket[]): string[] {
  const names = new Set(packets.map((p) => p.iface).filter((n): n is string => !!n));
  const paths: string[] = [];
  for (const n of names) {
    const m = /^(.*)\/sent$/.exec(n);
    if (m && names.has(`${m[1]}/wire`) && !paths.includes(m[1])) paths.push(m[1]);
  }
  return paths;
}

export function sidePackets(packets: CapturedPacket[], role: 'sent' | 'wire', o: SideOptions & { path?: string } = {}): CapturedPacket[] {
  if (o.iface) return packets.filter((p) => p.iface === o.iface);
  const paths = labPaths(packets);
  if (paths.length === 0) return packets;
  const path = o.path ?? paths[0];
  return packets.filter((p) => p.iface === `${path}/${role}`);
}

/** SMTP dialogues of a side: connections whose server greets with a 2xx/4xx/5xx reply or listens on an SMTP port. */
export function dialoguesOf(packets: CapturedPacket[]): Dialogue[] {
  return tcpConnections(packets)
    .map(readDialogue)
    .filter((d) => d.greeting !== undefined || [25, 465, 587, 2525].includes(d.conn.server.port))
    .filter((d) => d.greeting === undefined || /^\d{3}/.test(d.greeting.lines[0].text) || d.greeting.partial);
}

export interface CaptureInference extends Inference {
  sentFile: string;
  wireFile: string;
  /** The lab path the interfaces belonged to, when the files named one. */
  path?: string;
  /** Other lab paths in the files (infer them with `--path`). */
  otherPaths: string[];
}

export function inferFromFiles(sentFile: string, wireFile: string, o: { sent?: SideOptions; wire?: SideOptions; path?: string } = {}): CaptureInference {
  const sentAll = readCapture(fs.readFileSync(sentFile), sentFile);
  const wireAll = wireFile === sentFile ? sentAll : readCapture(fs.readFileSync(wireFile), wireFile);
  const paths = [...new Set([...labPaths(sentAll), ...labPaths(wireAll)])];
  if (o.path && !paths.includes(o.path)) throw new Error(`no lab path ${o.path} in the captures (paths: ${paths.join(', ') || 'none'})`);
  const path = o.path ?? paths[0];
  const sent = sidePackets(sentAll, 'sent', { ...o.sent, path });
  const wire = sidePackets(wireAll, 'wire', { ...o.wire, path });
  return { ...inferFromDialogues(dialoguesOf(sent), dialoguesOf(wire)), sentFile, wireFile, path, otherPaths: paths.filter((p) => p !== path) };
}
