/**
 * "Should this hop be fail-closed?", computed from the generated plan alone, by hand from the
 * right-hand column of the table in docs/lab.md, "Outbound security" — deliberately not by calling the engine's own
 * `isFailClosed` (app/tls/levels.ts, app/mta/security.ts): a property test that asks the code under
 * test what to expect proves nothing.
 *
 * A hop is one connection to one partner host. The answer may differ between hosts (a DANE record
 * for one MX and not the other) and between the time before and after the plan's one lab change
 * (a TLSA record removed, a TXT record stripped), so it is asked per host and per epoch:
 * epoch 0 is before the change, epoch 1 after it.
 */
import { zoneOfHost, type LabPlan, type Tlsa } from './generate.ts';

/** RFC 7672 §3.1.3: usages 2 and 3 with a known selector and matching type are usable for SMTP. */
const usable = (t: Tlsa) => t === 'ee-match' || t === 'ta-match' || t === 'mismatch';

function tlsaAt(plan: LabPlan, host: string, epoch: 0 | 1): Tlsa {
  if (epoch === 1 && plan.change === 'remove-tlsa') return 'absent';
  return plan.partner.hosts.find((h) => h.name === host)?.tlsa ?? 'absent';
}

/**
 * `mta-sts` (docs/lab.md, "Outbound security"): fail-closed "only in enforce with a policy known or cached". The sender
 * fetches the policy when the `_mta-sts` TXT record is there (RFC 8461 §3.3); once fetched it stays
 * cached for max_age (a day here, far beyond any lab) even when the TXT record is stripped later
 * (RFC 8461 §5.1, docs/tls.md). A bogus partner zone fails the TXT lookup, so no policy is ever learnt.
 */
function stsEnforced(plan: LabPlan, epoch: 0 | 1): boolean {
  const p = plan.partner;
  if (p.mtaSts !== 'enforce' || plan.zones.domain === 'bogus') return false;
  const txtAt = (e: 0 | 1) => p.txt === 'present' && !(e === 1 && plan.change === 'strip-txt');
  return txtAt(epoch) || (epoch === 1 && txtAt(0));
}

export function shouldFailClosed(plan: LabPlan, host: string, epoch: 0 | 1): boolean {
  const { method, level } = plan.security;
  switch (method) {
    case 'none':
      return false;
    case 'ntlm':
      // docs/lab.md, "Outbound security": NTLM is always fail-closed: 535 bounces, everything else defers; never plain.
      return true;
    case 'tls':
      switch (level) {
        case undefined:
        case 'may':
          return false;
        case 'encrypt':
        case 'verify':
        case 'secure':
        case 'dane-only':
          return true;
        case 'dane': {
          // docs/lab.md, "Outbound security": a usable TLSA record in a `secure` zone → DANE, never cleartext; a `bogus`
          // zone → defer; no usable record or an `insecure` zone → as `may`.
          const zone = zoneOfHost(plan, host);
          return zone === 'bogus' || (zone === 'secure' && usable(tlsaAt(plan, host, epoch)));
        }
        case 'mta-sts':
          return stsEnforced(plan, epoch);
      }
  }
}

/**
 * Where the detector must see the message: nothing on the path hides it (method none, or `may`
 * towards a partner that offers no STARTTLS; a `pass` firewall that at most re-segments), so a
 * delivered message must be found in clear — the proof that the detector is not blind (docs/packet-view.md).
 */
export function mustBeSeen(plan: LabPlan): boolean {
  const { method, level } = plan.security;
  const plain = method === 'none' || (method === 'tls' && level === 'may' && !plan.partner.starttls);
  const harmless = (s: Record<string, unknown>) => 'slicer' in s || 'latency' in s;
  return plain && plan.firewall.profile === 'pass' && plan.firewall.before.every(harmless) && plan.firewall.stages.every(harmless);
}
