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
 *  [rcvd]   The spec's received_header_text default (chapter "Main configuration"): `from
 *           $sender_rcvhost`, `by $primary_hostname with $received_protocol ($tls_in_ver) tls
 *           $tls_in_cipher_std`, `(Exim $version_number)`, `(envelope-from <$sender_address>)`,
 *           `id $message_exim_id`, `for $received_for` with one recipient, then `;` and the date on
 *           a line of its own; $sender_rcvhost is the verified name, then the address in brackets
 *           and `helo=` only when the HELO name differs from it; $tls_in_ver reads `TLS1.2`;
 *           $received_protocol is RFC 3848's in lower case. Checked against headers of Exim 4.9x
 *           in public mail (same shape). Simplified: the lab's queue ids keep the lab's own form,
 *           not Exim's `1qAbCd-000123-2b`.
 * No NTLM in Exim's SMTP server here; its security table speaks the TLS levels (Exim's
 * `hosts_require_tls` and `tls_verify_hosts` map onto them).
 */
import { rfc5322Date } from '../smtp/dates.ts';
import { DAY, HOUR, MIN, type Product, type Vocabulary } from './types.ts';
import { levelVocabulary } from './postfix.ts';

/** $tls_in_ver's form: `TLS1.2` for Node's `TLSv1.2`, `TLS1.0` for `TLSv1` (GnuTLS's names; Debian builds Exim with GnuTLS). */
function eximTlsVersion(node: string): string {
  const m = /^TLSv(\d)(?:\.(\d))?$/.exec(node);
  return m ? `TLS${m[1]}.${m[2] ?? '0'}` : node;
}

export const exim: Product = {
  name: 'exim',
  title: 'Exim 4.96',
  requireTlsExtension: false,
  inboundAuth: ['NTLM'],
  heloRequired: false,
  // [spec] the smtp transport's hosts_try_tls defaults to `*`: STARTTLS whenever offered.
  defaultOutbound: { method: 'tls', level: 'may' },
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
    received: (f) => {
      // [rcvd], line by line as the default template expands; "with $received_protocol " is
      // followed by " ($tls_in_ver)", hence two spaces before the version.
      const helo = f.heloName && f.heloName.toLowerCase() !== f.clientHost?.toLowerCase() ? `helo=${f.heloName}` : '';
      const from = f.clientHost ? `${f.clientHost} ([${f.clientIp}]${helo ? ` ${helo}` : ''})` : `[${f.clientIp}]${helo ? ` (${helo})` : ''}`;
      const protocol = `esmtp${f.tls ? 's' : ''}${f.user ? 'a' : ''}`;
      const tls = f.tls ? ` (${eximTlsVersion(f.tls.protocol)}) tls ${f.tls.cipherStd ?? f.tls.cipher}\r\n\t` : '';
      return `Received: from ${from}\r\n\tby ${f.byHost} with ${protocol} ${tls}(Exim 4.96)\r\n` +
        `\t(envelope-from <${f.envelopeFrom}>)\r\n\tid ${f.id}${f.for ? `\r\n\tfor ${f.for}` : ''};\r\n\t${f.date}\r\n`;
    },
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
