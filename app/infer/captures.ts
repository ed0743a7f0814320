/**
 * From two capture files to an inference: read both (pcap or pcapng), keep the packets of the
 * side each stands for, cut them into TCP connections and SMTP dialogues, pair the sessions in
 * order and infer the box between them (infer.ts).
 *
 * One file may hold both sides: the lab's own pcapng names its interfaces `<path>/sent` (before
 * the box) and `<path>/received` (after it; `<path>/wire` is the Internet, on whichever side of
 * the box that is — docs/packet-view.md). With such names, `--sent` takes the `/sent` interfaces
 * and `--wire` the ones after the box (`/received`, or `/wire` in files of the lab's first
 * versions, which named the point after the box so); a file without them is taken whole.
 */
import fs from 'node:fs';
import { CaptureFormatError, readCapture, type CapturedPacket } from './pcap.ts';
import { LINK_TYPES_READ, tcpConnections } from './tcp.ts';
import { readDialogue, type Dialogue } from './smtp.ts';
import { inferFromDialogues, type Inference } from './infer.ts';
import { parseReplyLine } from '../smtp/wire.ts';

export interface SideOptions {
  /** Take only packets of interfaces with this name (pcapng `if_name`). */
  iface?: string;
}

function ifaceNames(packets: CapturedPacket[]): Set<string> {
  return new Set(packets.map((p) => p.iface).filter((n): n is string => !!n));
}

/** The interface after the box: `/received`, or `/wire` in older files. */
function afterBox(names: Set<string>, path: string): string | undefined {
  return [`${path}/received`, `${path}/wire`].find((n) => names.has(n));
}

/** The lab's paths in a file (`<path>/sent` with an interface after the box), in order of first packet. */
export function labPaths(packets: CapturedPacket[]): string[] {
  const names = ifaceNames(packets);
  const paths: string[] = [];
  for (const n of names) {
    const m = /^(.*)\/sent$/.exec(n);
    if (m && afterBox(names, m[1]) && !paths.includes(m[1])) paths.push(m[1]);
  }
  return paths;
}

/** `sent`: before the box; `wire`: after it (the side the box changed). */
export function sidePackets(packets: CapturedPacket[], role: 'sent' | 'wire', o: SideOptions & { path?: string } = {}): CapturedPacket[] {
  if (o.iface) return packets.filter((p) => p.iface === o.iface);
  const paths = labPaths(packets);
  if (paths.length === 0) return packets;
  const path = o.path ?? paths[0];
  const iface = role === 'sent' ? `${path}/sent` : afterBox(ifaceNames(packets), path);
  return packets.filter((p) => p.iface === iface);
}

/** SMTP dialogues of a side: connections whose server greets with a 2xx/4xx/5xx reply or listens on an SMTP port. */
export function dialoguesOf(packets: CapturedPacket[]): Dialogue[] {
  return tcpConnections(packets)
    .map(readDialogue)
    .filter((d) => d.greeting !== undefined || [25, 465, 587, 2525].includes(d.conn.server.port))
    .filter((d) => d.greeting === undefined || parseReplyLine(d.greeting.lines[0].text) !== undefined || d.greeting.partial);
}

export interface CaptureInference extends Inference {
  sentFile: string;
  wireFile: string;
  /** The lab path the interfaces belonged to, when the files named one. */
  path?: string;
  /** Other lab paths in the files (infer them with `--path`). */
  otherPaths: string[];
}

/** An option names what the captures do not hold (a lab path, an interface): the option is wrong. */
export class CaptureOptionError extends Error {
  constructor(readonly option: 'path' | 'sent-interface' | 'wire-interface', message: string) {
    super(message);
  }
}

/** A capture none of whose packets has a link type this reader opens: said, not read as "0 SMTP sessions". */
function checkLinkTypes(packets: CapturedPacket[], file: string): void {
  if (packets.length === 0 || packets.some((p) => LINK_TYPES_READ.has(p.linkType))) return;
  const types = [...new Set(packets.map((p) => p.linkType))];
  const byName = new Map<string, number[]>();
  for (const [n, name] of LINK_TYPES_READ) byName.set(name, [...(byName.get(name) ?? []), n]);
  const known = [...byName].map(([name, ns]) => `${name} ${ns.join('/')}`).join(', ');
  throw new CaptureFormatError(`${file}: its packets have link type ${types.join(', ')}, which infer does not read (it reads ${known})`);
}

export function inferFromFiles(sentFile: string, wireFile: string, o: { sent?: SideOptions; wire?: SideOptions; path?: string } = {}): CaptureInference {
  const sentAll = readCapture(fs.readFileSync(sentFile), sentFile);
  const wireAll = wireFile === sentFile ? sentAll : readCapture(fs.readFileSync(wireFile), wireFile);
  checkLinkTypes(sentAll, sentFile);
  if (wireFile !== sentFile) checkLinkTypes(wireAll, wireFile);
  const paths = [...new Set([...labPaths(sentAll), ...labPaths(wireAll)])];
  if (o.path && !paths.includes(o.path)) throw new CaptureOptionError('path', `no lab path ${o.path} in the captures (paths: ${paths.join(', ') || 'none'})`);
  for (const [side, all, file] of [['sent', sentAll, sentFile], ['wire', wireAll, wireFile]] as const) {
    const iface = o[side]?.iface;
    const names = [...ifaceNames(all)];
    if (iface && !names.includes(iface)) throw new CaptureOptionError(`${side}-interface`, `no interface ${iface} in ${file} (interfaces: ${names.join(', ') || 'none named'})`);
  }
  const path = o.path ?? paths[0];
  const sent = sidePackets(sentAll, 'sent', { ...o.sent, path });
  const wire = sidePackets(wireAll, 'wire', { ...o.wire, path });
  return { ...inferFromDialogues(dialoguesOf(sent), dialoguesOf(wire)), sentFile, wireFile, path, otherPaths: paths.filter((p) => p !== path) };
}
