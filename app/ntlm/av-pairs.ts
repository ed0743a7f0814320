/**
 * AV_PAIR lists, MS-NLMP §2.2.2.1: the TargetInfo of a CHALLENGE and the tail of an NTLMv2
 * response. Each pair is AvId (u16 LE), AvLen (u16 LE), Value; the list ends with MsvAvEOL.
 */
export const AvId = {
  MsvAvEOL: 0,
  MsvAvNbComputerName: 1,
  MsvAvNbDomainName: 2,
  MsvAvDnsComputerName: 3,
  MsvAvDnsDomainName: 4,
  MsvAvDnsTreeName: 5,
  MsvAvFlags: 6,
  MsvAvTimestamp: 7,
  MsvAvSingleHost: 8,
  MsvAvTargetName: 9,
  MsvAvChannelBindings: 10,
} as const;

export interface AvPair {
  id: number;
  value: Buffer;
}

const NAMES = new Map<number, string>(Object.entries(AvId).map(([name, id]) => [id, name]));

/** `MsvAvNbDomainName`, or `AvId 0x00ff` for an id the spec does not define. */
export function avPairName(id: number): string {
  return NAMES.get(id) ?? `AvId 0x${id.toString(16).padStart(4, '0')}`;
}

/** A pair whose value is a UTF-16LE name (the *Name ids are always Unicode, §2.2.2.1). */
export function avName(id: number, name: string): AvPair {
  return { id, value: Buffer.from(name, 'utf16le') };
}

/** Encodes the pairs and appends MsvAvEOL (any EOL in `pairs` is dropped, so there is one). */
export function encodeAvPairs(pairs: AvPair[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of pairs) {
    if (p.id === AvId.MsvAvEOL) continue;
    const head = Buffer.alloc(4);
    head.writeUInt16LE(p.id, 0);
    head.writeUInt16LE(p.value.length, 2);
    parts.push(head, p.value);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

/**
 * Decodes a pair list up to MsvAvEOL (the EOL itself is not returned). An empty buffer is an
 * empty list; a pair that runs past the end is an error; bytes after EOL are ignored (§2.2.2.1
 * puts nothing there, but padding after it is common).
 */
export function decodeAvPairs(buf: Buffer): { ok: true; value: AvPair[] } | { ok: false; error: string } {
  const pairs: AvPair[] = [];
  let at = 0;
  while (at < buf.length) {
    if (at + 4 > buf.length) return { ok: false, error: `AV_PAIR header truncated at byte ${at}` };
    const id = buf.readUInt16LE(at);
    const len = buf.readUInt16LE(at + 2);
    if (id === AvId.MsvAvEOL) return { ok: true, value: pairs };
    if (at + 4 + len > buf.length) return { ok: false, error: `${avPairName(id)} runs past the end of the list` };
    pairs.push({ id, value: Buffer.from(buf.subarray(at + 4, at + 4 + len)) });
    at += 4 + len;
  }
  return buf.length === 0 ? { ok: true, value: pairs } : { ok: false, error: 'AV_PAIR list without MsvAvEOL' };
}
