/**
 * The outbound security table in each server profile's own words (SPEC §3), for the UI's edit
 * dialogs: an entry → the setting its profile's dialog shows, and a saved dialog → the entry the
 * lab stores. The product mappings themselves are app/policy/vocabulary.ts (fromIms / toIms,
 * fromSendConnector / toSendConnector); this module only picks the vocabulary, strips the
 * password on the way out, and carries over what a dialog cannot show (the alternate path `via`,
 * and a password left blank, as a Windows password box keeps the saved one).
 *
 *   OrgView.vocabulary ─► dialog ─► saveSecurity { setting } ─► entryFromSetting ─► applyAction { setSecurity }
 *   SecurityEntry ─► settingView ─► SecurityRowView.setting (no password) ─► the dialog opens filled in
 */
import type { OrgConfig, SecurityEntry } from '../config/schema.ts';
import { fromIms, fromSendConnector, toIms, toPostfix, toSendConnector, type TlsLevel } from '../policy/vocabulary.ts';
import type { SaveSecurityRequest, SecuritySettingView, SecurityVocabulary } from './contract.ts';

export function vocabularyOf(profile: OrgConfig['profile']): SecurityVocabulary {
  switch (profile) {
    case 'exchange-5.5':
      return 'ims';
    case 'exchange-2019':
      return 'send-connector';
    case 'postfix':
    case 'generic':
      return 'level';
  }
}

/** The lab's model is Postfix's levels plus method ntlm (vocabulary.ts), so a level is the entry minus NTLM. */
function levelOf(e: SecurityEntry): TlsLevel {
  return e.method === 'tls' ? (e.level ?? 'none') : 'none';
}

/** An entry as its organisation's dialog shows it; what that vocabulary cannot say is flagged, never hidden. */
export function settingView(profile: OrgConfig['profile'], e: SecurityEntry): SecuritySettingView {
  switch (vocabularyOf(profile)) {
    case 'ims': {
      const t = toIms(e);
      const s = t.ok ? t.value : (t.nearest ?? { option: 'none' as const });
      const logon = s.logon && { domain: s.logon.domain, user: s.logon.user };
      return { vocabulary: 'ims', option: s.option, sslEncryption: s.sslEncryption, logon, exact: t.ok, note: t.ok ? undefined : t.reason };
    }
    case 'send-connector': {
      const t = toSendConnector(e);
      const s = t.ok ? t.value : (t.nearest ?? { RequireTLS: false });
      return { vocabulary: 'send-connector', RequireTLS: s.RequireTLS, TlsAuthLevel: s.TlsAuthLevel, exact: t.ok, note: t.ok ? undefined : t.reason };
    }
    case 'level': {
      if (e.method !== 'ntlm') return { vocabulary: 'level', level: levelOf(e), exact: true };
      const t = toPostfix(e);
      return { vocabulary: 'level', level: 'encrypt', exact: false, note: t.ok ? undefined : t.reason };
    }
  }
}

export type Built = { ok: true; entry: SecurityEntry; note?: string } | { ok: false; error: string };

/** A saved dialog → the security entry, given the entry it replaces (if any). */
export function entryFromSetting(r: Omit<SaveSecurityRequest, 'org'>, existing: SecurityEntry | undefined): Built {
  const s = r.setting;
  let entry: SecurityEntry;
  let note: string | undefined;
  switch (s.vocabulary) {
    case 'ims': {
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
      entry = fromIms(r.domain, { option: s.option, sslEncryption: s.sslEncryption, logon });
      if (s.option === 'sasl-ssl' && !s.sslEncryption) note = 'SASL/SSL security without SSL encryption protects nothing the lab models: mail to this domain goes in clear';
      break;
    }
    case 'send-connector':
      entry = fromSendConnector(r.domain, { RequireTLS: s.RequireTLS, TlsAuthLevel: s.TlsAuthLevel });
      break;
    case 'level':
      entry = s.level === 'none' ? { domain: r.domain, method: 'none' } : { domain: r.domain, method: 'tls', level: s.level };
      break;
  }
  // Key strength only means something for an NTLM session; no dialog shows an alternate path, so it stays.
  if (r.minKeyBits !== undefined && entry.method === 'ntlm') entry.minKeyBits = r.minKeyBits;
  if (existing?.via) entry.via = existing.via;
  return { ok: true, entry, ...(note ? { note } : {}) };
}
