/**
 * What each grid cell should do, derived from the policy rules — never from a run. Three sources:
 *
 * 1. What the firewall does to a session, read from the stages of its profile (app/path/profiles.ts
 *    and docs/stages.md): a greeting that never ends, ESMTP hidden (EHLO overwritten), STARTTLS
 *    hidden, NTLM sealing made impossible, the seal garbled after AUTH.
 * 2. What the sender's security entry requires (docs/lab.md, "Outbound security"):
 *    - `none` sends in clear whenever a session gets that far;
 *    - `may` uses TLS when offered and otherwise sends in clear (downgraded);
 *    - `encrypt`, `verify`, `ntlm` are fail-closed: without their protection the message waits
 *      (deferred) and is never sent in clear;
 *    - a session that never gets a greeting times out: deferred;
 *    - a server that requires HELO (exchange-2019) refuses MAIL with 503 (permanent: bounced) when
 *      the firewall overwrote the EHLO.
 * 3. What the two products can speak (app/products/): STARTTLS offered to a sender that shares no
 *    TLS version with the receiver (the IMS's TLS 1.0 against Exchange 2019's 1.2 and up) ends in a
 *    failed handshake — `may` retries in clear, `encrypt` and `verify` wait. `AUTH NTLM` runs only
 *    when the receiver's EHLO lists NTLM (RFC 4954 §3) or the sender sends it unoffered: the
 *    Exchange 5.5 IMS lists only `AUTH LOGIN` though it runs NTLM, and only the IMS as sender sends
 *    `AUTH NTLM` blind (KB Q262945, docs/products.md), so another product's sender defers. Past the
 *    logon, the NTLM sealed layer needs nothing of either product: the lab's receivers keep the EHLO
 *    across it (docs/ntlm.md).
 */
import tls from 'node:tls';
import { profileStages } from '../path/profiles.ts';
import { product } from '../products/index.ts';
import { SECURITY_METHODS, type GridCell } from './axes.ts';

export type CellOutcome = 'delivered' | 'deferred' | 'bounced';

export interface CellExpectation {
  outcome: CellOutcome;
  /** `never`: no canary in clear on any tap; `always`: the message crossed in clear. */
  leak: 'never' | 'always';
  protection?: 'tls' | 'sealed' | 'none';
  /** The rule that decided, in words (shown in the grid view). */
  because: string;
}

/** What a firewall's stage chain does to an SMTP session, as far as the policy cares. */
export interface FirewallTraits {
  greetingNeverEnds: boolean;
  esmtpHidden: boolean;
  starttlsHidden: boolean;
  sealImpossible: boolean;
  sealGarbled: boolean;
}

const SMTP_EXTENDED = 'EHLO';

const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;

/** Do the sender's and the receiver's TLS versions (their product's, else Node's defaults) overlap? */
export function tlsVersionsOverlap(sender: GridCell['sender'], receiver: GridCell['receiver']): boolean {
  const range = (name: GridCell['sender']) => {
    const t = product(name).tls;
    const at = (v: string) => TLS_VERSIONS.indexOf(v as (typeof TLS_VERSIONS)[number]);
    return [at(t.minVersion ?? tls.DEFAULT_MIN_VERSION), at(t.maxVersion ?? tls.DEFAULT_MAX_VERSION)];
  };
  const [a, b] = [range(sender), range(receiver)];
  return Math.max(a[0], b[0]) <= Math.min(a[1], b[1]);
}

/**
 * Does the receiver's EHLO list the NTLM mechanism? Read from the product's own EHLO words for the
 * mechanisms its inbound server runs (as app/lab/security.ts configures them), not from a list here.
 */
export function ehloOffersNtlm(receiver: GridCell['receiver']): boolean {
  const p = product(receiver);
  const lines = p.dialect.ehlo({ starttls: false, auth: [...p.inboundAuth], requireTls: false, size: 0, authenticated: false });
  // RFC 4954 §3: `AUTH` followed by the mechanisms, space-separated (the IMS also wrote `AUTH=LOGIN`).
  return lines.some((line) => /^AUTH[ =]/i.test(line) && line.slice(5).toUpperCase().split(/\s+/).includes('NTLM'));
}

/** Does the sender's client send `AUTH NTLM` after this receiver's EHLO (offered, or blind)? */
export function senderTriesNtlm(sender: GridCell['sender'], receiver: GridCell['receiver']): boolean {
  return ehloOffersNtlm(receiver) || product(sender).ntlm.blindAuth;
}

export function firewallTraits(spec: unknown): FirewallTraits {
  const traits: FirewallTraits = { greetingNeverEnds: false, esmtpHidden: false, starttlsHidden: false, sealImpossible: false, sealGarbled: false };
  for (const { name, config } of profileStages(spec)) {
    switch (name) {
      case 'mask-banner-44':
        // docs/stages.md: the CRLF is masked with the banner unless keepLineEnd.
        if (config.keepLineEnd !== true) traits.greetingNeverEnds = true;
        break;
      case 'command-filter': {
        const allow = Array.isArray(config.allow) ? (config.allow as string[]).map((v) => v.toUpperCase()) : undefined;
        if (!allow || !allow.includes(SMTP_EXTENDED)) traits.esmtpHidden = true;
        break;
      }
      case 'esmtp-inspect':
        if (config.allowTls !== true) traits.starttlsHidden = true;
        traits.sealGarbled = true;
        break;
      case 'strip-starttls':
        traits.starttlsHidden = true;
        break;
      case 'ntlm-downgrade': {
        const clear = Array.isArray(config.clear) ? config.clear as string[] : ['seal'];
        if (clear.includes('seal')) traits.sealImpossible = true;
        break;
      }
      default:
        break;
    }
  }
  return traits;
}

export function expectCell(cell: GridCell, firewallSpec: unknown = { profile: cell.firewall }): CellExpectation {
  const t = firewallTraits(firewallSpec);
  const entry = SECURITY_METHODS[cell.method];
  const failClosed = entry.method === 'ntlm' || (entry.method === 'tls' && entry.level !== 'may');
  const deferred = (because: string): CellExpectation => ({ outcome: 'deferred', leak: 'never', because });
  if (t.greetingNeverEnds) return deferred('the greeting never ends (banner masked with its CRLF): the session times out');
  const clearSession = (because: string): CellExpectation =>
    t.esmtpHidden && product(cell.receiver).heloRequired
      ? { outcome: 'bounced', leak: 'never', because: `${because}; the firewall overwrote EHLO and ${cell.receiver} refuses MAIL before HELO (503)` }
      : { outcome: 'delivered', leak: 'always', protection: 'none', because };
  switch (entry.method) {
    case 'none':
      return clearSession('method none sends in clear');
    case 'ntlm':
      if (t.esmtpHidden) return deferred('EHLO overwritten: AUTH NTLM is not offered (fail-closed)');
      if (!senderTriesNtlm(cell.sender, cell.receiver)) {
        return deferred(`${cell.receiver}'s EHLO does not list AUTH NTLM and ${cell.sender} sends it only when offered (fail-closed)`);
      }
      if (t.sealImpossible) return deferred('the SEAL flag is cleared in transit: no sealed session (fail-closed)');
      if (t.sealGarbled) return deferred('the sealed bytes after 235 are garbled by the inspection (fail-closed)');
      return { outcome: 'delivered', leak: 'never', protection: 'sealed', because: 'NTLM logon and sealed session pass' };
    case 'tls': {
      const offered = !t.esmtpHidden && !t.starttlsHidden;
      if (offered && !tlsVersionsOverlap(cell.sender, cell.receiver)) {
        const why = `STARTTLS offered, but ${cell.sender} and ${cell.receiver} share no TLS version: the handshake fails`;
        if (failClosed) return deferred(`${why}; level ${entry.level} is fail-closed`);
        return clearSession(`${why}; level may retries in clear (downgraded)`);
      }
      if (offered) return { outcome: 'delivered', leak: 'never', protection: 'tls', because: 'STARTTLS offered and the certificate is valid' };
      if (failClosed) return deferred(`STARTTLS not offered: level ${entry.level} is fail-closed`);
      return clearSession('STARTTLS not offered: level may sends in clear (downgraded)');
    }
    default: {
      const never: never = entry;
      throw new Error(`unknown method ${JSON.stringify(never)}`);
    }
  }
}
