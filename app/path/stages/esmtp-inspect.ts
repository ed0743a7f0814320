/**
 * `esmtp-inspect`: Cisco ASA `inspect esmtp` with the default policy map `_default_esmtp_map`.
 *
 * Public description (ASA Series Firewall CLI Configuration Guide, "Defaults for ESMTP
 * Inspection"; docs/stages.md):
 *   parameters: mask-banner, no mail-relay, no special-character, no allow-tls
 *   match cmd line length gt 512        drop-connection log
 *   match cmd RCPT count gt 100         drop-connection log
 *   match header line length gt 998     drop-connection log
 *   match ehlo-reply-parameter others   mask
 * "Encrypted connections are not allowed. The STARTTLS indication is removed", widely seen on the
 * wire as `250-XXXXXXXA`. Illegal commands "are modified to an xxxx pattern and forwarded to the
 * server, which triggers a negative reply" (so STARTTLS sent anyway meets `500`).
 *
 * Here (the banner mask is the separate `mask-banner` stage of the `asa` profile):
 * - EHLO reply lines whose keyword is not one the ASA knows are masked with the same number of
 *   characters: `X`s and a final `A` (STARTTLS → XXXXXXXA), keyword and parameters alike;
 * - a command line over 512 octets (RFC 5321 §4.5.3.1.4 counts the CRLF), the 101st RCPT of a
 *   transaction, or a header line over 998 characters (RFC 5322 §2.1.1) resets the connection;
 * - commands outside the ESMTP list are overwritten with `X`s of the same length;
 * - reconstructed: after a successful AUTH (235), bytes that are not SMTP command or reply lines —
 *   the NTLM seal layer's frames (SPEC §4) — are masked with `X`s (CR and LF kept), which breaks
 *   the layer. AUTH response lines are exempt from the 512 limit (RFC 4954 §4 allows 12288).
 */
import { z } from 'zod';
import { parseReplyLine } from '../../smtp/wire.ts';
import { CR, LF, bodyOf } from './lines.ts';
import { smtpStage } from './smtp-stage.ts';
import type { Verdict } from './smtp-stage.ts';
import { defineStage } from './stage.ts';

/** ESMTP parameters `match ehlo-reply-parameter` names; everything else is "others". */
export const ASA_EHLO_KEYWORDS = [
  '8BITMIME', 'AUTH', 'BINARYMIME', 'CHECKPOINT', 'DSN', 'ENHANCEDSTATUSCODES', 'ETRN', 'PIPELINING', 'SIZE', 'VRFY',
] as const;

/** The seven of RFC 821 §4.5.1 plus the ESMTP commands the ASA inspects. */
export const ASA_COMMANDS = [
  'HELO', 'MAIL', 'RCPT', 'DATA', 'RSET', 'NOOP', 'QUIT', 'AUTH', 'EHLO', 'ETRN', 'SAML', 'SEND', 'SOML', 'VRFY',
] as const;

const verbList = z.array(z.string().regex(/^[A-Z0-9][A-Z0-9-]*$/, 'an upper-case keyword'));

const schema = z.strictObject({
  /** The `allow-tls` parameter: STARTTLS passes (default `no allow-tls`). */
  allowTls: z.boolean().default(false),
  ehloKeywords: verbList.default([...ASA_EHLO_KEYWORDS]),
  commands: verbList.default([...ASA_COMMANDS]),
  maxCommandLine: z.number().int().min(16).default(512),
  maxRcpts: z.number().int().min(1).default(100),
  maxHeaderLine: z.number().int().min(78).default(998),
  /** Mask bytes that are not SMTP lines after AUTH succeeds (breaks a SASL security layer). */
  maskAfterAuth: z.boolean().default(true),
});

/** Same-length mask of an EHLO line's text: `X`s and a final `A` (STARTTLS → XXXXXXXA). */
export function maskEhloLine(line: Buffer): Buffer {
  const out = Buffer.from(line);
  const end = bodyOf(line).length;
  if (end <= 4) return out;
  out.fill(0x58, 4, end);
  out[end - 1] = 0x41;
  return out;
}

/** Mask every byte except CR and LF with `X`. */
function maskBytes(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) if (out[i] !== CR && out[i] !== LF) out[i] = 0x58;
  return out;
}

/** An SMTP command line: a verb of letters, then nothing or a space and non-control text. */
const COMMAND_LINE = /^[A-Za-z]{4,}(?: [^\x00-\x1f\x7f]*)?\r?\n$/;

export const esmtpInspect = defineStage({
  name: 'esmtp-inspect',
  summary: 'ASA inspect esmtp (default map): masks unknown EHLO keywords incl. STARTTLS, drops oversize lines',
  schema,
  create(config) {
    const name = 'esmtp-inspect';
    const ehlo = new Set<string>([...config.ehloKeywords, ...(config.allowTls ? ['STARTTLS'] : [])]);
    const commands = new Set<string>([...config.commands, ...(config.allowTls ? ['STARTTLS'] : [])]);
    const drop = (rule: string): Verdict => ({
      bytes: Buffer.alloc(0),
      close: { how: 'reset', reason: `${name}: ${rule} (drop-connection)` },
      note: `${rule}: connection dropped`,
    });
    const mask = (bytes: Buffer, note: string): Verdict => ({ bytes: maskBytes(bytes), note });

    return smtpStage(name, {
      command(unit, st) {
        if (unit.kind === 'auth') return undefined;
        if (unit.bytes.length > config.maxCommandLine || (unit.start && !unit.complete)) {
          return drop(`command line longer than ${config.maxCommandLine} bytes`);
        }
        if (!unit.start) return undefined;
        if (st.authed && config.maskAfterAuth && !COMMAND_LINE.test(unit.bytes.toString('latin1'))) {
          return mask(unit.bytes, 'not an SMTP command after AUTH: masked');
        }
        if (unit.verb === 'RCPT' && st.rcpts >= config.maxRcpts) {
          return drop(`more than ${config.maxRcpts} RCPT commands`);
        }
        if (bodyOf(unit.bytes).length > 0 && !commands.has(unit.verb)) {
          const bytes = Buffer.from(unit.bytes);
          bytes.fill(0x58, 0, bodyOf(unit.bytes).length);
          return { bytes, note: `${unit.verb} is not an inspected ESMTP command: overwritten with Xs` };
        }
        return undefined;
      },
      content(unit) {
        if (!unit.header || unit.last) return undefined;
        const length = unit.complete ? bodyOf(unit.bytes).length : unit.bytes.length;
        if (length > config.maxHeaderLine) return drop(`header line longer than ${config.maxHeaderLine} characters`);
        return undefined;
      },
      reply(unit, st) {
        if (unit.code === undefined) {
          return st.authed && config.maskAfterAuth ? mask(Buffer.concat(unit.lines), 'not an SMTP reply after AUTH: masked') : undefined;
        }
        if (unit.to !== 'EHLO' || unit.code !== 250 || unit.lines.length < 2) return undefined;
        const masked: string[] = [];
        const lines = unit.lines.map((line, i) => {
          if (i === 0) return line; // the greeting line names the server (RFC 5321 §4.1.1.1)
          const keyword = (parseReplyLine(line)?.text ?? '').split(' ')[0].toUpperCase();
          if (ehlo.has(keyword)) return line;
          masked.push(keyword);
          return maskEhloLine(line);
        });
        if (masked.length === 0) return undefined;
        return { bytes: Buffer.concat(lines), note: `EHLO keywords masked (ehlo-reply-parameter others): ${masked.join(' ')}` };
      },
      binary(_dir, bytes, st) {
        return st.authed && config.maskAfterAuth ? mask(bytes, 'not an SMTP line after AUTH: masked') : undefined;
      },
    }, { maxCommandLine: config.maxCommandLine + 1, maxContentLine: config.maxHeaderLine + 2 });
  },
});
