/**
 * What the loader refuses beyond the schema's shapes (docs/scenario-format.md, "What the loader
 * refuses"): values out of range and references that only the whole file shows, each at its
 * file:line:col, so `validate` says no to what `run` would otherwise fail on later.
 */
import { describe, expect, it } from 'vitest';
import { formatError, parseScenario } from '../../app/scenario/load.ts';

/** Two organisations and a firewall between them; `lab` and `steps` lines are added to it. */
function scenario({ org0 = '', org1 = '', lab = '', steps = '' } = {}): string {
  return `title: Bounds
lab:
  clock: { start: "2026-11-28T09:00:00Z" }
  orgs:
    - id: intellinet
      domain: intellinet.example
      users: [alice]
      hosts: [{ name: mail.intellinet.example, address: 192.0.2.10 }]
${org0}    - id: ntsol
      domain: ntsol.example
      users: [sean]
      hosts: [{ name: mail.ntsol.example, address: 198.51.100.25 }]
${org1}  paths:
    - { between: [intellinet, ntsol], via: firewall, firewall: { profile: asa } }
${lab}steps:
  - send: { id: m1, from: alice@intellinet.example, to: sean@ntsol.example }
${steps}`;
}

/** The loader's errors as `validate` prints them. */
function errors(text: string): string[] {
  const loaded = parseScenario(text, 's.yaml');
  return loaded.ok ? [] : loaded.errors.map(formatError);
}

describe('durations', () => {
  it('refuses an advance beyond 100 years, and real-time waits beyond 24 days, at their place', () => {
    expect(errors(scenario({ steps: '  - advance: 99999999999w\n' }))).toEqual([
      's.yaml:17:14: steps[1].advance: at most 36500d (100 years), not "99999999999w"',
    ]);
    expect(errors(scenario({ steps: '  - advance: 1e300\n' }))).toEqual([
      's.yaml:17:14: steps[1].advance: at most 36500d (100 years), not 1e+300',
    ]);
    expect(errors(scenario({ lab: '  settings: { timeout: 99999999999w }\n' }))).toEqual([
      's.yaml:15:24: lab.settings.timeout: at most 24d (a real-time wait; Node\'s timers hold at most about 24.8 days), not "99999999999w"',
    ]);
    expect(errors(scenario({ lab: '  settings: { timeout: 0s }\n' }))).toEqual(['s.yaml:15:24: lab.settings.timeout: must be more than 0, not "0s"']);
    expect(errors(scenario({ org1: '      inbound: { greetingDelay: 9999999999d }\n' }))).toEqual([
      's.yaml:13:33: lab.orgs[1].inbound.greetingDelay: at most 24d (a real-time wait; Node\'s timers hold at most about 24.8 days), not "9999999999d"',
    ]);
    expect(errors(scenario({ org0: '      queue: { lifetime: 100000d, retry: [10m, 36501d] }\n' }))).toEqual([
      's.yaml:9:26: lab.orgs[0].queue.lifetime: at most 36500d (100 years), not "100000d"',
      's.yaml:9:48: lab.orgs[0].queue.retry[1]: at most 36500d (100 years), not "36501d"',
    ]);
    expect(errors(scenario({ lab: '  settings: { timeout: 24d }\n', steps: '  - advance: 36500d\n' }))).toEqual([]);
  });

  it('refuses advance steps that would take the clock past 9999-12-31 from the given start', () => {
    const late = scenario({ steps: '  - advance: 36500d\n  - advance: 1d\n' }).replace('2026-11-28T09:00:00Z', '9999-06-01T00:00:00Z');
    expect(errors(late)).toEqual([
      's.yaml:17:14: steps[1].advance: moves the lab clock past 9999-12-31T23:59:59.999Z, the latest time it can stand at (from clock.start 9999-06-01T00:00:00.000Z)',
    ]);
  });
});

describe('inbound TLS settings', () => {
  const CIPHERS = 'no cipher OpenSSL knows matches "GARBAGE-CIPHER" (OpenSSL\'s names, as `openssl ciphers -v` lists them, e.g. AES128-SHA:AES256-SHA or DEFAULT:@SECLEVEL=0)';

  it('refuses a cipher string OpenSSL cannot match, in the lab and in a setInbound action, at the key', () => {
    expect(errors(scenario({
      org1: '      inbound: { starttls: true, tls: { ciphers: GARBAGE-CIPHER } }\n',
      steps: '  - action: { org: ntsol, setInbound: { tls: { ciphers: GARBAGE-CIPHER } } }\n',
    }))).toEqual([
      `s.yaml:13:50: lab.orgs[1].inbound.tls.ciphers: ${CIPHERS}`,
      `s.yaml:18:57: steps[1].action.setInbound.tls.ciphers: ${CIPHERS}`,
    ]);
    // The shipped products' own strings, and an OpenSSL keyword list, pass.
    expect(errors(scenario({ org1: '      inbound: { starttls: true, tls: { ciphers: "AES128-SHA:AES256-SHA:@SECLEVEL=0", minVersion: TLSv1 } }\n' }))).toEqual([]);
    expect(errors(scenario({ org1: '      inbound: { starttls: true, tls: { ciphers: "HIGH:!aNULL" } }\n' }))).toEqual([]);
  });

  it('refuses a minimum version above the maximum', () => {
    expect(errors(scenario({ org1: '      inbound: { starttls: true, tls: { minVersion: TLSv1.3, maxVersion: TLSv1 } }\n' }))).toEqual([
      's.yaml:13:53: lab.orgs[1].inbound.tls.minVersion: minVersion TLSv1.3 is above maxVersion TLSv1: no TLS version is left to agree on',
    ]);
  });
});
