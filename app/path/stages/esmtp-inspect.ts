/**
 * `esmtp-inspect`: Cisco ASA `inspect esmtp` with the default policy map `_default_esmtp_map`.
 *
 * Public description (ASA Series Firewall CLI Configuration Guide, "Defaults for ESMTP
 * Inspection"; docs/stages.md):
 *   parameters: mask-banner, no mail-relay, no special-character, no allow-tls
 *   match cmd line length gt 512        drop-connection log
 *   match cmd RCPT count gt 100         drop-connection log
 *   match body line length gt 998       log
 *   match header line length gt 998     drop-connection log
 *   match sender-address length gt 320  drop-connection log
 *   match MIME filename length gt 255   drop-connection log
 *   match ehlo-reply-parameter others   mask
 * "Encrypted connections are not allowed. The STARTTLS indication is removed", widely seen on the
 * wire as `250-XXXXXXXA`. Illegal commands "are modified to an xxxx pattern and forwarded to the
 * server, which triggers a negative reply" (so STARTTLS sent anyway meets `500`).
 *
 * Here (the banner mask is the separate `mask-banner` stage of the `asa` profile):
 * - EHLO reply lines whose keyword is not one the ASA knows are masked with the same number of
 *   characters: `X`s and a final `A` (STARTTLS → XXXXXXXA), keyword and parameters alike;
 * - each limit is acted on as its match's action says (`drop-connection` and `reset` end the
 *   connection, `log` lets the bytes pass and logs them): a command line over 512 octets (RFC 5321
 *   §4.5.3.1.4, the SMTP command line limit, counts the CRLF), the 101st RCPT of a transaction, a
 *   header line over 998 characters (RFC 5322 §2.1.1), a MAIL FROM address over 320 octets (RFC
 *   5321 §4.5.3.1.1 and §4.5.3.1.2: 64 local + @ + 255 domain), a MIME file name over 255
 *   characters (RFC 2183 §2.3 `filename`, RFC 2046 §4.5.1 `name`);
 * - commands outside Cisco's list of fifteen (ASA_COMMANDS) are overwritten with `X`s of the
 *   same length, so the server answers "500 Command unknown" (Cisco's own description);
 * - a command must arrive whole, in one segment ending in CRLF: a telnet user's keystrokes, one
 *   per packet, are each overwritten with `X` ("the server receives the final command as XXXX",
 *   Cisco tech note 113423; smtp-stage.ts `wholeSegments`);
 * - reconstructed: after a successful AUTH (235), bytes that are not SMTP command or reply lines —
 *   the NTLM seal layer's frames (docs/ntlm.md) — are masked with `X`s (CR and LF kept), which breaks
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

/**
 * Cisco ASA Series CLI Configuration Guide, "SMTP and Extended SMTP Inspection": "ESMTP application
 * inspection adds support for eight ESMTP commands, including AUTH, EHLO, ETRN, HELP, SAML, SEND,
 * SOML and VRFY", along with the seven RFC 821 commands (DATA, HELO, MAIL, NOOP, QUIT, RCPT, RSET):
 * fifteen. ATRN, ONEX, VERB, CHUNKING (BDAT) and private extensions (XEXCH50, X-LINK2STATE) "are
 * translated into Xs, which are rejected by the internal server". STARTTLS is not on the list: the
 * `allow-tls` parameter decides it, and the default map's `no allow-tls` masks it; it is added
 * only with `allowTls` (behind a default ASA it meets `500`).
 */
export const ASA_COMMANDS = [
  'HELO', 'MAIL', 'RCPT', 'DATA', 'RSET', 'NOOP', 'QUIT', 'AUTH', 'EHLO', 'ETRN', 'HELP', 'SAML', 'SEND', 'SOML', 'VRFY',
] as const;

/** What the ASA does when a `match … gt N` fires (`drop-connection`, `reset`, `log`; Cisco's `mask` is for verbs and EHLO parameters only). */
export const LIMIT_ACTIONS = ['drop-connection', 'reset', 'log'] as const;
export type LimitAction = (typeof LIMIT_ACTIONS)[number];
const limitAction = z.enum(LIMIT_ACTIONS).default('drop-connection');

const verbList = z.array(z.string().regex(/^[A-Z0-9][A-Z0-9-]*$/, 'an upper-case keyword'));

const schema = z.strictObject({
  /** The `allow-tls` parameter: STARTTLS passes (default `no allow-tls`). */
  allowTls: z.boolean().default(false),
  ehloKeywords: verbList.default([...ASA_EHLO_KEYWORDS]),
  commands: verbList.default([...ASA_COMMANDS]),
  maxCommandLine: z.number().int().min(16).default(512),
  commandLineAction: limitAction,
  maxRcpts: z.number().int().min(1).default(100),
  rcptsAction: limitAction,
  maxHeaderLine: z.number().int().min(78).default(998),
  headerLineAction: limitAction,
  /** `match sender-address length gt 320`: the address of MAIL FROM, in octets, without the brackets. */
  maxSenderAddress: z.number().int().min(1).default(320),
  senderAddressAction: limitAction,
  /** `match MIME filename length gt 255`: a `filename=` / `name=` parameter's value, in characters. */
  maxMimeFilename: z.number().int().min(1).default(255),
  mimeFilenameAction: limitAction,
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

/** The address of a MAIL FROM line (RFC 5321 §4.1.1.2 reverse-path), without its brackets. */
export function senderAddressOf(line: Buffer): string | undefined {
  const m = /^MAIL\s+FROM:\s*<([^>]*)>/i.exec(bodyOf(line).toString('latin1'));
  return m?.[1];
}

/**
 * The file name a MIME header line carries: `filename=` of Content-Disposition (RFC 2183 §2.3) or
 * `name=` of Content-Type (RFC 2046 §4.5.1), quoted or a token (RFC 2045 §5.1). Judged line by
 * line, on the field's own line or a folded continuation (reconstructed: RFC 2231 `filename*0=`
 * pieces are measured one by one, as a per-packet inspector would see them).
 */
export function mimeFilenameOf(line: string): string | undefined {
  const m = /(?:^|[;\s])(?:file)?name\*?(?:\d+\*?)?\s*=\s*(?:"((?:[^"\\]|\\.)*)"?|([^;\s]*))/i.exec(line);
  if (!m) return undefined;
  return m[1] ?? m[2];
}

const MIME_FIELD = /^content-(?:disposition|type)\s*:/i;

export const esmtpInspect = defineStage({
  name: 'esmtp-inspect',
  summary: 'ASA inspect esmtp (default map): masks unknown EHLO keywords incl. STARTTLS and unlisted commands, acts on oversize lines, sender addresses and MIME file names',
  schema,
  create(config) {
    const name = 'esmtp-inspect';
    const ehlo = new Set<string>([...config.ehloKeywords, ...(config.allowTls ? ['STARTTLS'] : [])]);
    const commands = new Set<string>([...config.commands, ...(config.allowTls ? ['STARTTLS'] : [])]);
    /** The match fired: act as configured. `drop-connection` and `reset` both end the connection with a reset. */
    const act = (rule: string, action: LimitAction): Verdict => (action === 'log'
      ? { log: true, note: `${rule}: logged (log), passed on` }
      : {
        bytes: Buffer.alloc(0),
        close: { how: 'reset', reason: `${name}: ${rule} (${action})` },
        note: `${rule}: connection dropped (${action})`,
      });
    const mask = (bytes: Buffer, note: string): Verdict => ({ bytes: maskBytes(bytes), note });
    /** In a MIME header field that may carry a file name (or its folded continuation). */
    let inMimeField = false;

    return smtpStage(name, {
      command(unit, st) {
        if (unit.kind === 'auth') return undefined;
        if (unit.bytes.length > config.maxCommandLine || (unit.start && !unit.complete)) {
          // `log`: the first piece carries the log; the rest of the line passes.
          return unit.start || config.commandLineAction !== 'log'
            ? act(`command line longer than ${config.maxCommandLine} bytes`, config.commandLineAction) : undefined;
        }
        if (!unit.start) return undefined;
        if (st.authed && config.maskAfterAuth && !COMMAND_LINE.test(unit.bytes.toString('latin1'))) {
          return mask(unit.bytes, 'not an SMTP command after AUTH: masked');
        }
        if (unit.verb === 'RCPT' && st.rcpts >= config.maxRcpts) {
          return act(`more than ${config.maxRcpts} RCPT commands`, config.rcptsAction);
        }
        if (unit.verb === 'MAIL') {
          const sender = senderAddressOf(unit.bytes);
          if (sender !== undefined && Buffer.byteLength(sender, 'latin1') > config.maxSenderAddress) {
            return act(`sender address longer than ${config.maxSenderAddress} bytes`, config.senderAddressAction);
          }
        }
        if (bodyOf(unit.bytes).length > 0 && !commands.has(unit.verb)) {
          const bytes = Buffer.from(unit.bytes);
          bytes.fill(0x58, 0, bodyOf(unit.bytes).length);
          return { bytes, note: `${unit.verb} is not an inspected ESMTP command: overwritten with Xs` };
        }
        return undefined;
      },
      content(unit) {
        if (!unit.start || unit.last) return undefined;
        const line = bodyOf(unit.bytes).toString('latin1');
        // RFC 5322 §2.2.3: a line starting with white space continues the field before it.
        inMimeField = MIME_FIELD.test(line) || (inMimeField && /^[ \t]/.test(line));
        const filename = inMimeField ? mimeFilenameOf(line) : undefined;
        const verdicts: Verdict[] = [];
        const length = unit.complete ? line.length : unit.bytes.length;
        if (unit.header && length > config.maxHeaderLine) {
          verdicts.push(act(`header line longer than ${config.maxHeaderLine} characters`, config.headerLineAction));
        }
        if (filename !== undefined && filename.length > config.maxMimeFilename) {
          verdicts.push(act(`MIME file name longer than ${config.maxMimeFilename} characters`, config.mimeFilenameAction));
        }
        // A drop wins over a log; two logs are one mark with both notes.
        return verdicts.find((v) => !v.log) ?? (verdicts.length ? { log: true, note: verdicts.map((v) => v.note).join('; ') } : undefined);
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
    }, { maxCommandLine: config.maxCommandLine + 1, maxContentLine: config.maxHeaderLine + 2, wholeSegments: true });
  },
});
