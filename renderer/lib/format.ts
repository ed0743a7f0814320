/** Presentation helpers: lab time, sizes, and each server profile's words for a security entry. */
import type { OrgView, SecurityRowView } from '../../app/api/contract.ts';

/** Lab time as `2026-11-28 09:00:05 UTC` (the lab clock is not the wall clock). */
export function labTime(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function size(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} kB`;
}

/** How the organisation's own server software would describe one row of its security table (SPEC §3). */
export function describeSecurity(org: Pick<OrgView, 'profile'>, row: SecurityRowView): string {
  const logon = row.logon ? ` as ${row.logon.domain ? `${row.logon.domain}\\` : ''}${row.logon.user}` : '';
  if (org.profile === 'exchange-5.5') {
    if (row.method === 'ntlm') return `Windows NT challenge/response authentication and encryption${logon}`;
    // IMS offered only "SSL encryption" (level encrypt: it never checked certificates).
    if (row.method === 'tls') return `SASL/SSL security, SSL encryption${row.level === 'encrypt' ? '' : ` (lab level ${row.level})`}`;
    return 'No authentication or encryption';
  }
  if (org.profile === 'exchange-2019') {
    if (row.method === 'tls') {
      if (row.level === 'may') return 'Send connector: RequireTLS $false (opportunistic TLS)';
      const auth = { encrypt: 'EncryptionOnly', verify: 'CertificateValidation', secure: 'DomainValidation' }[row.level ?? ''];
      return `Send connector: RequireTLS $true${auth ? `, TlsAuthLevel ${auth}` : ` (lab level ${row.level})`}`;
    }
    if (row.method === 'ntlm') return `Send connector: NTLM basic auth${logon}`;
    return 'Send connector: no TLS requirement';
  }
  if (org.profile === 'postfix') {
    if (row.method === 'tls') return `smtp_tls_policy_maps: ${row.level}`;
    if (row.method === 'ntlm') return `smtp_sasl_auth (NTLM)${logon}`;
    return 'smtp_tls_policy_maps: none';
  }
  if (row.method === 'tls') return `TLS, level ${row.level}`;
  if (row.method === 'ntlm') return `NTLM authentication and sealing${logon}`;
  return 'No authentication or encryption';
}

/** Does this row promise that the message never crosses in clear (SPEC §3 "fail closed")? */
export function failsClosed(row: SecurityRowView): boolean {
  if (row.method === 'ntlm') return true;
  return row.method === 'tls' && ['encrypt', 'verify', 'secure', 'dane-only'].includes(row.level ?? '');
}

/**
 * An engine refusal in words for the person at the screen: the command name and the payload's key
 * path are for developers (`saveSecurity: payload.domain: expected a domain name …` becomes
 * `Domain: expected a domain name …`). The engine's own sentence is kept as it is.
 */
export function friendly(message: string): string {
  const words = (key: string) => key.replace(/\[\d+\]/g, '').split('.').pop()!.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  const text = message
    .replace(/^[a-z][A-Za-z]+: (?=payload\b)/, '')
    .replace(/\bpayload\.([A-Za-z0-9_.[\]]+): /g, (_, key: string) => `${words(key)}: `)
    .replace(/\bpayload: /g, '');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
