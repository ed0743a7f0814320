/**
 * What the packet list keeps per packet after dissection: the Protocol and Info columns, the
 * layer names and the flat field list the filter reads. Detail trees are not kept; `detail()`
 * dissects the packet's connection again (see store.ts).
 */
import type { Packet } from './packets.ts';
import type { DetailNode, FieldValue, Pdu } from './dissect/types.ts';
import { BUILTIN_FIELDS } from './dissect/tcpip.ts';
import type { PacketContext } from './dissect/tcpip.ts';
import { builtinValues, tcpInfo } from './dissect/tcpip.ts';
import type { FilterSubject } from './filter.ts';
import { frameBytes, frameIncludes, frameLength } from './frame.ts';
import type { PacketRow } from './store-types.ts';

export interface Held {
  p: Packet;
  /** tcp.stream: the connection's index in the store. */
  stream: number;
  /** Protocol column; undefined means plain TCP. */
  proto: string | undefined;
  /** Info column; undefined means computed from the TCP header when shown. */
  info: string | undefined;
  /** Depth of the PDUs the Info column came from. */
  depth: number;
  /** Layer names; shared arrays, one per combination (see `layersOf`). */
  layers: readonly string[] | undefined;
  /** Fields flat, name then value, name then value: no object per field. */
  fields: FieldValue[] | undefined;
  leak: boolean;
}

export function held(p: Packet, stream: number): Held {
  return { p, stream, proto: undefined, info: undefined, depth: -1, layers: undefined, fields: undefined, leak: false };
}

/**
 * Add PDUs to a packet's summary. The columns show the innermost layer, as Wireshark does: a
 * decrypted SMTP command shows as SMTP, not as the TLS record around it.
 */
export function summarise(h: Held, pdus: Pdu[]): void {
  if (pdus.length === 0) return;
  let max = -1;
  for (const pdu of pdus) max = Math.max(max, pdu.depth);
  const top = pdus.filter((x) => x.depth === max);
  const protocol = top[top.length - 1].protocol;
  const sep = protocol === 'SMTP' ? ' | ' : ', ';
  const info = top.map((x) => x.info).join(sep);
  if (max > h.depth) {
    h.depth = max;
    h.proto = protocol;
    h.info = info;
  } else if (max === h.depth) {
    h.info = `${h.info}${sep}${info}`;
  }
  let layers = h.layers;
  for (const pdu of pdus) if (!layers?.includes(pdu.layer)) layers = layersOf(layers, pdu.layer);
  h.layers = layers;
  const fields = h.fields ? [...h.fields] : [];
  for (const pdu of pdus) flatten(pdu.tree, fields);
  // An exact-size copy: a grown array keeps spare capacity, and there is one per packet.
  h.fields = fields.slice();
}

function flatten(tree: DetailNode, out: FieldValue[]): void {
  for (const f of tree.fields) out.push(f.name, f.value);
  for (const c of tree.children) flatten(c, out);
}

/** One shared, frozen array per combination of layers: a packet list holds only pointers. */
const LAYER_SETS = new Map<string, readonly string[]>();
function layersOf(base: readonly string[] | undefined, add: string): readonly string[] {
  const list = [...(base ?? []), add];
  const key = list.join(':');
  let shared = LAYER_SETS.get(key);
  if (!shared) LAYER_SETS.set(key, (shared = Object.freeze(list)));
  return shared;
}

/** A row of the packet list. */
export function rowOf(h: Held, firstT: number): PacketRow {
  const p = h.p;
  return {
    no: p.no,
    time: (p.t - firstT) / 1000,
    labTime: p.labTime,
    source: p.src,
    destination: p.dst,
    protocol: protocolColumn(h),
    length: frameLength(p),
    info: infoColumn(h),
    leak: h.leak,
    conn: p.conn,
    point: p.point,
    recordSeq: p.recordSeq,
    rewritten: (p.marks ?? []).some((m) => m.action !== 'logged'),
  };
}

export function protocolColumn(h: Held): string {
  return h.proto ?? 'TCP';
}

export function infoColumn(h: Held): string {
  return h.info ?? tcpInfo(h.p);
}

export function protocolsInFrame(h: Held): string {
  return ['eth', 'ethertype', 'ip', 'tcp', ...(h.layers ?? [])].join(':');
}

const ALWAYS = new Set(['frame', 'eth', 'ip', 'tcp', 'lab']);
const NONE: readonly FieldValue[] = Object.freeze([]);

/** The filter's view of one held packet; rebound per packet to avoid allocation. */
export class Subject implements FilterSubject, PacketContext {
  h!: Held;
  firstT = 0;

  bind(h: Held, firstT: number): this {
    this.h = h;
    this.firstT = firstT;
    return this;
  }

  get stream(): number {
    return this.h.stream;
  }
  get leak(): boolean {
    return this.h.leak;
  }
  get relative(): number {
    return (this.h.p.t - this.firstT) / 1000;
  }
  get protocols(): string {
    return protocolsInFrame(this.h);
  }

  values(name: string): readonly FieldValue[] {
    if (BUILTIN_FIELDS.has(name)) return builtinValues(this.h.p, name, this) ?? NONE;
    const fields = this.h.fields;
    if (!fields) return NONE;
    let out: FieldValue[] | undefined;
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === name) (out ??= []).push(fields[i + 1]);
    }
    return out ?? NONE;
  }

  some(name: string, test: (v: FieldValue) => boolean): boolean {
    if (BUILTIN_FIELDS.has(name)) return (builtinValues(this.h.p, name, this) ?? NONE).some(test);
    const fields = this.h.fields;
    if (!fields) return false;
    for (let i = 0; i < fields.length; i += 2) if (fields[i] === name && test(fields[i + 1])) return true;
    return false;
  }

  has(layer: string): boolean {
    return ALWAYS.has(layer) || (this.h.layers?.includes(layer) ?? false);
  }

  bytes(layer: string): Buffer | undefined {
    if (layer === 'frame' || layer === 'eth' || layer === 'lab') return frameBytes(this.h.p);
    return this.h.p.payload;
  }

  /** `frame contains` without building every frame (frame.ts). */
  includes(layer: string, needle: Buffer): boolean {
    if (layer === 'frame' || layer === 'eth' || layer === 'lab') return frameIncludes(this.h.p, needle);
    return this.h.p.payload.includes(needle);
  }
}
