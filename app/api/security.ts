/**
 * The outbound security table in each server product's own words (docs/lab.md, "Outbound security"), for the UI's edit
 * dialogs: an entry → the setting its product's dialog shows, and a saved dialog → the entry the
 * lab stores. The mappings are the products' own (app/products/<name>.ts, `vocabulary`); this
 * module only picks the product, strips passwords on the way out, and carries over what a dialog
 * does not say (the alternate path `via`, chosen under the product's own fields, and a password
 * left blank, as a Windows password box keeps the saved one — the product's `fromSetting` decides that).
 *
 *   OrgView.form ─► dialog ─► saveSecurity { setting } ─► entryFromSetting ─► applyAction { setSecurity }
 *   SecurityEntry ─► settingView ─► SecurityRowView.setting (no password) ─► the dialog opens filled in
 */
import type { SecurityEntry } from '../config/schema.ts';
import type { Lab } from '../lab/lab.ts';
import { product, VOCABULARIES } from '../products/index.ts';
import type { SaveSecurityRequest, SecuritySettingView, SecurityVocabulary } from './contract.ts';

export function vocabularyOf(profile: string): SecurityVocabulary {
  return product(profile).vocabulary.id;
}

/** A copy without any `password` key, at any depth: views never carry one. */
function withoutPasswords(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPasswords);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'password').map(([k, v]) => [k, withoutPasswords(v)]));
}

/** An entry as its organisation's dialog shows it; what that vocabulary cannot say is flagged, never hidden. */
export function settingView(profile: string, e: SecurityEntry): SecuritySettingView {
  const v = product(profile).vocabulary;
  // A minimum key strength the dialog shows in its own lab-addition field is not something the
  // dialog "cannot say" (the product's console could not, and `policy --as` still says so).
  const dialogShowsKeyBits = v.form.fields.some((f) => f.kind !== 'note' && f.key === 'minKeyBits');
  const t = v.toSetting(dialogShowsKeyBits ? { ...e, minKeyBits: undefined } : e);
  const s = t.ok ? t.value : (t.nearest ?? { vocabulary: v.id });
  return { ...(withoutPasswords(s) as object), vocabulary: v.id, exact: t.ok, note: t.ok ? t.note : t.reason } as SecuritySettingView;
}

/** The organisation's console words for one row (the table's "Setting" column). */
export function describeEntry(profile: string, e: SecurityEntry): string {
  return product(profile).vocabulary.describe(e);
}

export type Built = { ok: true; entry: SecurityEntry; note?: string } | { ok: false; error: string };

/** A saved dialog → the security entry, given the entry it replaces (if any). */
export function entryFromSetting(r: Omit<SaveSecurityRequest, 'org'>, existing: SecurityEntry | undefined): Built {
  const v = VOCABULARIES.find((x) => x.id === r.setting.vocabulary);
  if (!v) return { ok: false, error: `no product speaks the vocabulary "${r.setting.vocabulary}"` };
  const built = v.fromSetting(r.domain, r.setting as Parameters<typeof v.fromSetting>[1], existing);
  if (!built.ok) return built;
  const entry = { ...built.entry } as SecurityEntry;
  // Key strength only means something for an NTLM session. The alternate host is the lab's own field
  // under the product's dialog: chosen there, or kept from the entry when the request says nothing.
  if (r.minKeyBits !== undefined && entry.method === 'ntlm') entry.minKeyBits = r.minKeyBits;
  const via = r.via === undefined ? existing?.via : r.via || undefined;
  if (via) entry.via = via;
  return { ok: true, entry, ...(built.note ? { note: built.note } : {}) };
}

/**
 * The partners' alternate hosts a path of the lab leads to from `org` by name (a path's `to`, e.g.
 * a second interface not behind the firewall), by the partner's domain in lower case: what a
 * security entry's `via` may name (docs/lab.md, "Outbound security"). The dialog offers these;
 * `saveSecurity` refuses anything else.
 */
export function alternateHosts(lab: Pick<Lab, 'servers' | 'paths'>, org: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const path of lab.paths) {
    const { between, to } = path.config;
    if (!to || !between.includes(org)) continue;
    const partner = lab.servers.get(between[0] === org ? between[1] : between[0]);
    if (partner) (out[partner.config.domain.toLowerCase()] ??= []).push(to.toLowerCase());
  }
  return out;
}
