/**
 * Checkpoint predicates (SPEC §9): a declarative statement about the lab the learner must make
 * true in the UI — "ntsol.example is in the security table with method ntlm". Every key given must
 * match the lab's current value; keys not given are free.
 */
import type { LabPredicate } from './schema.ts';
import type { Lab } from '../lab/lab.ts';

function matches(want: Record<string, unknown>, have: Record<string, unknown> | undefined): boolean {
  if (!have) return false;
  return Object.entries(want).every(([k, v]) => {
    const h = have[k];
    if (v && typeof v === 'object' && !Array.isArray(v)) return matches(v as Record<string, unknown>, h as Record<string, unknown> | undefined);
    return typeof v === 'string' && typeof h === 'string' ? v.toLowerCase() === h.toLowerCase() : v === h;
  });
}

export function predicateHolds(lab: Lab, p: LabPredicate): boolean {
  const server = lab.servers.get(p.org);
  if (!server) return false;
  const c = server.config;
  if (p.security && !c.security.some((e) => matches(p.security!, e))) return false;
  if (p.account && !c.accounts.some((a) => matches(p.account!, a))) return false;
  if (p.inbound && !matches(p.inbound, c.inbound)) return false;
  return true;
}
