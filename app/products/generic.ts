/**
 * `generic`: the lab's own MTA, a plain modern ESMTP server with no product's accent. Its words are
 * RFC 5321's examples and RFC 3463's codes; it is the one profile that offers REQUIRETLS (RFC 8689).
 * Nothing here imitates a product, so nothing is reconstructed.
 */
import { DAY, HOUR, MIN, type Product, type Vocabulary } from './types.ts';
import { levelVocabulary } from './postfix.ts';

const genericVocabulary = levelVocabulary((e) => {
  const logon = e.logon ? ` as ${e.logon.domain ? `${e.logon.domain}\\` : ''}${e.logon.user}` : '';
  if (e.method === 'tls') return `TLS, level ${e.level}`;
  if (e.method === 'ntlm') return `NTLM authentication and sealing${logon}`;
  return 'No authentication or encryption';
});

export const generic: Product = {
  name: 'generic',
  title: 'Postcard Lab MTA',
  requireTlsExtension: true,
  inboundAuth: ['NTLM'],
  heloRequired: false,
  dialect: {
    banner: (host) => `${host} ESMTP Postcard Lab`,
    ehloGreeting: '%s Hello %s',
    heloGreeting: '%s Hello %s',
    ehlo: (o) => [
      'PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'DSN',
      ...(o.auth.length && !o.authenticated ? [`AUTH ${o.auth.join(' ')}`] : []),
      ...(o.starttls ? ['STARTTLS'] : []),
      ...(o.requireTls ? ['REQUIRETLS'] : []),
      `SIZE ${o.size}`,
    ],
    enhancedStatusCodes: true,
    replies: {
      // RFC 5321 §4.2 codes, RFC 3463 §3 statuses (2.1.0 sender, 2.1.5 destination, 2.0.0 other);
      // the texts are smtp-server's own, the library the lab's MTA is built on.
      mailOk: () => ({ code: 250, status: '2.1.0', text: 'Accepted' }),
      rcptOk: () => ({ code: 250, status: '2.1.5', text: 'Accepted' }),
      data: { code: 354, text: 'End data with <CR><LF>.<CR><LF>' },
      queued: (id) => ({ code: 250, status: '2.0.0', text: `OK: queued as ${id}` }),
      quit: () => ({ code: 221, status: '2.0.0', text: 'Bye' }),
      noop: { code: 250, status: '2.0.0', text: 'OK' },
      rset: { code: 250, status: '2.0.0', text: 'Flushed' },
      help: [{ code: 214, status: '2.0.0', text: 'See https://tools.ietf.org/html/rfc5321 for details' }],
      unknown: () => ({ code: 500, status: '5.5.2', text: 'Error: command not recognized' }),
      starttlsNotOffered: { code: 502, status: '5.5.1', text: 'Error: command not implemented' },
      readyToStartTls: { code: 220, status: '2.0.0', text: 'Ready to start TLS' },
      mustStartTls: { code: 530, status: '5.7.0', text: 'Must issue a STARTTLS command first' },
      mustAuthenticate: { code: 530, status: '5.7.0', text: 'Authentication required' }, // RFC 4954 §6
      authOk: { code: 235, status: '2.7.0', text: 'Authentication successful' },
      authFailed: { code: 535, status: '5.7.8', text: 'Authentication credentials invalid' }, // RFC 4954 §6
      ntlmSupported: { code: 334, text: 'ntlm supported' },
      userUnknown: (a) => ({ code: 550, status: '5.1.1', text: `<${a}>: Recipient address rejected: User unknown` }),
      relayDenied: (a) => ({ code: 550, status: '5.7.1', text: `<${a}>: Relay access denied` }),
    },
    // RFC 5321 §4.4 trace field; RFC 3848 `with` keywords.
    received: (f) => `Received: from ${f.heloName || 'unknown'} (${f.clientHost ?? 'unknown'} [${f.clientIp}])` +
      (f.tls ? ` (using ${f.tls.protocol} with cipher ${f.tls.cipher})` : '') +
      (f.user ? `\r\n\t(Authenticated sender: ${f.user})` : '') +
      `\r\n\tby ${f.byHost} (Postcard Lab MTA) with ESMTP${f.tls ? 'S' : ''}${f.user ? 'A' : ''} id ${f.id};\r\n\t${f.date}\r\n`,
  },
  bounce: {
    from: (domain) => `Mail Delivery System <MAILER-DAEMON@${domain}>`,
    subject: (s) => `Undelivered Mail Returned to Sender: ${s}`,
    extraFields: () => [],
    text: (f) => [
      `This is the mail system at host ${f.reportingHost}.`, '',
      'Your message could not be delivered to the following recipients:', '',
      ...f.recipients.map((r) => `  ${r}`), '',
      `Reason: ${f.reason}`,
      ...(f.diagnostic ? [`The remote server${f.remoteHost ? ` ${f.remoteHost}` : ''} said: ${f.diagnostic}`] : []),
      '',
    ].join('\r\n'),
  },
  queue: { lifetimeMs: 5 * DAY, retryMs: [5 * MIN, 10 * MIN, 20 * MIN, 40 * MIN, HOUR] },
  ntlm: { responses: 'v2', blindAuth: false, initialResponse: true, reEhloAfterAuth: true },
  tls: {},
  vocabulary: genericVocabulary as unknown as Vocabulary,
};
