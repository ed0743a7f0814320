/**
 * NTLMSSP messages, MS-NLMP §2.2.1: NEGOTIATE (type 1), CHALLENGE (type 2), AUTHENTICATE
 * (type 3). Encoders build them; `decodeNtlmMessage` reads any of them from hostile bytes and
 * never throws — the capture engine runs it on whatever crossed the wire, including what a
 * middlebox mangled.
 *
 *   "NTLMSSP\0" | MessageType | fixed fields (security buffers: len, maxLen, offset) | payload
 */
import { oem, unicode } from './crypto.ts';
import { NTLMSSP_NEGOTIATE_UNICODE, NTLMSSP_NEGOTIATE_VERSION, hasFlag } from './flags.ts';
import { decodeAvPairs, encodeAvPairs } from './av-pairs.ts';
import type { AvPair } from './av-pairs.ts';

export { flagNames } from './flags.ts';
export type { AvPair } from './av-pairs.ts';

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

export interface NegotiateMessage {
  type: 1;
  flags: number;
  /** OEM, only meaningful with NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED. */
  domain: string;
  workstation: string;
  version?: Buffer;
}

export interface ChallengeMessage {
  type: 2;
  flags: number;
  serverChallenge: Buffer;
  targetName: string;
  targetInfo: AvPair[];
  /** TargetInfo exactly as received: the NTLMv2 response hashes these bytes (MS-NLMP §3.3.2). */
  targetInfoBytes: Buffer;
  version?: Buffer;
}

export interface AuthenticateMessage {
  type: 3;
  flags: number;
  lmResponse: Buffer;
  ntResponse: Buffer;
  domain: string;
  user: string;
  workstation: string;
  encryptedRandomSessionKey: Buffer;
  mic?: Buffer;
  version?: Buffer;
}

export type NtlmMessage = NegotiateMessage | ChallengeMessage | AuthenticateMessage;

export type DecodeResult = { ok: true; message: NtlmMessage } | { ok: false; error: string };

// ---------------------------------------------------------------------------------- encoding

interface Field {
  data: Buffer;
}

/**
 * Lays out a message: the fixed header with one 8-byte security buffer per field, then the
 * payload in field order. An empty field gets length 0 and offset 0, as in the MS-NLMP §4.2
 * examples.
 */
function layout(head: Buffer, fieldPositions: number[], fields: Field[], payloadStart: number): Buffer {
  let offset = payloadStart;
  fields.forEach((field, i) => {
    const at = fieldPositions[i];
    head.writeUInt16LE(field.data.length, at);
    head.writeUInt16LE(field.data.length, at + 2);
    head.writeUInt32LE(field.data.length === 0 ? 0 : offset, at + 4);
    offset += field.data.length;
  });
  return Buffer.concat([head.subarray(0, payloadStart), ...fields.map((f) => f.data)]);
}

function header(type: 1 | 2 | 3, size: number): Buffer {
  const head = Buffer.alloc(size);
  SIGNATURE.copy(head, 0);
  head.writeUInt32LE(type, 8);
  return head;
}

function text(flags: number, s: string): Buffer {
  return hasFlag(flags, NTLMSSP_NEGOTIATE_UNICODE) ? unicode(s) : oem(s);
}

function versionBytes(version: Buffer | undefined): Buffer {
  const v = Buffer.alloc(8);
  version?.copy(v, 0, 0, 8);
  return v;
}

/** MS-NLMP §2.2.1.1. Domain and workstation are always OEM here. */
export function encodeNegotiate(m: { flags: number; domain?: string; workstation?: string; version?: Buffer }): Buffer {
  const withVersion = m.version !== undefined || hasFlag(m.flags, NTLMSSP_NEGOTIATE_VERSION);
  const size = withVersion ? 40 : 32;
  const head = header(1, size);
  head.writeUInt32LE(m.flags >>> 0, 12);
  if (withVersion) versionBytes(m.version).copy(head, 32);
  return layout(head, [16, 24], [{ data: oem(m.domain ?? '') }, { data: oem(m.workstation ?? '') }], size);
}

/** MS-NLMP §2.2.1.2. TargetInfo is a list of AV pairs (§2.2.2.1), MsvAvEOL appended. */
export function encodeChallenge(m: {
  flags: number;
  serverChallenge: Buffer;
  targetName: string;
  targetInfo?: AvPair[];
  version?: Buffer;
}): Buffer {
  const withVersion = m.version !== undefined || hasFlag(m.flags, NTLMSSP_NEGOTIATE_VERSION);
  const size = withVersion ? 56 : 48;
  const head = header(2, size);
  head.writeUInt32LE(m.flags >>> 0, 20);
  m.serverChallenge.copy(head, 24, 0, 8);
  if (withVersion) versionBytes(m.version).copy(head, 48);
  const info = m.targetInfo ? encodeAvPairs(m.targetInfo) : Buffer.alloc(0);
  return layout(head, [12, 40], [{ data: text(m.flags, m.targetName) }, { data: info }], size);
}

/** MS-NLMP §2.2.1.3. The MIC slot is only written when a MIC is given. */
export function encodeAuthenticate(m: Omit<AuthenticateMessage, 'type'>): Buffer {
  const withVersion = m.version !== undefined || m.mic !== undefined || hasFlag(m.flags, NTLMSSP_NEGOTIATE_VERSION);
  const size = m.mic ? 88 : withVersion ? 72 : 64;
  const head = header(3, size);
  head.writeUInt32LE(m.flags >>> 0, 60);
  if (withVersion) versionBytes(m.version).copy(head, 64);
  if (m.mic) m.mic.copy(head, 72, 0, 16);
  // Payload order as in the MS-NLMP §4.2.2.3 example: names first, then responses and key.
  return layout(head, [28, 36, 44, 12, 20, 52], [
    { data: text(m.flags, m.domain) },
    { data: text(m.flags, m.user) },
    { data: text(m.flags, m.workstation) },
    { data: m.lmResponse },
    { data: m.ntResponse },
    { data: m.encryptedRandomSessionKey },
  ], size);
}

// ---------------------------------------------------------------------------------- decoding

type Read<T> = { ok: true; value: T } | { ok: false; error: string };

/** A security buffer (len, maxLen, offset), bounds-checked against the message. */
function field(buf: Buffer, at: number, name: string): Read<{ data: Buffer; offset: number }> {
  if (at + 8 > buf.length) return { ok: true, value: { data: Buffer.alloc(0), offset: 0 } };
  const len = buf.readUInt16LE(at);
  const offset = buf.readUInt32LE(at + 4);
  if (len === 0) return { ok: true, value: { data: Buffer.alloc(0), offset: 0 } };
  if (offset + len > buf.length) return { ok: false, error: `${name} runs past the end of the message (${offset}+${len} > ${buf.length})` };
  return { ok: true, value: { data: Buffer.from(buf.subarray(offset, offset + len)), offset } };
}

function decodeText(flags: number, data: Buffer): string {
  if (!hasFlag(flags, NTLMSSP_NEGOTIATE_UNICODE)) return data.toString('latin1');
  return data.subarray(0, data.length - (data.length % 2)).toString('utf16le');
}

/** The smallest payload offset tells how much fixed header the sender wrote (version, MIC). */
function payloadStart(buf: Buffer, fields: { data: Buffer; offset: number }[]): number {
  const used = fields.filter((f) => f.data.length > 0).map((f) => f.offset);
  return used.length ? Math.min(...used) : buf.length;
}

function optional(buf: Buffer, from: number, to: number, start: number): Buffer | undefined {
  return start >= to && buf.length >= to ? Buffer.from(buf.subarray(from, to)) : undefined;
}

function decodeNegotiate(buf: Buffer): DecodeResult {
  if (buf.length < 16) return { ok: false, error: 'NEGOTIATE_MESSAGE shorter than 16 bytes' };
  const flags = buf.readUInt32LE(12);
  const domain = field(buf, 16, 'DomainName');
  if (!domain.ok) return domain;
  const workstation = field(buf, 24, 'Workstation');
  if (!workstation.ok) return workstation;
  const start = payloadStart(buf, [domain.value, workstation.value]);
  const version = hasFlag(flags, NTLMSSP_NEGOTIATE_VERSION) ? optional(buf, 32, 40, start) : undefined;
  return {
    ok: true,
    message: {
      type: 1, flags, version,
      domain: domain.value.data.toString('latin1'),
      workstation: workstation.value.data.toString('latin1'),
    },
  };
}

function decodeChallenge(buf: Buffer): DecodeResult {
  if (buf.length < 32) return { ok: false, error: 'CHALLENGE_MESSAGE shorter than 32 bytes' };
  const flags = buf.readUInt32LE(20);
  const targetName = field(buf, 12, 'TargetName');
  if (!targetName.ok) return targetName;
  const info = buf.length >= 48 ? field(buf, 40, 'TargetInfo') : { ok: true as const, value: { data: Buffer.alloc(0), offset: 0 } };
  if (!info.ok) return info;
  const pairs = decodeAvPairs(info.value.data);
  if (!pairs.ok) return pairs;
  const start = payloadStart(buf, [targetName.value, info.value]);
  const version = hasFlag(flags, NTLMSSP_NEGOTIATE_VERSION) ? optional(buf, 48, 56, start) : undefined;
  return {
    ok: true,
    message: {
      type: 2, flags, version,
      serverChallenge: Buffer.from(buf.subarray(24, 32)),
      targetName: decodeText(flags, targetName.value.data),
      targetInfo: pairs.value,
      targetInfoBytes: info.value.data,
    },
  };
}

function decodeAuthenticate(buf: Buffer): DecodeResult {
  if (buf.length < 64) return { ok: false, error: 'AUTHENTICATE_MESSAGE shorter than 64 bytes' };
  const flags = buf.readUInt32LE(60);
  const names = ['LmChallengeResponse', 'NtChallengeResponse', 'DomainName', 'UserName', 'Workstation', 'EncryptedRandomSessionKey'];
  const fields: { data: Buffer; offset: number }[] = [];
  for (const [i, name] of names.entries()) {
    const f = field(buf, 12 + i * 8, name);
    if (!f.ok) return f;
    fields.push(f.value);
  }
  const [lm, nt, domain, user, workstation, key] = fields;
  const start = payloadStart(buf, fields);
  return {
    ok: true,
    message: {
      type: 3, flags,
      lmResponse: lm.data,
      ntResponse: nt.data,
      domain: decodeText(flags, domain.data),
      user: decodeText(flags, user.data),
      workstation: decodeText(flags, workstation.data),
      encryptedRandomSessionKey: key.data,
      version: optional(buf, 64, 72, start),
      // MS-NLMP §2.2.1.3: the MIC sits between Version and the payload when the sender wrote one.
      mic: optional(buf, 72, 88, start),
    },
  };
}

/** Reads any NTLMSSP message. Never throws: hostile bytes give `{ ok: false, error }`. */
export function decodeNtlmMessage(buf: Buffer): DecodeResult {
  if (!Buffer.isBuffer(buf)) return { ok: false, error: 'not a buffer' };
  if (buf.length < 12) return { ok: false, error: `too short for an NTLMSSP message (${buf.length} bytes)` };
  if (!buf.subarray(0, 8).equals(SIGNATURE)) return { ok: false, error: 'no NTLMSSP signature' };
  const type = buf.readUInt32LE(8);
  switch (type) {
    case 1: return decodeNegotiate(buf);
    case 2: return decodeChallenge(buf);
    case 3: return decodeAuthenticate(buf);
    default: return { ok: false, error: `unknown NTLMSSP message type ${type}` };
  }
}
