/** Security plans for driving an outbound session in tests. */
import type { SecurityPlan } from '../../app/mta/outbound/client.ts';

/** No security: every step proceeds, and anything that asks for TLS or NTLM fails with a defer. */
export const plainPlan: SecurityPlan = {
  afterEhlo: () => ({ step: 'proceed' }),
  afterTls: () => ({ ok: true }),
  tlsRefused: (_r, reason) => ({ step: 'fail', failure: { action: 'defer', status: '4.7.0', reason } }),
  authChallenge: () => ({ ok: false, failure: { action: 'defer', status: '4.7.0', reason: 'no auth' } }),
  authResult: () => ({ ok: true, seal: false }),
};
