/**
 * Delivery status notifications (docs/products.md, "Bounces"): RFC 3464 `multipart/report; report-type=delivery-status`
 * (RFC 6522) with RFC 3463 status codes. Three parts: the human explanation in the sending server's
 * wording, the machine-readable `message/delivery-status`, and the original headers
 * (`text/rfc822-headers`, RFC 6522 §3) — headers only, so a bounce never repeats a body that must
 * not travel in clear.
 */
import { rfc5322Date } from '../smtp/dates.ts';
import type { Product } from '../products/index.ts';

export interface BounceInput {
  product: Product;
  reportingHost: string;
  domain: string;
  /** Envelope sender of the original message: the bounce goes there. */
  to: string;
  recipients: string[];
  /** RFC 3463 status, e.g. `5.7.8`. */
  status: string;
  reason: string;
  /** The remote reply, e.g. `535 5.7.8 Authentication credentials invalid`; goes to Diagnostic-Code. */
  diagnostic?: string;
  remoteMta?: string;
  /** The queue lifetime ran out: the reason is local, and no remote reply is invented for it. */
  expired: boolean;
  /** The sending organisation's NT domain (an Exchange NDR names its org and site). */
  ntDomain?: string;
  arrivalDate: number;
  lastAttemptDate: number;
  now: number;
  queueId: string;
  original: Buffer;
  boundary: string;
  messageId: string;
  /** The scenario message the bounce reports on: the lab's tracking header, as on the original. */
  ref?: string;
}

/** Where the header block ends: the line break before the first empty line (RFC 5322 §2.1). */
function headerEnd(message: Buffer): number {
  // Found in the bytes, so only the header is decoded: a message's body is most of it, and every
  // message has its From and Subject read when it is filed (app/mta/mailbox.ts).
  for (let nl = message.indexOf(0x0a); nl >= 0; nl = message.indexOf(0x0a, nl + 1)) {
    const next = message[nl + 1];
    if (next === 0x0a || (next === 0x0d && message[nl + 2] === 0x0a)) return nl > 0 && message[nl - 1] === 0x0d ? nl - 1 : nl;
  }
  return message.length;
}

/** The header block of a message: everything up to the first empty line. */
export function headerBlock(message: Buffer): string {
  return message.toString('latin1', 0, headerEnd(message)).replace(/\r?\n/g, '\r\n');
}

const fieldPatterns = new Map<string, RegExp>();

/** Several fields' values (the first of each name), reading the header once. */
export function headerValues<K extends string>(message: Buffer, names: readonly K[]): Record<K, string | undefined> {
  const unfolded = headerBlock(message).replace(/\r\n[ \t]+/g, ' ');
  const values = {} as Record<K, string | undefined>;
  for (const name of names) {
    let re = fieldPatterns.get(name);
    if (!re) fieldPatterns.set(name, (re = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im')));
    const value = re.exec(unfolded)?.[1];
    values[name] = value === undefined ? undefined : ownString(value);
  }
  return values;
}

/**
 * A copy of `s` that does not keep the string it was cut from. V8 makes a long enough substring
 * (a regex capture) a slice of its parent, so a Subject kept in a mailbox index kept the whole
 * header block with it: 570 bytes a message that nothing read (docs/decisions.md, "Bounded
 * memory"). Joining forces a flat string of its own; the slice of that is as long as `s`, plus one.
 */
function ownString(s: string): string {
  return (' ' + s).slice(1);
}

export function headerValue(message: Buffer, name: string): string | undefined {
  return headerValues(message, [name])[name];
}

export function buildBounce(b: BounceInput): Buffer {
  const subject = headerValue(b.original, 'Subject') ?? '';
  const facts = {
    recipients: b.recipients, reason: b.reason, diagnostic: b.diagnostic, remoteHost: b.remoteMta, expired: b.expired,
    reportingHost: b.reportingHost, domain: b.domain, subject, status: b.status, queueId: b.queueId, ntDomain: b.ntDomain,
  };
  const human = b.product.bounce.text(facts);
  // RFC 3464 §2.2 (per-message fields; X- fields are the product's own) and §2.3 (per-recipient).
  const perMessage = [
    `Reporting-MTA: dns; ${b.reportingHost}`,
    ...b.product.bounce.extraFields(facts),
    `Arrival-Date: ${rfc5322Date(b.arrivalDate)}`,
  ];
  const perRecipient = b.recipients.map((r) => [
    `Final-Recipient: rfc822; ${r}`,
    `Original-Recipient: rfc822; ${r}`,
    'Action: failed',
    `Status: ${b.status}`,
    ...(b.remoteMta ? [`Remote-MTA: dns; ${b.remoteMta}`] : []),
    // RFC 3464 §2.3.6: the diagnostic the remote MTA gave. A local reason (the queue lifetime, a
    // policy that refused to send) is no SMTP reply: it is said as the reporting MTA's own text
    // (RFC 3464 §2.3.6 allows other diagnostic types: Postfix's X-Postfix), never as an invented `smtp; 554`.
    b.diagnostic ? `Diagnostic-Code: smtp; ${b.diagnostic}` : `Diagnostic-Code: ${b.product.bounce.localDiagnosticType ?? 'X-Local'}; ${b.reason}`,
    `Last-Attempt-Date: ${rfc5322Date(b.lastAttemptDate)}`,
  ].join('\r\n'));
  const parts = [
    'From: ' + b.product.bounce.from(b.domain),
    `To: ${b.to}`,
    `Subject: ${b.product.bounce.subject(subject)}`,
    `Date: ${rfc5322Date(b.now)}`,
    `Message-ID: <${b.messageId}>`,
    ...(b.ref ? [`X-Postcard-Message: ${b.ref}`] : []),
    // RFC 3834 §5: an automatic response, so nothing auto-replies to it.
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${b.boundary}"`,
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${b.boundary}`,
    'Content-Description: Notification',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    human,
    `--${b.boundary}`,
    'Content-Description: Delivery report',
    'Content-Type: message/delivery-status',
    '',
    perMessage.join('\r\n'),
    '',
    perRecipient.join('\r\n\r\n'),
    '',
    `--${b.boundary}`,
    'Content-Description: Undelivered Message Headers',
    'Content-Type: text/rfc822-headers',
    '',
    headerBlock(b.original),
    '',
    `--${b.boundary}--`,
    '',
  ];
  return Buffer.from(parts.join('\r\n'), 'latin1');
}
