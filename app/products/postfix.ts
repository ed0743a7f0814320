/**
 * Postfix 3.7 (Debian 12's), smtpd and smtp with TLS security levels.
 *
 * Public sources:
 *  [smtpd]    Postfix source, src/smtpd/smtpd.c (reply texts: `250 2.1.0 Ok`, `354 End data with
 *             <CR><LF>.<CR><LF>`, `250 2.0.0 Ok: queued as …`, `221 2.0.0 Bye`, `502 5.5.2 Error:
 *             command not recognized`, `502 5.5.1 Error: command not implemented` for STARTTLS
 *             without TLS, `530 5.7.0 Must issue a STARTTLS command first`), EHLO order as smtpd
 *             prints it; smtpd_sasl.c (`235 2.7.0 Authentication successful`, `535 5.7.8 Error:
 *             authentication failed: …`); smtpd_check.c (`… Recipient address rejected: User
 *             unknown in local recipient table`, `… Relay access denied`).
 *  [bounce]   src/bounce/bounce_notify_util.c and the default bounce template (bounce(5)):
 *             "This is the mail system at host …", `X-Postfix-Queue-ID`, `X-Postfix-Sender`,
 *             `Diagnostic-Code: X-Postfix; …` for a local reason.
 *  [Received] smtpd's Received header with the `(using TLSv1.3 with cipher … (256/256 bits))` comment.
 *  [postconf] postconf(5): maximal_queue_lifetime 5d, minimal_backoff_time 300s,
 *             maximal_backoff_time 4000s, smtpd_tls_protocols; TLS_README "TLS security levels".
 *  [smtpdtls] postconf(5) smtpd_tls_security_level (none, may: announce STARTTLS and do not
 *             require it, encrypt: mandatory TLS, which RFC 3207 §4 rules out for a publicly
 *             referenced server), smtpd_tls_protocols (opportunistic) and
 *             smtpd_tls_mandatory_protocols (at encrypt), both in the `>=TLSv1.2` form of 3.6 on.
 */
import { z } from 'zod';
import { DAY, MIN, type InboundTlsForm, type LabEntry, type Product, type Translation, type Vocabulary } from './types.ts';
import { isTlsLevel, tlsLevelNames, tlsLevelSpec } from '../tls/level-table.ts';

/** A level of the table (app/tls/level-table.ts): the built-in ones and any registered at run time. */
export const levelSetting = z.strictObject({
  vocabulary: z.literal('level'),
  level: z.string().refine(isTlsLevel, { error: (issue) => `unknown TLS level ${JSON.stringify(issue.input)}: one of ${tlsLevelNames().join(', ')}` }),
});
type LevelSetting = z.infer<typeof levelSetting>;

/** A Postfix `smtp_tls_policy_maps` line (postconf(5), TLS_README "TLS policy table"). */
export function toPostfix(e: LabEntry): Translation<string> {
  if (e.method === 'ntlm') return { ok: false, reason: 'Postfix has no NTLM challenge/response; the nearest protection is TLS', nearest: `${e.domain}\tencrypt` };
  const level = e.method === 'none' ? 'none' : (e.level ?? 'none');
  if (level === 'mta-sts') {
    return { ok: true, value: `${e.domain}\tsocketmap:inet:127.0.0.1:8461:postfix`, note: 'MTA-STS in Postfix comes from a policy resolver (postfix-mta-sts-resolver) answering smtp_tls_policy_maps' };
  }
  // `secure` without match= checks nexthop and dot-nexthop (Postfix's smtp_tls_secure_cert_match default).
  return { ok: true, value: `${e.domain}\t${level}` };
}

/** The TLS-level vocabulary: Postfix's own, and the lab's model (generic servers use it too). */
export function levelVocabulary(describe: (e: LabEntry) => string, listing?: Vocabulary['listing']): Vocabulary<LevelSetting> {
  return {
    id: 'level',
    schema: levelSetting,
    form: {
      title: 'TLS policy for a next-hop domain',
      where: 'smtp_tls_policy_maps',
      domainLabel: 'Next-hop domain',
      fields: [{
        kind: 'radio', key: 'level', legend: 'TLS security level (smtp_tls_policy_maps)', default: 'may',
        // The table's rows (Postfix's own one-line descriptions, TLS_README "TLS security levels",
        // and the lab's mta-sts), read when the form is shown, so a registered level is offered too.
        get options() {
          return tlsLevelNames().map((name) => ({ value: name, label: name, hint: tlsLevelSpec(name)?.description ?? '' }));
        },
      }],
    },
    toSetting(e) {
      if (e.method !== 'ntlm') return { ok: true, value: { vocabulary: 'level', level: e.method === 'tls' ? (e.level ?? 'none') : 'none' } };
      const t = toPostfix(e);
      return { ok: false, reason: t.ok ? 'no NTLM here' : t.reason, nearest: { vocabulary: 'level', level: 'encrypt' } };
    },
    fromSetting: (domain, s) => ({ ok: true, entry: s.level === 'none' ? { domain, method: 'none' } : { domain, method: 'tls', level: s.level } }),
    describe,
    listing,
  };
}

const postfixVocabulary = levelVocabulary(
  (e) => {
    const logon = e.logon ? ` as ${e.logon.domain ? `${e.logon.domain}\\` : ''}${e.logon.user}` : '';
    if (e.method === 'tls') return `smtp_tls_policy_maps: ${e.level}`;
    if (e.method === 'ntlm') return `smtp_sasl_auth (NTLM)${logon}`;
    return 'smtp_tls_policy_maps: none';
  },
  (org) => {
    const lines = ['# main.cf', 'smtp_tls_security_level = may', 'smtp_tls_policy_maps = hash:/etc/postfix/tls_policy', '', '# /etc/postfix/tls_policy (postmap it)'];
    for (const e of org.security) {
      const t = toPostfix(e);
      if (t.ok) lines.push(t.value + (t.note ? `\t# ${t.note}` : ''));
      else lines.push(`# ${e.domain}: ${t.reason}${t.nearest ? `; nearest: ${t.nearest}` : ''}`);
    }
    return lines;
  },
);

/**
 * The ` (256/256 bits)` Postfix writes after the cipher (its usage and algorithm key bits; both the
 * same for the AES and ChaCha20 ciphers the lab can negotiate); nothing for a cipher it cannot size.
 */
function cipherBits(cipher: string): string {
  const bits = /AES256|AES_256|CHACHA20/i.test(cipher) ? 256 : /AES128|AES_128/i.test(cipher) ? 128 : undefined;
  return bits ? ` (${bits}/${bits} bits)` : '';
}

/** main.cf's TLS for mail received [smtpdtls]; the lab's inbound settings under Postfix's names. */
const postfixInboundTls: InboundTlsForm = {
  title: 'main.cf — TLS for mail received (smtpd)',
  where: '/etc/postfix/main.cf; the next session after postfix reload takes it',
  level: {
    name: 'smtpd_tls_security_level',
    options: [
      { value: 'none', starttls: false, requireTls: false, label: 'no STARTTLS offered' },
      { value: 'may', starttls: true, requireTls: false, label: 'STARTTLS offered, not required' },
      { value: 'encrypt', starttls: true, requireTls: true, label: 'TLS required: MAIL before STARTTLS is refused' },
    ],
  },
  protocols: {
    name: 'smtpd_tls_protocols',
    mandatoryName: 'smtpd_tls_mandatory_protocols',
    options: [
      { minVersion: 'TLSv1', value: '>=TLSv1' },
      { minVersion: 'TLSv1.1', value: '>=TLSv1.1' },
      { minVersion: 'TLSv1.2', value: '>=TLSv1.2' },
      { minVersion: 'TLSv1.3', value: '>=TLSv1.3' },
    ],
  },
  notes: [
    'Postfix reads smtpd_tls_protocols while TLS is optional and smtpd_tls_mandatory_protocols once it is required; the lab sets the one the level uses.',
    'Below TLS 1.2, OpenSSL 3 also needs @SECLEVEL=0 in the cipher list (tls_medium_cipherlist); this server has it.',
    'encrypt is for a private partner link: RFC 3207 §4 says a publicly referenced server must not require TLS.',
  ],
};

export const postfix: Product = {
  name: 'postfix',
  title: 'Postfix',
  requireTlsExtension: false,
  inboundAuth: ['NTLM'],
  heloRequired: false, // smtpd_helo_required = no [postconf]
  dialect: {
    banner: (host) => `${host} ESMTP Postfix`, // smtpd_banner = $myhostname ESMTP $mail_name [postconf]
    ehloGreeting: '%s', // [smtpd]
    heloGreeting: '%s', // [smtpd]
    ehlo: (o) => [ // [smtpd], in smtpd's order; CHUNKING left out (no BDAT here)
      'PIPELINING', `SIZE ${o.size}`, 'VRFY', 'ETRN',
      ...(o.starttls ? ['STARTTLS'] : []),
      ...(o.auth.length && !o.authenticated ? [`AUTH ${o.auth.join(' ')}`] : []),
      'ENHANCEDSTATUSCODES', '8BITMIME', 'DSN', 'SMTPUTF8',
      ...(o.requireTls ? ['REQUIRETLS'] : []),
    ],
    enhancedStatusCodes: true,
    replies: {
      mailOk: () => ({ code: 250, status: '2.1.0', text: 'Ok' }), // [smtpd]
      rcptOk: () => ({ code: 250, status: '2.1.5', text: 'Ok' }), // [smtpd]
      data: { code: 354, text: 'End data with <CR><LF>.<CR><LF>' }, // [smtpd]
      queued: (id) => ({ code: 250, status: '2.0.0', text: `Ok: queued as ${id}` }), // [smtpd]
      quit: () => ({ code: 221, status: '2.0.0', text: 'Bye' }), // [smtpd]
      noop: { code: 250, status: '2.0.0', text: 'Ok' }, // [smtpd]
      rset: { code: 250, status: '2.0.0', text: 'Ok' }, // [smtpd]
      help: [{ code: 502, status: '5.5.2', text: 'Error: command not recognized' }], // [smtpd]: Postfix has no HELP
      // [smtpd]: AUTH without smtpd_sasl_auth_enable is "authentication not enabled"
      unknown: (verb) => (verb === 'AUTH' ? { code: 503, status: '5.5.1', text: 'Error: authentication not enabled' } : { code: 502, status: '5.5.2', text: 'Error: command not recognized' }),
      starttlsNotOffered: { code: 502, status: '5.5.1', text: 'Error: command not implemented' }, // [smtpd]
      readyToStartTls: { code: 220, status: '2.0.0', text: 'Ready to start TLS' }, // [smtpd]
      mustStartTls: { code: 530, status: '5.7.0', text: 'Must issue a STARTTLS command first' }, // [smtpd]
      mustAuthenticate: { code: 530, status: '5.7.0', text: 'Authentication required' }, // RFC 4954 §6 (reconstructed for Postfix: its restriction would say 554 5.7.1)
      authOk: { code: 235, status: '2.7.0', text: 'Authentication successful' }, // [smtpd]
      authFailed: { code: 535, status: '5.7.8', text: 'Error: authentication failed: authentication failure' }, // [smtpd]
      ntlmSupported: { code: 334, text: 'ntlm supported' }, // reconstructed: Postfix's Cyrus SASL has no NTLM for SMTP servers here
      userUnknown: (a) => ({ code: 550, status: '5.1.1', text: `<${a}>: Recipient address rejected: User unknown in local recipient table` }), // [smtpd]
      relayDenied: (a) => ({ code: 554, status: '5.7.1', text: `<${a}>: Relay access denied` }), // [smtpd]
      etrn: { code: 250, text: 'Queuing started' }, // [smtpd]
    },
    received: (f) => `Received: from ${f.heloName || 'unknown'} (${f.clientHost ?? 'unknown'} [${f.clientIp}])\r\n` +
      (f.tls ? `\t(using ${f.tls.protocol} with cipher ${f.tls.cipher}${cipherBits(f.tls.cipher)})\r\n\t(No client certificate requested)\r\n` : '') +
      (f.user ? `\t(Authenticated sender: ${f.user})\r\n` : '') +
      `\tby ${f.byHost} (Postfix) with ESMTP${f.tls ? 'S' : ''}${f.user ? 'A' : ''} id ${f.id};\r\n\t${f.date}\r\n`, // [Received], RFC 3848
  },
  bounce: {
    from: (domain) => `MAILER-DAEMON@${domain} (Mail Delivery System)`, // [bounce]
    subject: () => 'Undelivered Mail Returned to Sender', // [bounce]
    extraFields: (f) => [`X-Postfix-Queue-ID: ${f.queueId}`], // [bounce]
    localDiagnosticType: 'X-Postfix', // [bounce]
    text: (f) => [ // [bounce], the default template
      `This is the mail system at host ${f.reportingHost}.`, '',
      "I'm sorry to have to inform you that your message could not",
      "be delivered to one or more recipients. It's attached below.", '',
      'For further assistance, please send mail to postmaster.', '',
      'If you do so, please include this problem report. You can',
      'delete your own text from the attached returned message.', '',
      '                   The mail system', '',
      ...f.recipients.map((r) => `<${r}>: ${f.reason}`),
      '',
    ].join('\r\n'),
  },
  // maximal_queue_lifetime 5d; backoff from 300 s doubling up to 4000 s [postconf].
  queue: { lifetimeMs: 5 * DAY, retryMs: [5 * MIN, 10 * MIN, 20 * MIN, 40 * MIN, 4000_000] },
  ntlm: { responses: 'v2', blindAuth: false, initialResponse: true, reEhloAfterAuth: true },
  // smtpd_tls_protocols defaults to >=TLSv1 [postconf], but OpenSSL 3 refuses TLS 1.0/1.1 at its
  // default security level 1 (their SHA-1/MD5 handshake signatures): this Postfix is opened up with
  // @SECLEVEL=0, as a site serving an IMS of 1999 would have to configure (docs/products.md).
  tls: { minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' },
  vocabulary: postfixVocabulary as unknown as Vocabulary,
  inboundTls: postfixInboundTls,
};
