/**
 * The bench's messages: `count` messages of exactly `size` octets as the sending server hands them
 * to DATA (before dot-stuffing, before the receiver adds its `Received:` line). The lab composes
 * them itself from a `send` step (app/mta/compose.ts); the baseline composes the same steps with
 * the same function, so both sides move the same bytes.
 */
import type { SendStep } from '../config/schema.ts';
import { composeMessage } from '../mta/compose.ts';
import { makeCanaries } from '../capture/leak.ts';
import { createRng, type Rng } from '../base/rng.ts';

export const SENDER = 'alice@intellinet.example';
export const RECIPIENT = 'sean@ntsol.example';
/** The sending host's name: the Message-ID's right-hand side, as `Lab.send` writes it. */
const SENDER_HOST = 'mail.intellinet.example';

/** Ids of one width, so every message of a run has the same header length. */
export function messageId(prefix: 'b' | 'w', i: number): string {
  return `${prefix}${String(i).padStart(6, '0')}`;
}

/** Printable text of exactly `n` characters in CRLF lines of at most 78 (RFC 5322 §2.1.1). */
export function filler(n: number): string {
  const line = 'The trial results are attached to this message; please read them soon.';
  let text = '';
  while (text.length < n) text += `${line}\r\n`;
  text = text.slice(0, n);
  // composeMessage drops one trailing line break; a cut CRLF must not become a bare CR either.
  if (text.endsWith('\r\n')) text = `${text.slice(0, -2)}ok`;
  else if (text.endsWith('\r')) text = `${text.slice(0, -1)}!`;
  return text;
}

function compose(step: SendStep, date: number, rng: Rng): Buffer {
  const canaries = makeCanaries((n) => rng.hex(n));
  const to = Array.isArray(step.to) ? step.to : [step.to];
  return composeMessage({
    ref: step.id, from: step.from, to, subject: step.subject, body: step.body, headers: step.headers,
    date, messageId: `${step.id}.${rng.hex(6)}@${SENDER_HOST}`, canaries,
  });
}

/** A `send` step of the bench (the body is shared: see `benchBody`). */
export function sendStep(id: string, body: string): SendStep {
  return { id, from: SENDER, to: RECIPIENT, subject: `Bench ${id}`, body };
}

/**
 * The body that makes a bench message exactly `size` octets once composed. The headers (date,
 * canaries, Message-ID, an id of fixed width) have one length for every message, so one probe
 * with an empty body gives it.
 */
export function benchBody(size: number, date: number): string {
  const overhead = compose(sendStep(messageId('b', 0), ''), date, createRng(1)).length;
  return filler(Math.max(0, size - overhead));
}

/** The same message as `Lab.send` would compose it, for the baseline. */
export function composeStep(step: SendStep, date: number, rng: Rng): Buffer {
  return compose(step, date, rng.fork(`message:${step.id}`));
}
