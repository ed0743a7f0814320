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

describe('schema errors in a reader\'s words, not zod\'s', () => {
  it('says what was expected and what was found, for types, choices, lists and bounds', () => {
    const text = scenario({ steps: '  - expect: { message: m1, outcome: lost }\n  - send: { id: m2, from: alice@intellinet.example, to: [], subject: 3 }\n' })
      .replace('title: Bounds', 'title: 5\nlevel: expert')
      .replace('      users: [sean]', '      users: sean')
      .replace('via: firewall, firewall: { profile: asa }', 'via: tunnel');
    expect(errors(text)).toEqual([
      's.yaml:1:8: title: expected text, found the number 5',
      's.yaml:2:8: level: expected beginner, intermediate or advanced, found "expert"',
      's.yaml:12:14: lab.orgs[1].users: expected a list, found the text "sean"',
      's.yaml:15:44: lab.paths[0].via: expected direct, firewall or content-scanner, found "tunnel"',
      's.yaml:18:37: steps[1].expect.outcome: expected delivered, deferred or bounced, found "lost"',
      's.yaml:19:57: steps[2].send.to: expected at least 1 entry, found 0',
      's.yaml:19:70: steps[2].send.subject: expected text, found the number 3',
    ]);
  });
});

describe('NT names (MS-SRVS §2.2.2.8)', () => {
  it('refuses a domain name over 15 characters or with a space, and a user name with a reserved character, wherever an account is named', () => {
    const text = scenario({
      org0: '      nt: { domain: "INTELLINET CORP" }\n',
      org1: '      nt: { domain: NTSOLUTIONSLIMITED }\n      accounts: [{ domain: NTSOL, user: "doug:x", password: p }]\n',
      steps: '  - action: { org: ntsol, disableAccount: { domain: "NT/SOL", user: ".." } }\n',
    });
    const domainRule = 'an NT domain name is 1 to 15 characters, without spaces, * or " / \\ [ ] : | < > + = ; , ? (MS-SRVS §2.2.2.8)';
    const userRule = 'an NT user name is 1 to 256 characters, not only dots and spaces, without " / \\ [ ] : | < > + = ; , ? (MS-SRVS §2.2.2.8)';
    expect(errors(text)).toEqual([
      `s.yaml:9:21: lab.orgs[0].nt.domain: ${domainRule}, not "INTELLINET CORP"`,
      `s.yaml:14:21: lab.orgs[1].nt.domain: ${domainRule}, not "NTSOLUTIONSLIMITED"`,
      `s.yaml:15:41: lab.orgs[1].accounts[0].user: ${userRule}, not "doug:x"`,
      `s.yaml:20:53: steps[1].action.disableAccount.domain: ${domainRule}, not "NT/SOL"`,
      `s.yaml:20:69: steps[1].action.disableAccount.user: ${userRule}, not ".."`,
    ]);
    expect(errors(scenario({ org0: '      nt: { domain: INTELLINET }\n', org1: '      accounts: [{ domain: INTELLINET, user: Doug.Smith-2, password: "" }]\n' }))).toEqual([]);
  });
});

describe('what run would only have found later', () => {
  const step = (action: string) => errors(scenario({ steps: `  - action: ${action}\n` }));

  it('a setFirewall on a path that does not exist, is not the organisation\'s, or is not a firewall; and its spec', () => {
    expect(step('{ org: ntsol, setFirewall: { path: nonexistent-path, firewall: asa } }')).toEqual([
      's.yaml:17:48: steps[1].action.setFirewall.path: no path nonexistent-path (paths: intellinet-ntsol)',
    ]);
    expect(step('{ org: ntsol, setFirewall: { path: intellinet-ntsol, firewall: { profile: nope } } }')).toEqual([
      expect.stringMatching(/^s\.yaml:17:87: steps\[1\]\.action\.setFirewall\.firewall\.profile: unknown firewall profile "nope": one of pass, /),
    ]);
    expect(step('{ org: ntsol, setFirewall: { path: intellinet-ntsol, firewall: pass } }')).toEqual([]);
    // A direct path (the implicit one between two organisations) has no firewall to change.
    const direct = scenario({ steps: '  - action: { org: ntsol, setFirewall: { path: intellinet-ntsol, firewall: pass } }\n' })
      .replace('    - { between: [intellinet, ntsol], via: firewall, firewall: { profile: asa } }\n', '    - { between: [intellinet, ntsol] }\n');
    expect(errors(direct)).toEqual(['s.yaml:17:48: steps[1].action.setFirewall.path: path intellinet-ntsol is direct: only a firewall path\'s profile can change']);
  });

  it('a setConnections on a host the organisation does not have', () => {
    expect(step('{ org: ntsol, setConnections: { host: mail.other.example, authentication: true, encryption: true } }')).toEqual([
      's.yaml:17:51: steps[1].action.setConnections.host: ntsol has no host mail.other.example (hosts: mail.ntsol.example)',
    ]);
    expect(step('{ org: ntsol, setConnections: { host: MAIL.ntsol.example, authentication: true, encryption: false } }')).toEqual([]);
  });

  it('an expect.mailbox no run could satisfy: a user the organisation does not have, or an external organisation', () => {
    const expectMailbox = (mailbox: string, org1 = '') => errors(scenario({ org1, steps: `  - expect: { message: m1, mailbox: ${mailbox} }\n` }));
    expect(expectMailbox('bob')).toEqual(['s.yaml:17:37: steps[1].expect.mailbox: ntsol has no user bob (users: sean)']);
    expect(expectMailbox('bob@intellinet.example')).toEqual(['s.yaml:17:37: steps[1].expect.mailbox: intellinet has no user bob (users: alice)']);
    expect(expectMailbox('sean@nowhere.example')).toEqual(['s.yaml:17:37: steps[1].expect.mailbox: no organisation has the domain nowhere.example']);
    // The recipient's domain by default, any case; every mail domain has a postmaster (RFC 5321 §4.5.1).
    expect(expectMailbox('Sean')).toEqual([]);
    expect(expectMailbox('alice@INTELLINET.example')).toEqual([]);
    expect(expectMailbox('postmaster')).toEqual([]);
    expect(expectMailbox('sean', '      external: { smtp: "127.0.0.1:2525" }\n')).toEqual([
      's.yaml:18:37: steps[1].expect.mailbox: ntsol is an external organisation: its mailboxes are on its own server (127.0.0.1:2525), not in the lab',
    ]);
  });

  it('addresses, ports and DNS data that are not what they say', () => {
    expect(errors(scenario().replace('198.51.100.25', '999.999.999.999'))).toEqual([
      's.yaml:12:52: lab.orgs[1].hosts[0].address: expected an IPv4 address such as 192.0.2.10 (four numbers from 0 to 255)',
    ]);
    expect(errors(scenario({ org1: '      external: { smtp: "127.0.0.1:99999" }\n' }))).toEqual([
      's.yaml:13:25: lab.orgs[1].external.smtp: expected host:port with a port from 1 to 65535 (RFC 793: a port is 16 bits, and 0 is no port)',
    ]);
    expect(errors(scenario({ lab: '  dns:\n    - { name: ntsol.example, type: MX, value: "!!! garbage" }\n    - { name: mail.ntsol.example, type: A, value: not-an-ip }\n    - { name: _25._tcp.mail.ntsol.example, type: TLSA, value: zz }\n    - { name: ntsol.example, type: MX, value: "70000 mx.ntsol.example" }\n' }))).toEqual([
      's.yaml:16:47: lab.dns[0].value: an MX record\'s value is a host name, optionally after its preference (10 mail.ntsol.example), not "!!! garbage"',
      's.yaml:17:51: lab.dns[1].value: an A record\'s value is an IPv4 address such as 192.0.2.10, not "not-an-ip"',
      's.yaml:18:63: lab.dns[2].value: a TLSA record\'s value is usage, selector, matching type (0-255 each) and an even number of hex digits, as in 3 1 1 8f2b…, not "zz"',
      's.yaml:19:47: lab.dns[3].value: an MX preference is 0 to 65535 (RFC 1035 §3.3.9), not 70000',
    ]);
    // What the shipped scenarios write passes: a preference in the value, a null MX, a TLSA record, a TXT of any text.
    expect(errors(scenario({ lab: '  dns:\n    - { name: secure.ntsol.example, type: MX, value: "10 secure.ntsol.example" }\n    - { name: null.example, type: MX, value: "0 ." }\n    - { name: _25._tcp.mail.ntsol.example, type: TLSA, value: "3 1 1 8f2b4a0b" }\n    - { name: ntsol.example, type: TXT, value: "v=spf1 -all !!!" }\n' }))).toEqual([]);
  });
});
