/**
 * Microsoft Exchange Server 2019, front-end transport (Default Frontend receive connector) and
 * send connectors.
 *
 * Public sources:
 *  [ProtoLog] Exchange SMTP protocol logs (Microsoft Learn "Protocol logging", and the many logs
 *             posted on Microsoft Q&A / TechCommunity): banner, EHLO list and order, `250 2.1.0
 *             Sender OK`, `250 2.1.5 Recipient OK`, `354 Start mail input; end with <CRLF>.<CRLF>`,
 *             `250 2.6.0 <id> Queued mail for delivery`, `221 2.0.0 Service closing transmission
 *             channel`, `500 5.3.3 Unrecognized command`, `235 2.7.0 Authentication successful`,
 *             `535 5.7.3 Authentication unsuccessful`, `550 5.1.10 RESOLVER.ADR.RecipientNotFound`.
 *  [Received] Received headers of Exchange 2013+: `with Microsoft SMTP Server (version=TLS1_2,
 *             cipher=…) id 15.2.…`.
 *  [NDR]      Microsoft Learn "Email non-delivery reports and SMTP errors in Exchange Online /
 *             Exchange Server": From `Microsoft Outlook`, "Delivery has failed to these recipients
 *             or groups", "Diagnostic information for administrators", `4.4.7 QUEUE.Expired`.
 *  [Transport] Set-TransportService defaults: MessageExpirationTimeout 2 days,
 *             TransientFailureRetryCount 6 at TransientFailureRetryInterval 5 min (10 min on an
 *             Edge server), then OutboundConnectionFailureRetryInterval 10 min.
 *  [SendConn] New-/Set-SendConnector: RequireTLS, TlsAuthLevel, TlsDomain.
 *  [TLS]      "Exchange Server TLS guidance" (Microsoft, 2023): TLS 1.2 only on a hardened 2019.
 * The lab's server has no BDAT: CHUNKING and BINARYMIME are left out of EHLO (docs/products.md).
 */
import { z } from 'zod';
import { rfc5322Date } from '../smtp/dates.ts';
import { tlsLevelSpec } from '../tls/level-table.ts';
import { DAY, MIN, type LabEntry, type Product, type Translation, type Vocabulary } from './types.ts';

export const sendConnectorSetting = z.strictObject({
  vocabulary: z.literal('send-connector'),
  RequireTLS: z.boolean(),
  TlsAuthLevel: z.enum(['EncryptionOnly', 'CertificateValidation', 'DomainValidation']).optional(),
});
type SendConnectorSetting = z.infer<typeof sendConnectorSetting>;

/** Exchange 2016/2019 send connector TLS parameters (Set-SendConnector) [SendConn]. */
export interface SendConnectorTls {
  RequireTLS: boolean;
  TlsAuthLevel?: 'EncryptionOnly' | 'CertificateValidation' | 'DomainValidation';
  TlsDomain?: string;
}

export function fromSendConnector(domain: string, c: SendConnectorTls): LabEntry {
  // Exchange 2013+ always tries STARTTLS; RequireTLS $false is opportunistic TLS.
  if (!c.RequireTLS) return { domain, method: 'tls', level: 'may' };
  switch (c.TlsAuthLevel ?? 'EncryptionOnly') {
    case 'EncryptionOnly':
      return { domain, method: 'tls', level: 'encrypt' };
    case 'CertificateValidation':
      return { domain, method: 'tls', level: 'verify' };
    case 'DomainValidation':
      return { domain, method: 'tls', level: 'secure' };
  }
}

export function toSendConnector(e: LabEntry): Translation<SendConnectorTls> {
  if (e.method === 'ntlm') return { ok: false, reason: 'send connectors offer no NTLM sealing; SMTP sessions are protected with TLS' };
  const level = e.method === 'none' ? 'none' : (e.level ?? 'none');
  switch (level) {
    case 'none':
      return { ok: false, reason: 'a send connector cannot turn STARTTLS off; it always tries it', nearest: { RequireTLS: false } };
    case 'may':
      return { ok: true, value: { RequireTLS: false } };
    case 'encrypt':
      return { ok: true, value: { RequireTLS: true, TlsAuthLevel: 'EncryptionOnly' } };
    case 'verify':
      return { ok: true, value: { RequireTLS: true, TlsAuthLevel: 'CertificateValidation' } };
    case 'secure':
      return { ok: true, value: { RequireTLS: true, TlsAuthLevel: 'DomainValidation', TlsDomain: e.domain.replace(/^\./, '') } };
    case 'dane':
    case 'dane-only':
    case 'mta-sts':
      return { ok: false, reason: `on-premises Exchange 2019 has no outbound ${level === 'mta-sts' ? 'MTA-STS' : 'DANE'} support`, nearest: { RequireTLS: true, TlsAuthLevel: 'CertificateValidation' } };
    default: {
      // A level registered at run time (app/tls/level-table.ts): the nearest setting by what it does.
      const spec = tlsLevelSpec(level);
      const nearest: SendConnectorTls = !spec?.failsClosed ? { RequireTLS: false }
        : spec.authenticates ? { RequireTLS: true, TlsAuthLevel: 'CertificateValidation' } : { RequireTLS: true, TlsAuthLevel: 'EncryptionOnly' };
      return { ok: false, reason: `a send connector has no setting for TLS level ${level}`, nearest };
    }
  }
}

const sendConnectorVocabulary: Vocabulary<SendConnectorSetting> = {
  id: 'send-connector',
  schema: sendConnectorSetting,
  form: {
    title: 'Send connector TLS settings',
    where: 'Send connectors, TLS settings',
    domainLabel: 'Address space',
    fields: [
      { kind: 'checkbox', key: 'RequireTLS', label: 'RequireTLS', hint: '(without it, Exchange still tries STARTTLS and falls back to cleartext)', default: true },
      {
        kind: 'select', key: 'TlsAuthLevel', label: 'TlsAuthLevel', indent: true, when: { key: 'RequireTLS', is: true }, default: 'EncryptionOnly', options: [
          { value: 'EncryptionOnly', label: 'EncryptionOnly: any certificate' },
          { value: 'CertificateValidation', label: 'CertificateValidation: a trusted chain' },
          { value: 'DomainValidation', label: 'DomainValidation: a trusted chain naming the domain' },
        ],
      },
    ],
  },
  toSetting: (e) => {
    const t = toSendConnector(e);
    const view = (v: SendConnectorTls): SendConnectorSetting => ({ vocabulary: 'send-connector', RequireTLS: v.RequireTLS, ...(v.TlsAuthLevel ? { TlsAuthLevel: v.TlsAuthLevel } : {}) });
    return t.ok ? { ok: true, value: view(t.value) } : { ok: false, reason: t.reason, nearest: view(t.nearest ?? { RequireTLS: false }) };
  },
  fromSetting: (domain, s) => ({ ok: true, entry: fromSendConnector(domain, { RequireTLS: s.RequireTLS, TlsAuthLevel: s.RequireTLS ? s.TlsAuthLevel : undefined }) }),
  describe(e) {
    const logon = e.logon ? ` as ${e.logon.domain ? `${e.logon.domain}\\` : ''}${e.logon.user}` : '';
    if (e.method === 'tls') {
      if (e.level === 'may') return 'Send connector: RequireTLS $false (opportunistic TLS)';
      const auth = ({ encrypt: 'EncryptionOnly', verify: 'CertificateValidation', secure: 'DomainValidation' } as Record<string, string | undefined>)[e.level ?? ''];
      return `Send connector: RequireTLS $true${auth ? `, TlsAuthLevel ${auth}` : ` (lab level ${e.level})`}`;
    }
    if (e.method === 'ntlm') return `Send connector: NTLM basic auth${logon}`;
    return 'Send connector: no TLS requirement';
  },
  listing(org) {
    const lines = ['# Exchange Management Shell: one send connector per remote domain'];
    for (const e of org.security) {
      const t = toSendConnector(e);
      const v = t.ok ? t.value : t.nearest;
      if (!t.ok) lines.push(`# ${e.domain}: ${t.reason}${v ? '; nearest:' : ''}`);
      if (!v) continue;
      const space = e.domain.startsWith('.') ? `*${e.domain}` : e.domain;
      const tls = `-RequireTLS $${v.RequireTLS}${v.TlsAuthLevel ? ` -TlsAuthLevel ${v.TlsAuthLevel}` : ''}${v.TlsDomain ? ` -TlsDomain ${v.TlsDomain}` : ''}`;
      lines.push(`${t.ok ? '' : '# '}New-SendConnector -Name "To ${space}" -Usage Custom -AddressSpaces "SMTP:${space};1" ${tls}`);
    }
    return lines;
  },
};

/** Exchange's TLS version names in Received headers: `TLS1_2` [Received]. */
const tlsName = (p: string) => p.replace(/^TLSv/, 'TLS').replace('.', '_').replace(/^TLS1$/, 'TLS1_0');

export const exchange2019: Product = {
  name: 'exchange-2019',
  title: 'Microsoft SMTP Server',
  requireTlsExtension: false,
  inboundAuth: ['NTLM'],
  heloRequired: true,
  // [SendConn]: a send connector without RequireTLS still uses TLS whenever the receiver offers
  // STARTTLS (Exchange 2013 and later); there is no setting that turns it off.
  defaultOutbound: { method: 'tls', level: 'may' },
  dialect: {
    banner: (host, t) => `${host} Microsoft ESMTP MAIL Service ready at ${rfc5322Date(t)}`, // [ProtoLog]
    ehloGreeting: '%s Hello %s', // [ProtoLog]
    heloGreeting: '%s Hello %s', // [ProtoLog]
    ehlo: (o) => [ // [ProtoLog], order as logged; CHUNKING/BINARYMIME/X-* left out (no BDAT here)
      `SIZE ${o.size}`, 'PIPELINING', 'DSN', 'ENHANCEDSTATUSCODES',
      ...(o.starttls ? ['STARTTLS'] : []),
      ...(o.auth.length && !o.authenticated ? [`AUTH ${o.auth.join(' ')}`] : []),
      '8BITMIME', 'SMTPUTF8',
    ],
    enhancedStatusCodes: true,
    replies: {
      mailOk: () => ({ code: 250, status: '2.1.0', text: 'Sender OK' }), // [ProtoLog]
      rcptOk: () => ({ code: 250, status: '2.1.5', text: 'Recipient OK' }), // [ProtoLog]
      data: { code: 354, text: 'Start mail input; end with <CRLF>.<CRLF>' }, // [ProtoLog]
      queued: (id) => ({ code: 250, status: '2.6.0', text: `<${id}> [InternalId=${Number(id.replace(/\D/g, '')) || 1}] Queued mail for delivery` }), // [ProtoLog]
      quit: () => ({ code: 221, status: '2.0.0', text: 'Service closing transmission channel' }), // [ProtoLog]
      noop: { code: 250, status: '2.0.0', text: 'OK' }, // [ProtoLog]
      rset: { code: 250, status: '2.0.0', text: 'Resetting' }, // [ProtoLog]
      help: [ // [ProtoLog]
        { code: 214, text: 'This server supports the following commands:' },
        { code: 214, text: 'HELO EHLO STARTTLS RCPT DATA RSET MAIL QUIT HELP AUTH BDAT' },
      ],
      unknown: () => ({ code: 500, status: '5.3.3', text: 'Unrecognized command' }), // [ProtoLog]
      starttlsNotOffered: { code: 500, status: '5.3.3', text: 'Unrecognized command' }, // reconstructed: no certificate bound, STARTTLS unknown
      readyToStartTls: { code: 220, status: '2.0.0', text: 'SMTP server ready' }, // [ProtoLog]
      mustStartTls: { code: 530, status: '5.7.0', text: 'Must issue a STARTTLS command first' }, // reconstructed
      mustAuthenticate: { code: 530, status: '5.7.1', text: 'Client was not authenticated' }, // [ProtoLog]: a receive connector without anonymous permission
      authOk: { code: 235, status: '2.7.0', text: 'Authentication successful' }, // [ProtoLog]
      authFailed: { code: 535, status: '5.7.3', text: 'Authentication unsuccessful' }, // [ProtoLog]
      ntlmSupported: { code: 334, text: 'NTLM supported' }, // [ProtoLog]
      userUnknown: () => ({ code: 550, status: '5.1.10', text: 'RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup' }), // [NDR]
      relayDenied: () => ({ code: 550, status: '5.7.54', text: 'SMTP; Unable to relay recipient in non-accepted domain' }), // [NDR]
    },
    received: (f) => `Received: from ${f.heloName || 'unknown'} (${f.clientIp}) by ${f.byHost}${f.byIp ? ` (${f.byIp})` : ''} with Microsoft SMTP Server` +
      `${f.tls ? ` (version=${tlsName(f.tls.protocol)}, cipher=${f.tls.cipher})` : ''}\r\n\tid 15.2.1544.4; ${f.date}\r\n`, // [Received]
  },
  bounce: {
    from: (domain) => `Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@${domain}>`, // [NDR]
    subject: (s) => `Undeliverable: ${s}`, // [NDR]
    extraFields: () => [],
    text: (f) => [ // [NDR]
      'Delivery has failed to these recipients or groups:', '',
      ...f.recipients.map((r) => r),
      f.expired
        ? "Your message couldn't be delivered because the recipient's email system didn't accept it within the time allowed. The message expired in this server's queue."
        : "Your message couldn't be delivered. The recipient's email system refused it.",
      '', '',
      'Diagnostic information for administrators:', '',
      `Generating server: ${f.reportingHost}`, '',
      ...f.recipients.flatMap((r) => [
        r,
        f.diagnostic && f.remoteHost ? `${f.remoteHost}` : f.reportingHost,
        f.diagnostic ? `Remote Server returned '${f.diagnostic}'` : `${f.status} QUEUE.Expired; message expired (last error: ${f.reason})`,
        '',
      ]),
    ].join('\r\n'),
  },
  queue: { lifetimeMs: 2 * DAY, retryMs: [10 * MIN] }, // [Transport]
  ntlm: { responses: 'v2', blindAuth: false, initialResponse: true, reEhloAfterAuth: true },
  tls: { minVersion: 'TLSv1.2' }, // [TLS]
  vocabulary: sendConnectorVocabulary as unknown as Vocabulary,
};
