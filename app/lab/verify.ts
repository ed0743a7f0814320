/**
 * Does a security entry *work* against the partner as the lab stands now? The checkpoint's second
 * half (app/scenario/predicate.ts): an administrator's entry is right when the partner's server
 * would accept it, not when a field is filled in.
 *
 * - `ntlm`: a real NTLM logon in memory — our client session (MS-NLMP §3.1.5.1) with the entry's
 *   account against the partner's server session (§3.2.5.1) with the partner's accounts, NT build
 *   and LM compatibility, exactly as app/lab/security.ts builds it for a connection. The verdict
 *   says which part is wrong (no such account, disabled, the response does not match), never the
 *   password.
 * - `tls` at a level that requires encryption: the partner's hosts must offer STARTTLS (RFC 3207);
 *   otherwise every message would wait in the queue.
 *
 * A partner outside the lab (`external`) or a domain no organisation receives cannot be checked
 * here: the entry is taken as it stands.
 */
import crypto from 'node:crypto';
import type { MailServer } from '../mta/server.ts';
import type { SecurityEntry } from '../config/schema.ts';
import { NtlmClientSession } from '../ntlm/client.ts';
import { NtlmServerSession } from '../ntlm/server.ts';
import { lookupAccount } from './security.ts';
import { ntlmResponsesOf } from '../products/windows-nt.ts';

/** What a check reads: the lab's servers, nothing else. */
export interface LabServers {
  readonly servers: ReadonlyMap<string, MailServer>;
}

export type EntryCheck = { ok: true } | { ok: false; hint: string };

/** The organisation that receives mail for `domain` (`.parent` matches its subdomains). */
export function partnerFor(lab: LabServers, domain: string): MailServer | undefined {
  const d = domain.toLowerCase();
  return [...lab.servers.values()].find((s) => s.relayDomains.length === 0 && s.domains.some((own) => (d.startsWith('.') ? own.endsWith(d) : own === d)));
}

export function verifyEntry(lab: LabServers, fromOrg: string, entry: SecurityEntry): EntryCheck {
  const partner = partnerFor(lab, entry.domain);
  const sender = lab.servers.get(fromOrg);
  if (!partner || !sender || partner.config.external) return { ok: true };
  if (entry.method === 'ntlm' && entry.logon) return verifyLogon(sender, partner, entry.logon);
  if (entry.method === 'tls' && entry.level && entry.level !== 'may' && entry.level !== 'none') {
    const c = partner.config;
    const offering = c.hosts.filter((h) => h.starttls ?? c.inbound.starttls);
    if (offering.length === 0) return { ok: false, hint: `${c.domain}'s server does not offer STARTTLS: with the level ${entry.level} every message to it would wait in the queue. Ask the partner's administrator to turn STARTTLS on first.` };
  }
  return { ok: true };
}

function verifyLogon(sender: MailServer, partner: MailServer, logon: { domain: string; user: string; password: string }): EntryCheck {
  const who = `${logon.domain ? `${logon.domain}\\` : ''}${logon.user}`;
  const c = partner.config;
  const mechanisms = c.inbound.authMechanisms ?? (c.nt ? ['NTLM'] : []);
  if (!c.nt || !mechanisms.includes('NTLM')) return { ok: false, hint: `${c.domain}'s server does not offer AUTH NTLM: Windows NT challenge/response cannot log on there.` };
  const nt = c.nt;
  const server = new NtlmServerSession({
    ntDomain: nt.domain, serverName: c.hosts[0].name.split('.')[0].toUpperCase(), crypto: nt.crypto,
    lmCompatibility: nt.lmCompatibility, randomBytes: (n) => crypto.randomBytes(n),
    lookupAccount: (domain, user) => lookupAccount(partner, domain, user),
  });
  const client = new NtlmClientSession({
    domain: logon.domain, user: logon.user, password: logon.password,
    workstation: sender.config.hosts[0].name.split('.')[0].toUpperCase(),
    // As app/mta/plans/index.ts: the sender's product and its NT's LMCompatibilityLevel decide.
    responses: ntlmResponsesOf(sender.product, sender.config.nt),
    crypto: sender.config.nt?.crypto ?? 'us-128', randomBytes: (n) => crypto.randomBytes(n),
  });
  const challenge = server.onNegotiate(client.negotiate());
  if (!challenge.ok) return { ok: false, hint: `the logon as ${who} failed: ${challenge.error}` };
  const answer = client.onChallenge(challenge.challenge);
  if (!answer.ok) return { ok: false, hint: `the logon as ${who} failed: ${answer.error}` };
  const result = server.onAuthenticate(answer.authenticate);
  if (result.ok) return { ok: true };
  const disabled = c.accounts.find((a) => a.disabled && a.domain.toUpperCase() === logon.domain.toUpperCase() && a.user.toUpperCase() === logon.user.toUpperCase());
  switch (result.reason) {
    case 'unknown-account':
      return { ok: false, hint: disabled
        ? `${c.domain}'s server refuses ${who}: the account is disabled there. Ask the partner's administrator.`
        : `${c.domain}'s server has no account ${who}: check the NT domain and account name the partner's administrator gave you.` };
    case 'bad-response':
      return { ok: false, hint: `${c.domain}'s server refuses the logon as ${who}: the password does not match the account (a real session would get 535 and bounce). Check the password the partner's administrator gave you.` };
    case 'v1-refused':
      return { ok: false, hint: `${c.domain}'s server refuses the logon as ${who}: ${result.detail}.` };
    case 'malformed':
      return { ok: false, hint: `the logon as ${who} failed: ${result.detail}` };
  }
}
