/**
 * Checkpoint predicates (docs/scenario-format.md, "Steps"): a declarative statement about the lab the learner must make
 * true in the UI — "ntsol.example is in the security table with method ntlm". Every key given must
 * match the lab's current value; keys not given are free.
 *
 * A checkpoint tests that what the learner built *works*, not only that a field is set
 * (docs/scenario-format.md, "Checkpoints"): an NTLM entry must log on to the partner's server
 * (app/lab/verify.ts runs a real NTLM exchange in memory, MS-NLMP §3.1.5 / §3.2.5), and a
 * TLS entry that requires encryption needs a partner that offers STARTTLS. When it does not hold,
 * the answer carries a hint the learner can act on — never the password.
 */
import type { LabPredicate } from './schema.ts';
import { verifyEntry, type LabServers } from '../lab/verify.ts';

function matches(want: Record<string, unknown>, have: Record<string, unknown> | undefined): boolean {
  if (!have) return false;
  return Object.entries(want).every(([k, v]) => {
    const h = have[k];
    if (v && typeof v === 'object' && !Array.isArray(v)) return matches(v as Record<string, unknown>, h as Record<string, unknown> | undefined);
    return typeof v === 'string' && typeof h === 'string' ? v.toLowerCase() === h.toLowerCase() : v === h;
  });
}

/**
 * The keys of `want` the entry `have` differs in, as `method is "none", not "ntlm"`; a nested one by
 * its dotted name (`tls.minVersion is "TLSv1.2", not "TLSv1"`), never as an object's JSON.
 */
function differences(want: Record<string, unknown>, have: Record<string, unknown> | undefined, prefix = ''): string[] {
  return Object.entries(want).flatMap(([k, v]) => {
    if (matches({ [k]: v }, have)) return [];
    const h = have?.[k];
    if (v && typeof v === 'object' && !Array.isArray(v)) return differences(v as Record<string, unknown>, h && typeof h === 'object' ? h as Record<string, unknown> : undefined, `${prefix}${k}.`);
    return [`${prefix}${k} is ${h === undefined ? 'not set' : JSON.stringify(h)}, not ${JSON.stringify(v)}`];
  });
}

export type PredicateCheck = { ok: true } | { ok: false; hint: string };

/** Does the lab satisfy `p`? When not, a hint that names what is missing or what would fail. */
export function checkPredicate(lab: LabServers, p: LabPredicate): PredicateCheck {
  const server = lab.servers.get(p.org);
  if (!server) return { ok: false, hint: `the lab has no organisation ${p.org}` };
  const c = server.config;
  if (p.security) {
    const want = p.security;
    const entry = c.security.find((e) => e.domain.toLowerCase() === want.domain.toLowerCase());
    if (!entry) return { ok: false, hint: `${c.domain}'s security table has no entry for ${want.domain} yet` };
    if (!matches(want, entry)) return { ok: false, hint: `the entry for ${want.domain} on ${c.domain}: ${differences(want, entry).join('; ')}` };
    const works = verifyEntry(lab, server.id, entry);
    if (!works.ok) return works;
  }
  if (p.account && !c.accounts.some((a) => matches(p.account!, a))) return { ok: false, hint: `${c.domain} has no account ${p.account.domain}\\${p.account.user} as asked` };
  if (p.inbound && !matches(p.inbound, c.inbound)) return { ok: false, hint: `${c.domain}'s inbound policy: ${differences(p.inbound, c.inbound).join('; ')}` };
  return { ok: true };
}

export function predicateHolds(lab: LabServers, p: LabPredicate): boolean {
  return checkPredicate(lab, p).ok;
}
