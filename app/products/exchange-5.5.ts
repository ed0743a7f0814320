/**
 * Microsoft Exchange Server 5.5, Internet Mail Service (IMS), build 5.5.2653 (SP4), on NT 4.0.
 *
 * Public sources (each line below names the one it follows):
 *  [KB262945] Microsoft KB Q262945, an IMS SMTP log of an NT challenge/response session: the
 *             EHLO keywords and order, the MAIL/RCPT/DATA/QUIT texts, `235 ntlm authentication
 *             successful`, the sender sending `AUTH NTLM` unoffered and going straight to MAIL
 *             (`SIZE=… RET=FULL`) after 235.
 *  [KB173656] Microsoft KB Q173656 ("XFOR: How to Troubleshoot Authenticated IMS Logons"): the
 *             banner, `220 ESMTP Server (Microsoft Exchange Internet Mail Service 5.5.1664.3)
 *             ready`; the host name before it and the SP4 build (2653.13) are as list archives show.
 *  [MS-SMTPNTLM] §2.2.1: the SMTP_NTLM_Supported_Response is `334 <text>`, its text free (the
 *             lab's `334 ntlm supported` is reconstructed).
 *  [Cisco 4733] "Testing the PIX Firewall Mailguard Feature": an IMS answers the NOOP Mailguard
 *             writes over a denied command with `250 OK`.
 *  [Headers]  Received lines of IMS-relayed mail in public list archives of 1998-2003:
 *             `with SMTP (Microsoft Exchange Internet Mail Service Version 5.5.2653.13)`.
 *  [NDR]      The IMS NDR as Outlook 98/2000 showed it: "Your message … did not reach the
 *             following recipient(s)", `MSEXCH:IMS:<org>:<site>:<server> <n> (<code>) <text>`
 *             (Microsoft KB 284204 "XFOR: … MSEXCH:IMS" lists the codes, e.g. 000C05A6).
 *  [Admin]    Exchange 5.5 Administrator's IMS property pages: Security tab ("E-Mail Domain
 *             security information"), Connections tab, retry schedule 10, 10, 10, 15 minutes and
 *             48 hours for normal-priority mail (the schedule recalled from those pages; no public
 *             copy was found to check it against: KB 146669 gives the older IMC's .25, .5, 1, 4 h).
 * Lines marked "reconstructed" have no public capture we could find; docs/products.md lists them.
 */
import { z } from 'zod';
import { DAY, MIN, wire, type ConnectionsForm, type LabEntry, type Product, type Translation, type Vocabulary } from './types.ts';

// A refusal says what is accepted; the dialog puts its field's label before it (renderer/lib/format.ts, `friendly`).
const text = z.string().max(200, 'is too long (at most 200 characters)');

/** The IMS "E-Mail Domain security information" dialog [Admin]. */
export const imsSetting = z.strictObject({
  vocabulary: z.literal('ims'),
  option: z.enum(['none', 'ntlm', 'sasl-ssl']),
  /** "SSL encryption" under SASL/SSL security. */
  sslEncryption: z.boolean().optional(),
  /** "SASL AUTH clear text password" under SASL/SSL security: AUTH LOGIN with the account below. */
  saslClearText: z.boolean().optional(),
  /** The NT domain, account and password this server logs on with. A blank password keeps the saved one. */
  logon: z.strictObject({ domain: text, user: text, password: text }).optional(),
});
export type ImsSetting = z.infer<typeof imsSetting>;
export type ImsOption = ImsSetting['option'];

/** IMS dialog → lab entry. SSL encryption is level `encrypt`: the IMS never verified certificates. */
export function fromIms(domain: string, s: Omit<ImsSetting, 'vocabulary'>): LabEntry {
  switch (s.option) {
    case 'none':
      return { domain, method: 'none' };
    case 'ntlm':
      return { domain, method: 'ntlm', logon: s.logon };
    case 'sasl-ssl':
      // Without the box ticked, SASL/SSL authenticated nothing the lab models; it is plain SMTP.
      return s.sslEncryption ? { domain, method: 'tls', level: 'encrypt' } : { domain, method: 'none' };
  }
}

export function toIms(e: LabEntry): Translation<Omit<ImsSetting, 'vocabulary'>> {
  if (e.method === 'ntlm') {
    const value = { option: 'ntlm' as const, logon: e.logon };
    // The IMS had no way to refuse a 40-bit session (docs/lab.md, "Queue, retries and key strength"); the lab's minKeyBits cannot be said here.
    if (e.minKeyBits) return { ok: false, reason: `the IMS's Security tab cannot refuse weak sessions: minKeyBits ${e.minKeyBits} is a lab addition it could not express`, nearest: value };
    return { ok: true, value };
  }
  if (e.method === 'none' || !e.level || e.level === 'none') return { ok: true, value: { option: 'none' } };
  if (e.level === 'encrypt') return { ok: true, value: { option: 'sasl-ssl', sslEncryption: true } };
  if (e.level === 'may') {
    return { ok: false, reason: 'the IMS has no opportunistic TLS: encryption is either required or not used', nearest: { option: 'none' } };
  }
  return { ok: false, reason: `the IMS never verified certificates, so level ${e.level} has no equivalent`, nearest: { option: 'sasl-ssl', sslEncryption: true } };
}

const imsVocabulary: Vocabulary<ImsSetting> = {
  id: 'ims',
  schema: imsSetting,
  form: {
    title: 'E-Mail Domain security information',
    where: 'Internet Mail Service, Security tab',
    domainLabel: 'E-Mail domain',
    fields: [
      {
        kind: 'radio', key: 'option', legend: 'Security', options: [
          { value: 'none', label: 'No authentication or encryption' },
          { value: 'sasl-ssl', label: 'SASL/SSL security' },
          { value: 'ntlm', label: 'Windows NT challenge/response authentication and encryption' },
        ],
      },
      { kind: 'checkbox', key: 'saslClearText', label: 'SASL AUTH clear text password', indent: true, when: { key: 'option', is: 'sasl-ssl' } },
      { kind: 'checkbox', key: 'sslEncryption', label: 'SSL encryption', indent: true, when: { key: 'option', is: 'sasl-ssl' }, default: true },
      { kind: 'text', key: 'logon.domain', label: 'NT domain', indent: true, when: { key: 'option', is: 'ntlm' } },
      { kind: 'text', key: 'logon.user', label: 'Account', indent: true, when: { key: 'option', is: 'ntlm' } },
      { kind: 'password', key: 'logon.password', label: 'Password', indent: true, when: { key: 'option', is: 'ntlm' }, keepBlank: true },
      // Not the IMS's: the lab's addition (docs/lab.md, "Queue, retries and key strength"), sent as saveSecurity's own minKeyBits, flagged as inexpressible.
      {
        kind: 'select', key: 'minKeyBits', label: 'Minimum session key (lab addition)', indent: true, when: { key: 'option', is: 'ntlm' }, default: '', options: [
          { value: '', label: 'Any (the IMS dialog had no such setting)' }, { value: '56', label: '56-bit' }, { value: '128', label: '128-bit' },
        ],
      },
      { kind: 'note', when: { key: 'option', is: 'ntlm' }, text: "The partner's administrator creates this account on their server; only a response to a challenge crosses the wire, never the password." },
      { kind: 'note', when: { key: 'option', is: 'sasl-ssl' }, text: 'SSL here is TLS 1.0 at most: SSL 3 and the export ciphers of 1998 are gone from OpenSSL 3, so the lab offers TLS 1.0 with AES-CBC and SHA-1.' },
    ],
  },
  toSetting: (e) => {
    const t = toIms(e);
    return t.ok ? { ...t, value: { vocabulary: 'ims', ...t.value } } : { ...t, nearest: t.nearest && { vocabulary: 'ims', ...t.nearest } };
  },
  fromSetting(domain, s, existing) {
    let logon = s.logon;
    if (s.option === 'ntlm') {
      if (!logon?.user.trim()) return { ok: false, error: 'Windows NT challenge/response needs the NT account this server logs on with (domain, account and password)' };
      logon = { domain: logon.domain.trim(), user: logon.user.trim(), password: logon.password };
      if (logon.password === '') {
        const same = existing?.method === 'ntlm' && existing.logon
          && existing.logon.domain.toLowerCase() === logon.domain.toLowerCase() && existing.logon.user.toLowerCase() === logon.user.toLowerCase();
        if (!same) return { ok: false, error: `enter the password of ${logon.domain ? `${logon.domain}\\` : ''}${logon.user}` };
        logon = { ...logon, password: existing.logon!.password };
      }
    }
    const entry = fromIms(domain, { option: s.option, sslEncryption: s.sslEncryption, logon });
    const notes: string[] = [];
    if (s.option === 'sasl-ssl' && !s.sslEncryption) notes.push('SASL/SSL security without SSL encryption protects nothing the lab models: mail to this domain goes in clear');
    if (s.option === 'sasl-ssl' && s.saslClearText) notes.push('SASL AUTH clear text password is shown but not sent: the lab\'s sender does not run AUTH LOGIN (its password would cross base64-encoded, inside TLS only with SSL encryption)');
    return { ok: true, entry, ...(notes.length ? { note: notes.join('; ') } : {}) };
  },
  describe(e) {
    const logon = e.logon ? ` as ${e.logon.domain ? `${e.logon.domain}\\` : ''}${e.logon.user}` : '';
    if (e.method === 'ntlm') return `Windows NT challenge/response authentication and encryption${logon}`;
    if (e.method === 'tls') return `SASL/SSL security, SSL encryption${e.level === 'encrypt' ? '' : ` (lab level ${e.level})`}`;
    return 'No authentication or encryption';
  },
  listing(org) {
    const lines = [`Internet Mail Service (${org.hostName}) — Security tab`, ''];
    for (const e of org.security) {
      const t = toIms(e);
      const v = t.ok ? t.value : t.nearest;
      const said = v?.option === 'ntlm' ? `Windows NT challenge/response authentication and encryption — logon ${v.logon?.domain}\\${v.logon?.user}`
        : v?.option === 'sasl-ssl' ? 'SASL/SSL security — [x] SSL encryption' : 'No authentication or encryption';
      lines.push(`  ${e.domain.padEnd(28)} ${said}`);
      if (!t.ok) lines.push(`  ${''.padEnd(28)} (not exact: ${t.reason})`);
    }
    return lines;
  },
  inexpressible: (e) => (e.method === 'ntlm' && e.minKeyBits ? ['minKeyBits'] : []),
};

/**
 * The IMS Connections tab's "Accept connections" [Admin]. The IMS had one such setting per
 * service; the lab keeps it per interface (host), so an alternate interface (a second IMS on its
 * own address, as such sites ran it) can demand NT challenge/response while the main one does not.
 * "Authentication" is a successful AUTH (NTLM or AUTH LOGIN against the NT accounts kept for
 * partners), "Encryption" TLS or the NTLM seal layer. Option labels: reconstructed from the
 * property page's wording ("From any host (secure or non-secure)", "Only from hosts using").
 */
const MUST_START_TLS = { code: 530, text: 'Must issue a STARTTLS command first' }; // reconstructed
// reconstructed: RFC 2554 §6 (1999, the IMS's own AUTH era) words it `530 Authentication required`;
// the IMS sent no enhanced status codes (docs/products.md, Connections tab).
const MUST_AUTHENTICATE = { code: 530, text: 'Authentication required' };

const imsConnections: ConnectionsForm = {
  title: 'Internet Mail Service Properties — Connections',
  where: 'Internet Mail Service, Connections tab (one setting per interface in the lab)',
  legend: 'Accept connections',
  options: [
    { value: 'all', label: 'From any host (secure or non-secure)' },
    { value: 'authentication', label: 'Only from hosts using: Authentication' },
    { value: 'encryption', label: 'Only from hosts using: Encryption' },
    { value: 'both', label: 'Only from hosts using: Authentication and encryption' },
  ],
  notes: [
    `Authentication: Windows NT challenge/response (AUTH NTLM) or AUTH LOGIN with an NT account this server keeps for partners. Until then MAIL is answered "${wire(MUST_AUTHENTICATE)}".`,
    `Encryption: SSL (STARTTLS) or the NT challenge/response seal. Until then MAIL is answered "${wire(MUST_START_TLS)}".`,
  ],
};

/** NDR diagnostic codes of the IMS [NDR]: the `(code)` of `MSEXCH:IMS:…`. */
function msexchCode(f: { diagnostic?: string; expired: boolean }): string {
  if (f.expired) return '0 (000C05A6)';
  if (f.diagnostic?.startsWith('535')) return '3535 (000B09AA)';
  return `${f.diagnostic?.slice(0, 3) === '550' ? '3550' : '3554'} (000B09AA)`;
}

export const exchange55: Product = {
  name: 'exchange-5.5',
  title: 'Microsoft Exchange Internet Mail Service 5.5.2653.13',
  requireTlsExtension: false,
  // The IMS took MAIL without HELO; a PIX that overwrote EHLO with NOOP still let mail through [Cisco 4733].
  inboundAuth: ['NTLM', 'LOGIN'],
  heloRequired: false,
  dialect: {
    banner: (host) => `${host} ESMTP Server (Microsoft Exchange Internet Mail Service 5.5.2653.13) ready`, // [KB173656]
    ehloGreeting: '%s Hello %s', // [KB262945]
    heloGreeting: '%s Hello %s', // reconstructed (as EHLO's first line)
    // [KB262945]: XEXCH50, HELP, ETRN, DSN, SIZE 0, AUTH LOGIN, AUTH=LOGIN — NTLM is never listed,
    // though the IMS runs it. STARTTLS (IMS with a key, SP1+) is placed after DSN: reconstructed.
    ehlo: (o) => [
      'XEXCH50', 'HELP', 'ETRN', 'DSN',
      ...(o.starttls ? ['STARTTLS'] : []),
      'SIZE 0',
      ...(o.authenticated ? [] : ['AUTH LOGIN', 'AUTH=LOGIN']),
    ],
    enhancedStatusCodes: false,
    replies: {
      // [KB262945]: with SIZE given, "; can accomodate <n> bytes" (sic) follows.
      mailOk: (a, size) => ({ code: 250, text: size === undefined ? `OK - mail from <${a}>` : `OK - mail from <${a}>; can accomodate ${size} bytes` }),
      rcptOk: (a) => ({ code: 250, text: `OK - Recipient <${a}>` }), // [KB262945]
      data: { code: 354, text: 'Send data.  End with CRLF.CRLF' }, // [KB262945]
      queued: () => ({ code: 250, text: 'OK' }), // [KB262945]
      quit: () => ({ code: 221, text: 'closing connection' }), // [KB262945]
      noop: { code: 250, text: 'OK' }, // [Cisco 4733]
      rset: { code: 250, text: 'Reset state' }, // reconstructed
      help: [ // reconstructed: the IMS listed its verbs in one 214 reply
        { code: 214, text: 'Commands:' },
        { code: 214, text: 'HELO EHLO MAIL RCPT DATA RSET QUIT NOOP HELP ETRN AUTH' },
      ],
      unknown: () => ({ code: 500, text: 'Command unrecognized' }), // [Cisco 4733]: PIX 4.4's Xs meet "command unrecognized"
      starttlsNotOffered: { code: 500, text: 'Command unrecognized' }, // reconstructed: a verb it does not run
      readyToStartTls: { code: 220, text: 'Ready to start TLS' }, // reconstructed
      mustStartTls: MUST_START_TLS,
      mustAuthenticate: MUST_AUTHENTICATE,
      authOk: { code: 235, text: 'ntlm authentication successful' }, // [KB262945]
      authFailed: { code: 535, text: 'ntlm authentication failed' }, // reconstructed after [KB262945]'s success line
      ntlmSupported: { code: 334, text: 'ntlm supported' }, // reconstructed: for a client without an initial response; [MS-SMTPNTLM] §2.2.1.2 leaves the text free
      userUnknown: (a) => ({ code: 550, text: `5.1.1 <${a}>... User unknown` }), // reconstructed
      relayDenied: (a) => ({ code: 550, text: `5.7.1 Unable to relay for ${a}` }), // Exchange 5.5 SP1 anti-relay, widely quoted
      etrn: { code: 250, text: 'Queuing started' }, // reconstructed
      xexch50: { code: 500, text: 'Command unrecognized' }, // reconstructed: only Exchange peers negotiate XEXCH50
    },
    // [Headers]: no ESMTPA/ESMTPS keywords (RFC 3848 came in 2004) and no TLS comment.
    received: (f) => `Received: from ${f.heloName || 'unknown'} ([${f.clientIp}]) by ${f.byHost} with SMTP (Microsoft Exchange Internet Mail Service Version 5.5.2653.13)\r\n` +
      `\tid ${f.id}; ${f.date}\r\n`,
  },
  bounce: {
    from: (domain) => `System Administrator <postmaster@${domain}>`, // [NDR]
    subject: (s) => `Undeliverable: ${s}`, // [NDR]
    extraFields: () => [],
    text: (f) => {
      const org = f.domain.split('.')[0].toUpperCase();
      const site = f.ntDomain ?? org;
      const server = f.reportingHost.split('.')[0].toUpperCase();
      const why = f.expired ? 'The message could not be delivered in the time allowed' : f.diagnostic?.startsWith('535') ? 'Logon to the remote server failed' : 'The recipient could not be reached';
      return [
        'Your message', '',
        `  Subject:  ${f.subject}`, '',
        'did not reach the following recipient(s):', '',
        ...f.recipients.flatMap((r) => [
          `${r} on ${f.reportingHost}`,
          `    ${why}`,
          `    MSEXCH:IMS:${org}:${site}:${server} ${msexchCode(f)} ${f.expired ? f.reason : (f.diagnostic ?? f.reason)}`,
        ]),
        '',
      ].join('\r\n');
    },
  },
  queue: { lifetimeMs: 2 * DAY, retryMs: [10 * MIN, 10 * MIN, 10 * MIN, 15 * MIN] }, // [Admin]
  ntlm: { responses: 'v1', blindAuth: true, initialResponse: true, reEhloAfterAuth: false, dsnRet: 'FULL', dsnNotify: 'FAILURE,DELAY' }, // [KB262945]: `AUTH NTLM <NEGOTIATE>` on one line ([MS-SMTPNTLM] §3.1.4.1: SHOULD), MAIL straight after 235, RET=FULL and NOTIFY=FAILURE,DELAY
  tls: {
    minVersion: 'TLSv1', maxVersion: 'TLSv1',
    // The IMS's SSL 3 / TLS 1.0 with RC4 and export ciphers cannot be run: OpenSSL 3 has no SSL 3,
    // no RC4, no export suites. TLS 1.0 with RSA key exchange, CBC and SHA-1 is the nearest;
    // `@SECLEVEL=0` lets OpenSSL 3 sign with SHA-1 as TLS 1.0 must.
    ciphers: 'AES128-SHA:AES256-SHA:@SECLEVEL=0',
    note: 'TLS 1.0 only; SSL 3 and the export ciphers of 1998 are gone from OpenSSL 3, so the lab offers TLS 1.0 with AES-CBC and SHA-1',
  },
  vocabulary: imsVocabulary as unknown as Vocabulary,
  connections: imsConnections,
};
