/**
 * Build the RFC 5322 message a scenario's `send` step writes, with the leak canaries of docs/packet-view.md ("What the view shows")
 * in the Subject, in an `X-Postcard-Canary` header and in the body. Deterministic: the date is the
 * lab clock's and the Message-ID comes from the seeded rng.
 */
import { rfc5322Date } from '../smtp/dates.ts';
import type { Canaries } from '../capture/leak.ts';

export interface Composition {
  ref: string;
  from: string;
  to: string[];
  subject: string;
  body: string;
  headers?: Record<string, string>;
  date: number;
  messageId: string;
  canaries: Canaries;
}

/** RFC 2047 encoded-word for a header value that is not plain ASCII. */
function encodeHeader(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** RFC 5322 §3.6.8: field-name = 1*ftext; ftext = %d33-57 / %d59-126 (no CR, LF, space or colon). */
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

export function composeMessage(c: Composition): Buffer {
  // Every entry point validates header names; this is the last line of defence against a name
  // that would end the header and start a body of its own (header injection).
  for (const name of Object.keys(c.headers ?? {})) {
    if (!FIELD_NAME.test(name)) throw new Error(`header name ${JSON.stringify(name)} is not a valid field name (RFC 5322 §3.6.8)`);
  }
  const ascii = /^[\x00-\x7f]*$/.test(c.body);
  const subject = c.subject ? `${c.subject} [${c.canaries.subject}]` : `[${c.canaries.subject}]`;
  const lines = [
    `From: ${c.from}`,
    `To: ${c.to.join(', ')}`,
    `Subject: ${encodeHeader(subject)}`,
    `Date: ${rfc5322Date(c.date)}`,
    `Message-ID: <${c.messageId}>`,
    `X-Postcard-Message: ${c.ref}`,
    `X-Postcard-Canary: ${c.canaries.header}`,
    ...Object.entries(c.headers ?? {}).map(([k, v]) => `${k}: ${encodeHeader(v)}`),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Transfer-Encoding: ${ascii ? '7bit' : '8bit'}`,
    '',
    ...c.body.replace(/\r?\n$/, '').split(/\r?\n/),
    '',
    `-- canary ${c.canaries.body}`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}
