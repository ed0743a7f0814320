/**
 * The outbound security table (docs/lab.md, "Outbound security"): which entry applies to a remote domain, and the sans-IO
 * `SecurityPlan` a session follows for it. Lookup is as Postfix's tls_policy_maps: the exact domain
 * first, then `.parent` entries for subdomains, nearest parent first.
 */
import type { SecurityEntry } from '../config/schema.ts';
import type { SecurityPlan } from './outbound/client.ts';
import { tlsLevelSpec } from '../tls/level-table.ts';

export function lookupSecurity(table: readonly SecurityEntry[], domain: string): SecurityEntry | undefined {
  const d = domain.toLowerCase();
  const exact = table.find((e) => e.domain.toLowerCase() === d);
  if (exact) return exact;
  let rest = d;
  for (let dot = rest.indexOf('.'); dot >= 0; dot = rest.indexOf('.')) {
    rest = rest.slice(dot + 1);
    const parent = table.find((e) => e.domain.toLowerCase() === `.${rest}`);
    if (parent) return parent;
  }
  return undefined;
}

/** Is the effective policy fail-closed (docs/lab.md, "Outbound security", right-hand column; "Fail closed")? */
export function isFailClosed(entry: SecurityEntry | undefined): boolean {
  if (!entry || entry.method === 'none') return false;
  if (entry.method === 'ntlm') return true;
  return entry.level !== undefined && (tlsLevelSpec(entry.level)?.failsClosed ?? false);
}

/** Method `none`: plain SMTP; STARTTLS and AUTH are never attempted. */
export const plainPlan: SecurityPlan = {
  afterEhlo: () => ({ step: 'proceed' }),
  afterTls: () => ({ ok: true }),
  tlsRefused: (_reply, reason) => ({ step: 'fail', failure: { action: 'defer', status: '4.7.0', reason } }),
  authChallenge: () => ({ ok: false, failure: { action: 'defer', status: '4.7.0', reason: 'unexpected AUTH challenge' } }),
  authResult: () => ({ ok: true, seal: false }),
};
