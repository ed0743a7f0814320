/**
 * Server profiles (SPEC §2): the vocabulary, reply and bounce wording, and queue defaults of the
 * server an organisation runs. Behaviour lives in the MTA; a profile only words it.
 */
import { rfc5322Date } from '../dates.ts';

export type ProfileName = 'exchange-5.5' | 'exchange-2019' | 'postfix' | 'generic';

export interface Profile {
  name: ProfileName;
  /** Product name for Received headers and logs. */
  product: string;
  banner(host: string, labTime: number): string;
  /** The first line of the EHLO/HELO reply: `%s` is the server's name, then the client's. */
  heloResponse: string;
  /** Does the server offer REQUIRETLS (RFC 8689) inside TLS? Few products do; the lab's generic server does. */
  requireTlsExtension: boolean;
  /** Does the server refuse MAIL before HELO/EHLO (`503`)? */
  heloRequired: boolean;
  /** The 535 line this server sends when an NTLM logon fails (SPEC §4). */
  authFailedReply: string;
  bounce: {
    from(domain: string): string;
    subject(original: string): string;
    /** The human-readable part of the DSN (RFC 3464 §2: the first part of the report). */
    text(o: { recipients: string[]; reason: string; diagnostic?: string; reportingHost: string; subject: string }): string;
  };
  /** Queue lifetime and retry schedule (lab clock), as the product ships them. */
  queue: { lifetimeMs: number; retryMs: number[] };
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export const profiles: Record<ProfileName, Profile> = {
  // Exchange Server 5.5 Internet Mail Service: the banner Microsoft's IMS printed (SP4 build), a
  // 48-hour "normal" message timeout and retries at 10, 10, 10, 15 minutes (IMS Connections tab).
  'exchange-5.5': {
    name: 'exchange-5.5',
    requireTlsExtension: false,
    heloResponse: '%s Hello %s',
    heloRequired: false,
    product: 'Microsoft Exchange Internet Mail Service 5.5.2653.13',
    banner: (host) => `${host} Microsoft ESMTP MAIL Service, Version: 5.5.2653.13 ready`,
    authFailedReply: '535 ntlm authentication failed',
    bounce: {
      from: (domain) => `System Administrator <postmaster@${domain}>`,
      subject: (s) => `Undeliverable: ${s}`,
      text: (o) => [
        'Your message',
        '',
        `  Subject:  ${o.subject}`,
        '',
        'did not reach the following recipient(s):',
        '',
        ...o.recipients.map((r) => `${r} on ${o.reportingHost}`),
        `    ${o.reason}`,
        ...(o.diagnostic ? [`    MSEXCH:IMS:${o.diagnostic}`] : []),
        '',
      ].join('\r\n'),
    },
    queue: { lifetimeMs: 2 * DAY, retryMs: [10 * MIN, 10 * MIN, 10 * MIN, 15 * MIN] },
  },
  'exchange-2019': {
    name: 'exchange-2019',
    requireTlsExtension: false,
    heloResponse: '%s Hello %s',
    heloRequired: true,
    product: 'Microsoft SMTP Server',
    banner: (host, t) => `${host} Microsoft ESMTP MAIL Service ready at ${rfc5322Date(t)}`,
    authFailedReply: '535 5.7.3 Authentication unsuccessful',
    bounce: {
      from: (domain) => `Microsoft Outlook <MicrosoftExchange@${domain}>`,
      subject: (s) => `Undeliverable: ${s}`,
      text: (o) => [
        "Your message couldn't be delivered.",
        '',
        ...o.recipients.map((r) => `  ${r}`),
        '',
        `Remote server returned '${o.diagnostic ?? o.reason}'`,
        '',
        `Reporting server: ${o.reportingHost}`,
        '',
      ].join('\r\n'),
    },
    // Exchange transport: message expiration 2 days, retries every 10 minutes (after 15 s, 15 s, 15 s).
    queue: { lifetimeMs: 2 * DAY, retryMs: [10 * MIN] },
  },
  postfix: {
    name: 'postfix',
    requireTlsExtension: false,
    heloResponse: '%s',
    heloRequired: false,
    product: 'Postfix',
    banner: (host) => `${host} ESMTP Postfix`,
    authFailedReply: '535 5.7.8 Error: authentication failed: authentication failure',
    bounce: {
      from: () => 'MAILER-DAEMON (Mail Delivery System)',
      subject: () => 'Undelivered Mail Returned to Sender',
      text: (o) => [
        `This is the mail system at host ${o.reportingHost}.`,
        '',
        "I'm sorry to have to inform you that your message could not",
        'be delivered to one or more recipients. It\'s attached below.',
        '',
        'For further assistance, please send mail to postmaster.',
        '',
        '                   The mail system',
        '',
        ...o.recipients.map((r) => `<${r}>: ${o.diagnostic ?? o.reason}`),
        '',
      ].join('\r\n'),
    },
    // main.cf defaults: maximal_queue_lifetime 5d; backoff from 300 s doubling up to 4000 s.
    queue: { lifetimeMs: 5 * DAY, retryMs: [5 * MIN, 10 * MIN, 20 * MIN, 40 * MIN, 4000_000] },
  },
  generic: {
    name: 'generic',
    requireTlsExtension: true,
    heloResponse: '%s Hello %s',
    heloRequired: false,
    product: 'Postcard Lab MTA',
    banner: (host) => `${host} ESMTP Postcard Lab`,
    authFailedReply: '535 5.7.3 Authentication unsuccessful',
    bounce: {
      from: (domain) => `Mail Delivery System <MAILER-DAEMON@${domain}>`,
      subject: (s) => `Undelivered Mail Returned to Sender: ${s}`,
      text: (o) => [
        `This is the mail system at host ${o.reportingHost}.`,
        '',
        'Your message could not be delivered to the following recipients:',
        '',
        ...o.recipients.map((r) => `  ${r}`),
        '',
        `Reason: ${o.reason}`,
        ...(o.diagnostic ? [`The remote server said: ${o.diagnostic}`] : []),
        '',
      ].join('\r\n'),
    },
    queue: { lifetimeMs: 5 * DAY, retryMs: [5 * MIN, 10 * MIN, 20 * MIN, 40 * MIN, HOUR] },
  },
};
