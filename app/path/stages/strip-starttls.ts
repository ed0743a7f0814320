/**
 * `strip-starttls`: the STARTTLS downgrade an active attacker or a "security" box performs
 * (RFC 3207 §6: a man in the middle can delete the STARTTLS keyword; RFC 7672 and RFC 8461 exist
 * because of it).
 *
 * - In a 250 reply to EHLO, the STARTTLS line is deleted. When it was the last line, the line
 *   before it becomes the last one (`250-` → `250 `), so the reply stays well-formed
 *   (RFC 5321 §4.2.1).
 * - A STARTTLS command is not forwarded; the stage answers it itself with
 *   `454 4.7.0 TLS not available` (RFC 3207 §4, "TLS not available due to temporary reason"),
 *   in turn after any replies still due to earlier pipelined commands.
 */
import { z } from 'zod';
import { parseReplyLine } from '../../smtp/wire.ts';
import { CRLF } from './lines.ts';
import { smtpStage } from './smtp-stage.ts';
import { defineStage } from './stage.ts';

const schema = z.strictObject({
  /** Delete the keyword from EHLO replies. */
  strip: z.boolean().default(true),
  /** Answer a STARTTLS command (sent anyway) instead of forwarding it. */
  answer: z.boolean().default(true),
  /** The reply text, without CRLF. */
  reply: z.string().regex(/^[2-5]\d\d[ -][^\r\n]*$/, 'an SMTP reply line such as "454 4.7.0 TLS not available"')
    .default('454 4.7.0 TLS not available'),
});

const keywordOf = (line: Buffer): string => (parseReplyLine(line)?.text ?? '').split(' ')[0].toUpperCase();

/** Remove the STARTTLS lines of a multi-line EHLO reply; undefined when there is none. */
export function stripStarttls(lines: Buffer[]): Buffer[] | undefined {
  const kept = lines.filter((line, i) => i === 0 || keywordOf(line) !== 'STARTTLS');
  if (kept.length === lines.length) return undefined;
  const last = Buffer.from(kept[kept.length - 1]);
  if (last.length > 3 && last[3] === 0x2d) last[3] = 0x20; // `250-` → `250 `: it ends the reply now
  kept[kept.length - 1] = last;
  return kept;
}

export const stripStarttlsStage = defineStage({
  name: 'strip-starttls',
  summary: 'deletes STARTTLS from EHLO replies and answers a STARTTLS command with 454',
  schema,
  create(config) {
    const answer = Buffer.concat([Buffer.from(config.reply, 'latin1'), CRLF]);
    return smtpStage('strip-starttls', {
      reply(unit) {
        if (!config.strip || unit.to !== 'EHLO' || unit.code !== 250) return undefined;
        const kept = stripStarttls(unit.lines);
        return kept ? { bytes: Buffer.concat(kept), note: 'STARTTLS deleted from the EHLO reply' } : undefined;
      },
      command(unit) {
        if (!config.answer || unit.kind !== 'command' || !unit.start || unit.verb !== 'STARTTLS') return undefined;
        return { bytes: Buffer.alloc(0), answer, note: `STARTTLS withheld from the server; answered "${config.reply}"` };
      },
    });
  },
});
