/** Presentation helpers: lab time, sizes, fail-closed marks (a product's words come from the engine: row.description). */
import type { HexRowView, NtSettingsForm, OrgView, SecurityRowView, TlsLevelView } from '../../app/api/contract.ts';

/** Lab time as `2026-11-28 09:00:05 UTC` (the lab clock is not the wall clock). */
export function labTime(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/**
 * Text cut after each dot and @ that a name continues past (`bob@intellinet.example` →
 * `bob@`, `intellinet.`, `example`): rendered with a <wbr> between the parts, a host name or an
 * address in a narrow cell breaks there, never inside a label.
 */
export function nameBreaks(text: string): string[] {
  return text.split(/(?<=[.@])(?=[^\s.@])/);
}

/** A fingerprint's parts, each ending after a colon: it wraps between bytes, never inside one. */
export function byteBreaks(hex: string): string[] {
  return hex.split(/(?<=:)/);
}

/** Text cut after each underscore (`smtp_tls_policy_maps: encrypt`): a configuration parameter's
 *  name in a narrow cell breaks between its words. */
export function identBreaks(text: string): string[] {
  return text.split(/(?<=_)(?=\S)/);
}

/** Columns of a full 16-byte row: offset 4, gap 2, hex 16 × "xx " + the middle gap − 1 = 49, gap 2, text 16. */
export const HEX_ROW_COLUMNS = { 16: 4 + 2 + 49 + 2 + 16, 8: 4 + 2 + 23 + 2 + 8 } as const;

/**
 * The same bytes 8 to a row, for a pane too narrow for 16 (`xxd -c 8` does the same): each row is
 * cut at its middle gap, the second half starting at offset + 8. Nothing is lost or reordered.
 */
export function halfRows(rows: readonly HexRowView[]): HexRowView[] {
  const out: HexRowView[] = [];
  for (const r of rows) {
    out.push({ offset: r.offset, hex: r.hex.slice(0, 23), ascii: r.ascii.slice(0, 8) });
    if (r.ascii.length > 8) out.push({ offset: r.offset + 8, hex: r.hex.slice(25), ascii: r.ascii.slice(8) });
  }
  return out;
}

export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} kB` : `${(bytes / 1048576).toFixed(1)} MB`;
}

/**
 * Does this row promise that the message never crosses in clear (docs/tls.md, the fail-closed
 * column)? NTLM's sealed session always does; a TLS row as its level's row in the engine's level
 * table says (the lab snapshot's `tlsLevels`), so a level added there is marked without a change here.
 */
export function failsClosed(row: SecurityRowView, levels: readonly TlsLevelView[]): boolean {
  if (row.method === 'ntlm') return true;
  return row.method === 'tls' && levels.some((l) => l.name === row.level && l.failsClosed);
}

/**
 * What NT build and level a server runs, in the NT dialog's words and one short line (`40-bit
 * (export) · LMCompatibilityLevel 2`): the organisation card says it beside its NT build… button,
 * so a trainer sees the state without opening the dialog, whose rows say what each level does.
 */
export function ntState(nt: Pick<NonNullable<OrgView['nt']>, 'crypto' | 'lmCompatibility'>, form: NtSettingsForm): string {
  return `${ntBuild(nt.crypto, form)} · LMCompatibilityLevel ${nt.lmCompatibility}`;
}

/** A build's name in the NT dialog's words (`128-bit (North America)`), else the scenario's value. */
export function ntBuild(crypto: string, form: NtSettingsForm): string {
  return form.build.options.find((o) => o.value === crypto)?.label ?? crypto;
}

/**
 * What a form calls its fields, by the key path of the request each one fills, list indices left
 * out (`domain` → `E-Mail domain`, `setting.logon.user` → `Account`): `friendly` names a refused
 * field as the form shows it.
 */
export type FieldLabels = Readonly<Record<string, string>>;

/**
 * An engine refusal in words for the person at the screen: the command name and the payload's key
 * path are for developers (`saveSecurity: payload.domain: expected a domain name …` becomes
 * `E-Mail domain: expected a domain name …` with the dialog's labels, `Domain: …` without). The
 * engine's own sentence is kept as it is, begun with a capital unless its first word is one of
 * `names` (the lab's organisation ids: `ntsol already has an account …` stays `ntsol`).
 */
export function friendly(message: string, labels: FieldLabels = {}, names: readonly string[] = []): string {
  const name = (key: string) => {
    const path = key.replace(/\[\d+\]/g, '');
    return labels[path] ?? path.split('.').pop()!.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  };
  const text = message
    .replace(/^[a-z][A-Za-z]+: (?=payload\b)/, '')
    .replace(/\bpayload\.([A-Za-z0-9_.[\]]+): /g, (_, key: string) => `${name(key)}: `)
    .replace(/\bpayload: /g, '');
  if (names.includes(text.split(/[\s:]/, 1)[0])) return text;
  return text.charAt(0).toUpperCase() + text.slice(1);
}
