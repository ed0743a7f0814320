/**
 * `command-filter`: PIX `fixup protocol smtp` ("Mailguard").
 *
 * Public descriptions (Cisco document 4733 "Testing the PIX Firewall Mailguard Feature", the PIX
 * command references; docs/stages.md): only the seven minimum commands of RFC 821 §4.5.1 pass —
 * HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. The PIX never changes a packet's length, so any other
 * command is overwritten in place: from 5.1 on with `NOOP` and spaces (the server answers 250,
 * "Mailguard answers OK even to denied commands"), on 4.4 with `X`s (the server answers "command
 * unrecognized"). EHLO, AUTH and STARTTLS therefore never reach the server, and ESMTP never starts.
 * Between DATA's 354 and the final `.` the message content passes (the tracker follows the
 * session from both directions to know when).
 *
 * Reconstructed: a denied line shorter than `NOOP` is overwritten with `X`s even in `noop` style
 * (the same length cannot hold NOOP); an empty line passes.
 */
import { z } from 'zod';
import { bodyOf } from './lines.ts';
import { smtpStage } from './smtp-stage.ts';
import { defineStage } from './stage.ts';

/** RFC 821 §4.5.1, the minimum implementation. */
export const MAILGUARD_COMMANDS = ['HELO', 'MAIL', 'RCPT', 'DATA', 'RSET', 'NOOP', 'QUIT'] as const;

const schema = z.strictObject({
  /** `noop`: PIX 5.1 and later; `x`: PIX 4.4. */
  style: z.enum(['noop', 'x']).default('noop'),
  /** Verbs that pass (upper case). */
  allow: z.array(z.string().regex(/^[A-Z][A-Z0-9-]*$/, 'a verb in upper case')).default([...MAILGUARD_COMMANDS]),
});

const NOOP = Buffer.from('NOOP', 'latin1');

/** Overwrite a denied command line in place, keeping its length and its line terminator. */
export function overwriteCommand(line: Buffer, style: 'noop' | 'x', start: boolean): Buffer {
  const out = Buffer.from(line);
  const len = bodyOf(line).length;
  if (style === 'noop' && len >= NOOP.length) {
    out.fill(0x20, 0, len);
    if (start) NOOP.copy(out, 0);
  } else if (style === 'noop' && !start) {
    out.fill(0x20, 0, len);
  } else {
    out.fill(0x58, 0, len);
  }
  return out;
}

export const commandFilter = defineStage({
  name: 'command-filter',
  summary: 'PIX Mailguard: only HELO MAIL RCPT DATA RSET NOOP QUIT pass; others are overwritten in place',
  schema,
  create(config) {
    const allow = new Set(config.allow);
    let denying = false;
    return smtpStage('command-filter', {
      command(unit) {
        if (unit.kind === 'auth') return undefined;
        if (unit.start) denying = bodyOf(unit.bytes).length > 0 && !allow.has(unit.verb);
        if (!denying) return undefined;
        const bytes = overwriteCommand(unit.bytes, config.style, unit.start);
        const how = config.style === 'noop' ? 'NOOP' : 'Xs';
        return { bytes, note: `${unit.verb || 'command'} not allowed by Mailguard, overwritten with ${how}` };
      },
    });
  },
});
