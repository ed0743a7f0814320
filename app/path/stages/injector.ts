/**
 * `injector`: plaintext injection around STARTTLS, the CVE-2011-0411 class (docs/tls.md; docs/stages.md).
 *
 * Wietse Venema's 2011 advisory: a man in the middle appends a command to the client's
 * `STARTTLS\r\n` in the same TCP segment; a vulnerable server leaves it in its input buffer and
 * executes it after the TLS handshake, as if the client had sent it encrypted. The mirror case
 * tests clients: plaintext appended to the server's `220` before the handshake. The fix is to
 * discard plaintext buffered before the handshake (in the spirit of RFC 3207 §4.2: after TLS
 * starts, forget what came before); the lab's servers do (docs/tls.md).
 *
 * Places (`at`):
 * - `starttls`:  after the client's STARTTLS line, in the same chunk (c2s);
 * - `tls-ready`: after the server's 220 reply to STARTTLS, in the same chunk (s2c);
 * - `greeting`:  after the server's greeting (s2c), e.g. a second reply the client never asked for.
 */
import { z } from 'zod';
import { smtpStage } from './smtp-stage.ts';
import { defineStage } from './stage.ts';

const schema = z.strictObject({
  at: z.enum(['starttls', 'tls-ready', 'greeting']).default('starttls'),
  /** The plaintext to add, line terminators included (YAML: "RSET\r\n" in double quotes). */
  text: z.string().min(1).default('RSET\r\n'),
  /** Inject once per connection (false: every time the place comes round). */
  once: z.boolean().default(true),
});

export const injector = defineStage({
  name: 'injector',
  summary: 'adds plaintext after STARTTLS or after a reply (CVE-2011-0411 command injection)',
  schema,
  create(config) {
    const text = Buffer.from(config.text, 'latin1');
    let done = false;
    const inject = (): { append: Buffer; note: string } | undefined => {
      if (done && config.once) return undefined;
      done = true;
      return { append: text, note: `plaintext injected (${config.at})` };
    };
    return smtpStage('injector', {
      command(unit) {
        if (config.at !== 'starttls' || unit.kind !== 'command' || !unit.start || !unit.complete || unit.verb !== 'STARTTLS') return undefined;
        return inject();
      },
      reply(unit) {
        if (config.at === 'tls-ready' && unit.to === 'STARTTLS' && unit.code === 220) return inject();
        if (config.at === 'greeting' && unit.to === 'GREETING') return inject();
        return undefined;
      },
    });
  },
});
