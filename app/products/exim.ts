/**
 * Exim 4.96 (Debian 12's exim4-daemon-light) — added as the registry's proof: this file and one
 * line in index.ts are all a new product needs (test/products/exim.test.ts checks that nothing
 * else names it and that it works in a lab, in `policy --as` and in the contract).
 *
 * Public sources:
 *  [spec]   The Exim Specification, chapters "The default configuration file" (retry rule
 *           `* * F,2h,15m; G,16h,1h,1.5; F,4d,6h`), "SMTP processing" and "Message processing".
 *  [smtp]   Exim's src/smtp_in.c reply texts: `250 OK`, `250 Accepted`, `354 Enter message, ending
 *           with "." on a line by itself`, `250 OK id=…`, `221 … closing connection`, `500
 *           unrecognized command`, `550 Unrouteable address`, `550 relay not permitted`, the HELP
 *           list, EHLO order (SIZE, 8BITMIME, PIPELINING, CHUNKING, STARTTLS, HELP).
 *  [bounce] Exim's bounce: "Mail delivery failed: returning message to sender", "This message was
 *           created automatically by mail delivery software.", `X-Failed-Recipients`.
 * No NTLM in Exim's SMTP server here; its security table speaks the TLS levels (Exim's
 * `hosts_require_tls` and `tls_verify_hosts` map onto them).
 */
import { rfc5322Date } from '../smtp/dates.ts';
import { DAY, HOUR, MIN, type Product, type Vocabulary } from './types.ts';
import { levelVocabulary } from './postfix.ts';

export const exim: Product = {
  name: 'exim',
  title: 'Exim 4.96',
  requireTlsExtension: false,
  inboundAuth: ['NTLM'],
  heloRequired: false,
  dialect: {
    banner: (host, t) => `${host} ESMTP Exim 4.96 ${rfc5322Date(t)}`, // [spec] smtp_banner default
    ehloGreeting: '%s Hello %s', // [smtp]
    heloGreeting: '%s Hello %s', // [smtp]
    ehlo: (o) => [ // [smtp]; CHUNKING left out (no BDAT here)
      `SIZE ${o.size}`, '8BITMIME', 'PIPELINING',
      ...(o.auth.length && !o.authenticated ? [`AUTH ${o.auth.join(' ')}`] : []),
      ...(o.starttls ? ['STARTTLS'] : []),
      'HELP',
    ],
    enhancedStatusCodes: false,
    replies: {
      mailOk: () => ({ code: 250, text: 'OK' }), // [smtp]
      rcptOk: () => ({ code: 250, text: 'Accepted' }), // [smtp]
      data: { code: 354, text: 'Enter message, ending with "." on a line by itself' }, // [smtp]
      queued: (id) => ({ code: 250, text: `OK id=${id}` }), // [smtp]
      quit: (host) => ({ code: 221, text: `${host} closing connection` }), // [smtp]
      noop: { code: 250, text: 'OK' }, // [smtp]
      rset: { code: 250, text: 'Reset OK' }, // [smtp]
      help: [ // [smtp]
        { code: 214, text: 'Commands supported:' },
        { code: 214, text: 'AUTH STARTTLS HELO EHLO MAIL RCPT DATA BDAT NOOP QUIT RSET HELP' },
      ],
      unknown: () => ({ code: 500, text: 'unrecognized command' }), // [smtp]
      starttlsNotOffered: { code: 503, text: 'STARTTLS command used when not advertised' }, // [smtp]
      readyToStartTls: { code: 220, text: 'TLS go ahead' }, // [smtp]
      mustStartTls: { code: 530, text: 'Must issue a STARTTLS command first' }, // [smtp]
      mustAuthenticate: { code: 530, text: 'Authentication required' }, // RFC 4954 §6's text (an ACL's own message in Exim)
      authOk: { code: 235, text: 'Authentication succeeded' }, // [smtp]
      authFailed: { code: 535, text: 'Incorrect authentication data' }, // [smtp]
      ntlmSupported: { code: 334, text: 'ntlm supported' }, // reconstructed: no NTLM server in this build
      userUnknown: () => ({ code: 550, text: 'Unrouteable address' }), // [smtp]
      relayDenied: () => ({ code: 550, text: 'relay not permitted' }), // [smtp]
    },
    received: (f) => `Received: from ${f.clientHost ?? f.heloName ?? 'unknown'} ([${f.clientIp}] helo=${f.heloName || 'unknown'})\r\n` +
      `\tby ${f.byHost} with ${f.tls ? 'esmtps' : 'esmtp'}${f.tls ? ` (${f.tls.protocol}:${f.tls.cipher})` : ''}${f.user ? ` (authenticated as ${f.user})` : ''}\r\n` +
      `\t(Exim 4.96)\r\n\tid ${f.id}; ${f.date}\r\n`, // [spec] received_header_text default
  },
  bounce: {
    from: (domain) => `Mail Delivery System <Mailer-Daemon@${domain}>`, // [bounce]
    subject: () => 'Mail delivery failed: returning message to sender', // [bounce]
    extraFields: () => [],
    text: (f) => [ // [bounce]
      'This message was created automatically by mail delivery software.', '',
      'A message that you sent could not be delivered to one or more of its',
      'recipients. This is a permanent error. The following address(es) failed:', '',
      ...f.recipients.flatMap((r) => [`  ${r}`, `    ${f.diagnostic && f.remoteHost ? `host ${f.remoteHost}\r\n    SMTP error: ${f.diagnostic}` : f.reason}`]),
      '',
    ].join('\r\n'),
  },
  // F,2h,15m; G,16h,1h,1.5; F,4d,6h [spec]: every 15 min for 2 h, then growing from 1 h by 1.5x.
  queue: { lifetimeMs: 4 * DAY, retryMs: [...Array(8).fill(15 * MIN), HOUR, 1.5 * HOUR, 2.25 * HOUR, 3.375 * HOUR, 5.0625 * HOUR, 6 * HOUR] },
  ntlm: { responses: 'v2', blindAuth: false, initialResponse: true, reEhloAfterAuth: true },
  tls: {},
  vocabulary: levelVocabulary((e) => (e.method === 'tls' ? `hosts_require_tls / tls_verify_hosts: ${e.level}` : 'no TLS requirement')) as unknown as Vocabulary,
};
