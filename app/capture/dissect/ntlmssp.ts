/**
 * NTLMSSP blobs carried in `AUTH NTLM` (MS-SMTPNTLM §2.2, base64 per RFC 4954 §4): message type,
 * negotiate flags, and for the AUTHENTICATE message the domain, user and workstation names —
 * which cross in the clear — next to a *response* to the server's challenge, never the password
 * (MS-NLMP §3.3). The SMTP dissector decodes the base64 and feeds one blob per call.
 */
import type { Direction } from '../tap.ts';
import type { NtlmMessage } from '../../ntlm/messages.ts';
import { decodeNtlmMessage, flagNames } from '../../ntlm/messages.ts';
import type { ByteRange, DetailNode, Dissector, Field, FieldDef, Pdu, SessionContext, StreamDissector } from './types.ts';
import { field, hexPreview, node } from './types.ts';

const NAMES: Record<1 | 2 | 3, string> = { 1: 'NTLMSSP_NEGOTIATE', 2: 'NTLMSSP_CHALLENGE', 3: 'NTLMSSP_AUTH' };

/** Flag bits with a Wireshark boolean field of their own (MS-NLMP §2.2.2.5). */
const FLAG_FIELDS: [number, string][] = [
  [0x00000010, 'ntlmssp.negotiatesign'],
  [0x00000020, 'ntlmssp.negotiateseal'],
  [0x00080000, 'ntlmssp.negotiatentlm2'],
  [0x20000000, 'ntlmssp.negotiate128'],
  [0x40000000, 'ntlmssp.negotiatekeyexch'],
  [0x80000000, 'ntlmssp.negotiate56'],
];

export const ntlmsspFields: FieldDef[] = [
  { name: 'ntlmssp.messagetype', type: 'number', label: 'NTLM Message Type' },
  { name: 'ntlmssp.negotiateflags', type: 'number', label: 'Negotiate Flags' },
  ...FLAG_FIELDS.map(([, name]): FieldDef => ({ name, type: 'boolean', label: name.slice(8) })),
  { name: 'ntlmssp.negotiate.domain', type: 'string', label: 'Calling workstation domain' },
  { name: 'ntlmssp.negotiate.workstation', type: 'string', label: 'Calling workstation name' },
  { name: 'ntlmssp.ntlmserverchallenge', type: 'bytes', label: 'NTLM Server Challenge' },
  { name: 'ntlmssp.challenge.target_name', type: 'string', label: 'Target Name' },
  { name: 'ntlmssp.auth.domain', type: 'string', label: 'Domain name' },
  { name: 'ntlmssp.auth.username', type: 'string', label: 'User name' },
  { name: 'ntlmssp.auth.hostname', type: 'string', label: 'Host name' },
  { name: 'ntlmssp.auth.lmresponse', type: 'bytes', label: 'Lan Manager Response' },
  { name: 'ntlmssp.auth.ntresponse', type: 'bytes', label: 'NTLM Response' },
  { name: 'ntlmssp.auth.sesskey', type: 'bytes', label: 'Session Key' },
  { name: 'ntlmssp.auth.mic', type: 'bytes', label: 'MIC' },
];

const NTLMSSP_NEGOTIATE_SEAL = 0x00000020;

function flagsNode(flags: number): DetailNode {
  const fields: Field[] = [field('ntlmssp.negotiateflags', flags)];
  for (const [bit, name] of FLAG_FIELDS) fields.push(field(name, ((flags & bit) >>> 0) !== 0));
  const names = flagNames(flags);
  return node(`Negotiate Flags: 0x${(flags >>> 0).toString(16).padStart(8, '0')}`, fields, names.map((n) => node(n)));
}

function messageTree(m: NtlmMessage): { children: DetailNode[]; info: string } {
  switch (m.type) {
    case 1:
      return {
        info: NAMES[1],
        children: [
          flagsNode(m.flags),
          node(`Calling workstation domain: ${m.domain || 'NULL'}`, [field('ntlmssp.negotiate.domain', m.domain)]),
          node(`Calling workstation name: ${m.workstation || 'NULL'}`, [field('ntlmssp.negotiate.workstation', m.workstation)]),
        ],
      };
    case 2:
      return {
        info: NAMES[2],
        children: [
          node(`Target Name: ${m.targetName || 'NULL'}`, [field('ntlmssp.challenge.target_name', m.targetName)]),
          flagsNode(m.flags),
          node(`NTLM Server Challenge: ${m.serverChallenge.toString('hex')}`, [field('ntlmssp.ntlmserverchallenge', m.serverChallenge)]),
          node(`Target Info (${m.targetInfo.length} AV pairs)`),
        ],
      };
    case 3: {
      const v2 = m.ntResponse.length > 24;
      const who = `${m.domain}\\${m.user}`;
      return {
        info: `${NAMES[3]}, User: ${who}`,
        children: [
          node(`Lan Manager Response: ${hexPreview(m.lmResponse)}`, [field('ntlmssp.auth.lmresponse', m.lmResponse)]),
          node(
            `${v2 ? 'NTLMv2' : 'NTLMv1'} Response (${m.ntResponse.length} bytes): ${hexPreview(m.ntResponse)}`,
            [field('ntlmssp.auth.ntresponse', m.ntResponse)],
            // MS-NLMP §3.3: the blob carries a response to the challenge, not the password.
            [node('[A response computed from the challenge and the password hash; the password itself does not cross]')],
          ),
          node(`Domain name: ${m.domain || 'NULL'}`, [field('ntlmssp.auth.domain', m.domain)]),
          node(`User name: ${m.user || 'NULL'}`, [field('ntlmssp.auth.username', m.user)]),
          node(`Host name: ${m.workstation || 'NULL'}`, [field('ntlmssp.auth.hostname', m.workstation)]),
          node(`Session Key: ${hexPreview(m.encryptedRandomSessionKey)}`, [field('ntlmssp.auth.sesskey', m.encryptedRandomSessionKey)]),
          ...(m.mic ? [node(`MIC: ${m.mic.toString('hex')}`, [field('ntlmssp.auth.mic', m.mic)])] : []),
          flagsNode(m.flags),
        ],
      };
    }
    default: {
      const never: never = m;
      return never;
    }
  }
}

/** One NTLMSSP blob as a PDU (the range is where its base64 text sits on the wire). */
export function dissectNtlmssp(blob: Buffer, depth: number, range?: ByteRange): { pdu: Pdu; message?: NtlmMessage } {
  const decoded = decodeNtlmMessage(blob);
  if (!decoded.ok) {
    const tree = node('NTLM Secure Service Provider', [], [node(`[Malformed NTLMSSP: ${decoded.error}]`, [field('_ws.malformed', decoded.error)])], range);
    return { pdu: { layer: 'ntlmssp', protocol: 'NTLMSSP', info: 'NTLMSSP (malformed)', tree, depth } };
  }
  const m = decoded.message;
  const { children, info } = messageTree(m);
  const tree = node(
    'NTLM Secure Service Provider',
    [field('ntlmssp.messagetype', m.type)],
    [node('NTLMSSP identifier: NTLMSSP'), node(`NTLM Message Type: ${NAMES[m.type]} (0x${m.type.toString(16).padStart(8, '0')})`), ...children],
    range,
  );
  return { pdu: { layer: 'ntlmssp', protocol: 'NTLMSSP', info, tree, depth }, message: m };
}

/** Whether an NTLMSSP exchange agreed on sealing (MS-NLMP §2.2.2.5 flag "E"). */
export function negotiatesSeal(m: NtlmMessage): boolean {
  return m.type !== 1 && ((m.flags & NTLMSSP_NEGOTIATE_SEAL) >>> 0) !== 0;
}

class NtlmsspSession implements StreamDissector {
  readonly #depth: number;
  constructor(ctx: SessionContext) {
    this.#depth = ctx.depth;
  }
  feed(_dir: Direction, bytes: Buffer, offset: number): Pdu[] {
    return [dissectNtlmssp(bytes, this.#depth, { start: offset, end: offset + bytes.length }).pdu];
  }
  end(): Pdu[] {
    return [];
  }
}

export const ntlmsspDissector: Dissector = {
  name: 'ntlmssp',
  title: 'NTLM Secure Service Provider',
  fields: ntlmsspFields,
  open: (ctx) => new NtlmsspSession(ctx),
};
