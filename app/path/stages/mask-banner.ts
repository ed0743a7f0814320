/**
 * `mask-banner` and `mask-banner-44`: the greeting masks of Cisco's SMTP fixup (PIX "Mailguard")
 * and of ASA `inspect esmtp` (parameter `mask-banner`).
 *
 * Public descriptions (docs/stages.md): from PIX 5.1 on, the fixup turns most characters of the
 * 220 banner into asterisks, sparing `2`, `0` and the space, and leaving CR and LF alone; PIX 4.4
 * turned every character into an asterisk. The firewall rewrites in place and never changes a
 * packet's length, so the client still reads a 220 of the same size.
 *
 * The same sources say that 5.1 leaves CR and LF alone but that 4.4 turns *all* characters into
 * asterisks, and the fixed vector (docs/stages.md, "Fixed vectors": `220 ` and 77 `*` for a 75-character banner) counts the CRLF
 * too: by default `mask-banner-44` masks the line end, so the greeting never ends and a client
 * waits for it until its timeout. `keepLineEnd: true` keeps CRLF (the session then goes on).
 *
 * Reconstructed: the three-digit code and its separator are kept even where the rule would mask
 * them (a `220-` continuation, or a 421/554 greeting), so a multi-line banner stays a reply.
 * For a single-line 220 this is exactly the documented rule.
 */
import { z } from 'zod';
import { parseReplyLine } from '../../smtp/wire.ts';
import { CR, LF, bodyOf } from './lines.ts';
import { smtpStage } from './smtp-stage.ts';
import { defineStage } from './stage.ts';

const STAR = 0x2a;

/**
 * Mask one reply line after its code and separator; `keep` says which bytes survive. CR and LF
 * inside the text always survive; the terminator survives unless `maskLineEnd`.
 */
export function maskReplyLine(line: Buffer, keep: (b: number) => boolean, maskLineEnd = false): Buffer {
  const out = Buffer.from(line);
  const from = parseReplyLine(line) ? Math.min(4, bodyOf(line).length) : 0;
  const to = bodyOf(line).length;
  for (let i = from; i < to; i++) {
    const b = out[i];
    if (b !== CR && b !== LF && !keep(b)) out[i] = STAR;
  }
  if (maskLineEnd) out.fill(STAR, to);
  return out;
}

/** PIX 5.1 and later, ASA: `2`, `0` and space survive. */
const keep51 = (b: number): boolean => b === 0x32 || b === 0x30 || b === 0x20;
/** PIX 4.4: nothing survives. */
const keep44 = (): boolean => false;

function bannerMask(name: string, keep: (b: number) => boolean, maskLineEnd: boolean, note: string) {
  return smtpStage(name, {
    reply(unit) {
      if (unit.to !== 'GREETING') return undefined;
      return { bytes: Buffer.concat(unit.lines.map((l) => maskReplyLine(l, keep, maskLineEnd))), note };
    },
  });
}

export const maskBanner = defineStage({
  name: 'mask-banner',
  summary: 'PIX 5.1+/ASA banner mask: every greeting character except 2, 0 and space becomes *',
  schema: z.strictObject({}),
  create: () => bannerMask('mask-banner', keep51, false, 'banner masked (fixup protocol smtp / mask-banner)'),
});

export const maskBanner44 = defineStage({
  name: 'mask-banner-44',
  summary: 'PIX 4.4 banner mask: everything after "220 " becomes *, the line end included',
  schema: z.strictObject({ keepLineEnd: z.boolean().default(false) }),
  create: (config) => bannerMask('mask-banner-44', keep44, !config.keepLineEnd, 'banner masked (PIX 4.4 fixup protocol smtp)'),
});
