/**
 * One security setting in every product's words (SPEC §3: "the policy translator shows one setting
 * in every vocabulary"). The lab's own model is Postfix's levels plus method `ntlm`; each product's
 * settings map onto it, both ways, and what a product cannot express is said plainly.
 *
 *   Exchange 5.5 IMS, Security tab       Exchange 2019 send connector           lab / Postfix level
 *   No authentication or encryption      RequireTLS $false                       none (2019: may)
 *   Windows NT challenge/response …      —                                       method ntlm
 *   SASL/SSL security + SSL encryption   RequireTLS $true, EncryptionOnly        encrypt
 *   —                                    RequireTLS $true, CertificateValidation verify
 *   —                                    RequireTLS $true, DomainValidation      secure
 */
import type { SecurityEntry } from '../config/schema.ts';

export type TlsLevel = NonNullable<SecurityEntry['level']>;

/** The IMS "E-Mail Domain security information" dialog (Exchange Server 5.5). */
export type ImsOption = 'none' | 'ntlm' | 'sasl-ssl';

export interface ImsSetting {
  option: ImsOption;
  /** The "SSL encryption" check box under SASL/SSL. */
  sslEncryption?: boolean;
  logon?: { domain: string; user: string; password: string };
}

/** Exchange 2016/2019 send connector TLS parameters (Set-SendConnector). */
export interface SendConnectorTls {
  RequireTLS: boolean;
  TlsAuthLevel?: 'EncryptionOnly' | 'CertificateValidation' | 'DomainValidation';
  TlsDomain?: string;
}

export type Translation<T> = { ok: true; value: T; note?: string } | { ok: false; reason: string; nearest?: T };

export function fromIms(domain: string, s: ImsSetting): Omit<SecurityEntry, 'domain'> & { domain: string } {
  switch (s.option) {
    case 'none':
      return { domain, method: 'none' };
    case 'ntlm':
      return { domain, method: 'ntlm', logon: s.logon };
    case 'sasl-ssl':
      // IMS did not verify the partner's certificate: "SSL encryption" is today's `encrypt`.
      // Without the box ticked, SASL/SSL authenticated nothing the lab models; it is plain SMTP.
      return s.sslEncryption ? { domain, method: 'tls', level: 'encrypt' } : { domain, method: 'none' };
  }
}

export function toIms(e: SecurityEntry): Translation<ImsSetting> {
  if (e.method === 'ntlm') return { ok: true, value: { option: 'ntlm', logon: e.logon } };
  if (e.method === 'none' || !e.level || e.level === 'none') return { ok: true, value: { option: 'none' } };
  if (e.level === 'encrypt') return { ok: true, value: { option: 'sasl-ssl', sslEncryption: true } };
  if (e.level === 'may') {
    return { ok: false, reason: 'the IMS has no opportunistic TLS: encryption is either required or not used', nearest: { option: 'none' } };
  }
  return { ok: false, reason: `the IMS never verified certificates, so level ${e.level} has no equivalent`, nearest: { option: 'sasl-ssl', sslEncryption: true } };
}

export function fromSendConnector(domain: string, c: SendConnectorTls): SecurityEntry {
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

export function toSendConnector(e: SecurityEntry): Translation<SendConnectorTls> {
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
  }
}

/** A Postfix `smtp_tls_policy_maps` line (postconf(5), TLS_README "TLS policy table"). */
export function toPostfix(e: SecurityEntry): Translation<string> {
  if (e.method === 'ntlm') return { ok: false, reason: 'Postfix has no NTLM challenge/response; the nearest protection is TLS', nearest: `${e.domain}\tencrypt` };
  const level = e.method === 'none' ? 'none' : (e.level ?? 'none');
  if (level === 'mta-sts') {
    return { ok: true, value: `${e.domain}\tsocketmap:inet:127.0.0.1:8461:postfix`, note: 'MTA-STS in Postfix comes from a policy resolver (postfix-mta-sts-resolver) answering smtp_tls_policy_maps' };
  }
  // `secure` without match= checks nexthop and dot-nexthop (Postfix's smtp_tls_secure_cert_match default).
  return { ok: true, value: `${e.domain}\t${level}` };
}
