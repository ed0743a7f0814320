/**
 * The labs the bench measures: Intellinet sends to NT Solutions over the implicit direct path
 * (tapped like every path), under one of three security methods. Each is the lab of a shipped
 * scenario, written here rather than read from `scenarios/` so that editing a lesson never moves
 * the performance figures:
 *
 *   plain     scenarios/postcard.yaml            no entry for ntsol.example (method none)
 *   starttls  scenarios/starttls-partner.yaml    method tls, level encrypt, to a Postfix host
 *                                                 offering STARTTLS with Postfix's default floor
 *                                                 (>=TLSv1): Exchange 5.5's IMS speaks TLS 1.0 only
 *   ntlm      scenarios/ntlm-both-ways.yaml      method ntlm, DOUG's logon, 128-bit NT both ends
 */
import { lab as labSchema, type LabConfig } from '../config/lab.ts';

export type Method = 'plain' | 'starttls' | 'ntlm';
export const methods: readonly Method[] = ['plain', 'starttls', 'ntlm'];

export const DOUG = { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' };

const intellinet = {
  id: 'intellinet', domain: 'intellinet.example', profile: 'exchange-5.5',
  nt: { domain: 'INTELLINET', crypto: 'us-128' }, users: ['alice'],
  hosts: [{ name: 'mail.intellinet.example', address: '192.0.2.10' }],
};

const ntsol = {
  id: 'ntsol', domain: 'ntsol.example', profile: 'exchange-5.5',
  nt: { domain: 'NTSOL', crypto: 'export-40' }, users: ['sean'],
  hosts: [{ name: 'mail.ntsol.example', address: '198.51.100.25' }],
};

/** Settings every bench lab shares: sessions must never time out under load. */
const settings = { timeout: '120s' };

export function benchLab(method: Method, seed = 7): LabConfig {
  const clock = { start: '2026-11-28T09:00:00Z' };
  switch (method) {
    case 'plain':
      return labSchema.parse({ seed, clock, settings, orgs: [intellinet, ntsol] });
    case 'starttls':
      return labSchema.parse({
        seed, clock, settings,
        orgs: [
          { ...intellinet, security: [{ domain: 'ntsol.example', method: 'tls', level: 'encrypt' }] },
          { ...ntsol, profile: 'postfix', nt: undefined, inbound: { starttls: true } },
        ],
      });
    case 'ntlm':
      return labSchema.parse({
        seed, clock, settings,
        orgs: [
          { ...intellinet, security: [{ domain: 'ntsol.example', method: 'ntlm', logon: DOUG }] },
          { ...ntsol, nt: { domain: 'NTSOL', crypto: 'us-128' }, accounts: [DOUG] },
        ],
      });
  }
}
