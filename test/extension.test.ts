// The extension points' proofs (docs/architecture.md, "Registries"). A TLS level is a row of data
// in one table (app/tls/level-table.ts): this fixture registers one at run time, from this file
// alone, and the configuration schema, the decision function, the fail-closed column, REQUIRETLS
// and the Postfix dialog all use it. A firewall profile is a named chain of registered stages
// (app/path/profiles.ts): the fixture below registers one from this file and a lab's path runs it.
// A dissector declares its ports (app/capture/dissect/registry.ts) and hands over to TLS after
// STARTTLS with the shared helper (app/capture/dissect/starttls.ts): the IMAP fixture is this file's.
// (The product fixture, Exim, is test/products/exim.test.ts.)
import { afterEach, describe, expect, it } from 'vitest';
import { securityEntry } from '../app/config/schema.ts';
import { createLab, type Lab } from '../app/lab/lab.ts';
import { requireTlsLevel } from '../app/mta/plans/requiretls.ts';
import { isFailClosed as entryFailsClosed } from '../app/mta/security.ts';
import { formatTranscript } from '../app/mta/transcript.ts';
import { product } from '../app/products/index.ts';
import { registerTlsLevel, requireTlsLevels, tlsLevelNames, type TlsLevelSpec } from '../app/tls/level-table.ts';
import { effectivePolicy, isFailClosed } from '../app/tls/levels.ts';
import { parseProfileSpec, registerFirewallProfile, type FirewallProfile } from '../app/path/profiles.ts';
import { FIREWALLS } from '../app/grid/axes.ts';
import { firewallView } from '../app/observe/firewall.ts';
import { labSnapshot } from '../app/api/views.ts';
import { registerDissector } from '../app/capture/dissect/registry.ts';
import { StartTlsHandover, type StartTlsRule } from '../app/capture/dissect/starttls.ts';
import { field, node, type Dissector, type Pdu, type SessionContext, type StreamDissector } from '../app/capture/dissect/types.ts';
import { CaptureStore } from '../app/capture/store.ts';
import { tapScript } from './capture/tap-script.ts';
import { twoOrgs, type LabInput } from './helpers/lab.ts';

/** Mandatory TLS whose certificate must name the recipient domain itself (no name below it). */
const exactDomain: TlsLevelSpec = {
  name: 'exact-domain', description: 'Mandatory TLS; the certificate names exactly the recipient domain',
  failsClosed: true, authenticates: true, verification: { kind: 'names', names: ['nexthop'] },
};
/** Mandatory TLS to the MX host or the recipient domain. */
const mxOrDomain: TlsLevelSpec = {
  name: 'mx-or-domain', description: 'Mandatory TLS; the certificate names the MX host or the recipient domain',
  failsClosed: true, authenticates: true, verification: { kind: 'names', names: ['mx-host', 'nexthop'] },
};

const unregister: (() => void)[] = [];
const labs: Lab[] = [];
afterEach(async () => {
  for (const u of unregister.splice(0)) u();
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});
const register = (spec: TlsLevelSpec) => unregister.push(registerTlsLevel(spec));

const entry = (level: string) => securityEntry.safeParse({ domain: 'ntsol.example', method: 'tls', level });
const dest = { mxHost: 'mail.ntsol.example', nexthop: 'ntsol.example', dns: {} };

async function send(level: string, requireTls = false) {
  const lab = await createLab(twoOrgs((l: LabInput) => {
    for (const o of l.orgs) o.profile = 'generic';
    l.orgs[1].inbound = { starttls: true };
    l.orgs[0].security = [{ domain: 'ntsol.example', method: 'tls', level }];
  }));
  labs.push(lab);
  lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y', requireTls });
  const outcome = await lab.settle('m1', true);
  const e = lab.entriesOf('m1')[0];
  return { outcome, lastError: e.lastError, text: e.attempts.map((a) => formatTranscript(a.transcript)).join('\n') };
}

describe('a TLS level registered at run time', () => {
  it('is a value of the schema enum while registered, and only then', () => {
    expect(entry('exact-domain').success).toBe(false);
    expect(entry('exact-domain').error?.issues[0].message).toMatch(/^unknown TLS level "exact-domain": one of none, may, encrypt, verify, secure, dane, dane-only, mta-sts$/);
    register(exactDomain);
    expect(entry('exact-domain').success).toBe(true);
    expect(tlsLevelNames().at(-1)).toBe('exact-domain');
    unregister.pop()!();
    expect(entry('exact-domain').success).toBe(false);
  });

  it('drives the policy from its row: the names it verifies, and fail-closed', () => {
    register(exactDomain);
    expect(effectivePolicy('exact-domain', dest)).toEqual({ tier: 'verify', names: ['ntsol.example'], policyType: 'no-policy-found' });
    expect(isFailClosed('exact-domain', dest)).toBe(true);
    expect(entryFailsClosed({ domain: 'ntsol.example', method: 'tls', level: 'exact-domain' })).toBe(true);
  });

  it('is one REQUIRETLS may use as it is, when it authenticates and fails closed (RFC 8689 §4.2)', () => {
    register(exactDomain);
    register({ name: 'encrypt-too', description: 'encrypt again', failsClosed: true, authenticates: false, verification: { kind: 'encrypt' } });
    expect(requireTlsLevels()).toEqual(['verify', 'secure', 'dane-only', 'exact-domain']);
    expect(requireTlsLevel('exact-domain')).toBe('exact-domain');
    expect(requireTlsLevel('encrypt-too')).toBe('verify');
  });

  it('is offered by the level dialog, with its description', () => {
    register(exactDomain);
    const field = product('postfix').vocabulary.form.fields[0];
    expect(field.kind === 'radio' && field.options.at(-1)).toEqual({ value: 'exact-domain', label: 'exact-domain', hint: exactDomain.description });
  });

  it('refuses a row whose flags contradict what it verifies, and a name taken', () => {
    expect(() => registerTlsLevel({ ...exactDomain, verification: { kind: 'encrypt' } })).toThrow(/authenticates needs a verification by names/);
    expect(() => registerTlsLevel({ ...exactDomain, authenticates: false, verification: { kind: 'opportunistic' } })).toThrow(/cannot fail closed/);
    expect(() => registerTlsLevel({ ...exactDomain, name: 'verify' })).toThrow(/already registered/);
  });

  it('runs in a lab: delivered when its names fit the certificate, deferred when they do not', async () => {
    register(exactDomain);
    register(mxOrDomain);
    // The partner's certificate names mail.ntsol.example, not ntsol.example.
    const fits = await send('mx-or-domain');
    expect(fits.outcome).toBe('delivered');
    expect(fits.text).toContain('peer certificate: verified');
    const strict = await send('exact-domain');
    expect(strict.outcome).toBe('deferred');
    expect(strict.lastError).toMatch(/Server certificate not verified/);
    expect(strict.text).not.toContain('MAIL FROM');
  });

  it('is the level a REQUIRETLS message travels at: exact-domain returns it where verify would deliver', async () => {
    register(exactDomain);
    const r = await send('exact-domain', true);
    expect(r.outcome).toBe('bounced');
    expect(r.text).not.toContain('MAIL FROM');
  });
});

/** A box that deletes STARTTLS from the EHLO reply behind a masked banner: a downgrade in two stages. */
const maskedDowngrade: FirewallProfile = {
  name: 'masked-downgrade', summary: 'banner masked, STARTTLS deleted (answers 454)',
  stages: [{ name: 'mask-banner', config: {} }, { name: 'strip-starttls', config: {} }],
};

async function sendThrough(profile: string, level: string) {
  const lab = await createLab(twoOrgs((l: LabInput) => {
    for (const o of l.orgs) o.profile = 'postfix';
    l.orgs[1].inbound = { starttls: true };
    l.orgs[0].security = [{ domain: 'ntsol.example', method: 'tls', level }];
    l.paths = [{ between: ['intellinet', 'ntsol'], via: 'firewall', firewall: { profile } }];
  }));
  labs.push(lab);
  lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
  const outcome = await lab.settle('m1', true);
  const e = lab.entriesOf('m1')[0];
  return { lab, outcome, lastError: e.lastError, text: e.attempts.map((a) => formatTranscript(a.transcript)).join('\n') };
}

describe('a firewall profile registered at run time', () => {
  it('is a profile a path spec names, while registered, and only then', () => {
    expect(() => parseProfileSpec('masked-downgrade')).toThrow(/unknown firewall profile "masked-downgrade"/);
    unregister.push(registerFirewallProfile(maskedDowngrade));
    expect(parseProfileSpec({ profile: 'masked-downgrade', with: { 'strip-starttls': {} } }).profile).toBe('masked-downgrade');
    expect(FIREWALLS().at(-1)).toEqual({ name: 'masked-downgrade', summary: maskedDowngrade.summary });
    unregister.pop()!();
    expect(() => parseProfileSpec('masked-downgrade')).toThrow(/unknown firewall profile/);
  });

  it('refuses a stage nobody registered, a stage config its schema refuses, and a name taken', () => {
    expect(() => registerFirewallProfile({ ...maskedDowngrade, stages: [{ name: 'teleport', config: {} }] })).toThrow(/no stage "teleport"/);
    expect(() => registerFirewallProfile({ ...maskedDowngrade, stages: [{ name: 'latency', config: { ms: 'slow' } }] })).toThrow(/masked-downgrade: stage latency: /);
    expect(() => registerFirewallProfile({ ...maskedDowngrade, name: 'asa' })).toThrow(/already registered/);
  });

  it('runs on a lab path: encrypt is held back (fails closed), may goes in clear, and the views name it', async () => {
    unregister.push(registerFirewallProfile(maskedDowngrade));
    const held = await sendThrough('masked-downgrade', 'encrypt');
    expect(held.outcome).toBe('deferred');
    expect(held.text).not.toContain('MAIL FROM');
    const clear = await sendThrough('masked-downgrade', 'may');
    expect(clear.outcome).toBe('delivered');
    expect(clear.text).toContain('MAIL FROM');
    expect(labSnapshot(clear.lab, { id: 'x', title: 'x' }, { nextStep: 0, results: [] }).paths[0].firewall).toBe('masked-downgrade');
    expect(firewallView(clear.lab, clear.lab.paths[0], []).summary).toBe(maskedDowngrade.summary);
  });
});

/**
 * IMAP (RFC 9051 §2.2) read line by line: a tag and a command from the client, a tagged or
 * untagged response from the server. Enough to find a LOGIN in a capture, and to follow
 * `a STARTTLS` + `a OK` into TLS (RFC 9051 §6.2.1) with the shared hand-over.
 */
const imapStartTls: StartTlsRule = {
  command: (line) => /^(\S+) STARTTLS$/i.exec(line)?.[1],
  reply: (line, tag) => {
    const [t, status] = line.split(' ');
    if (t !== tag) return undefined;
    return status?.toUpperCase() === 'OK' ? 'start' : 'refused';
  },
};

function openImap(ctx: SessionContext): StreamDissector {
  const pending = { c2s: Buffer.alloc(0), s2c: Buffer.alloc(0) };
  const start = { c2s: 0, s2c: 0 };
  const handover = new StartTlsHandover(ctx, () => openImap({ ...ctx, depth: ctx.depth + 1 }), imapStartTls);
  const feed = (dir: 'c2s' | 's2c', bytes: Buffer, offset: number): Pdu[] => {
    const out: Pdu[] = [];
    let pos = 0;
    while (pos < bytes.length) {
      if (handover.active(dir) || (pending[dir].length === 0 && handover.sniff(dir, bytes, pos))) {
        out.push(...handover.feed(dir, bytes.subarray(pos), offset + pos));
        break;
      }
      if (pending[dir].length === 0) start[dir] = offset + pos;
      const lf = bytes.indexOf(0x0a, pos);
      const upTo = lf < 0 ? bytes.length : lf + 1;
      pending[dir] = Buffer.concat([pending[dir], bytes.subarray(pos, upTo)]);
      pos = upTo;
      if (lf < 0) break;
      const text = pending[dir].toString('latin1').replace(/\r?\n$/, '');
      const name = dir === 'c2s' ? 'imap.request' : 'imap.response';
      const range = { start: start[dir], end: start[dir] + pending[dir].length };
      out.push({ layer: 'imap', protocol: 'IMAP', info: `${dir === 'c2s' ? 'Request' : 'Response'}: ${text}`, depth: ctx.depth,
        tree: node('Internet Message Access Protocol', [field(name, text), field('imap.tag', text.split(' ')[0])], [], range) });
      pending[dir] = Buffer.alloc(0);
      if (dir === 'c2s') handover.clientLine(text);
      else handover.serverLine(text);
    }
    return out;
  };
  return { feed, end: (dir) => handover.end(dir) };
}

const imapDissector: Dissector = {
  name: 'imap', title: 'Internet Message Access Protocol',
  fields: [
    { name: 'imap.request', type: 'string', label: 'Request' },
    { name: 'imap.response', type: 'string', label: 'Response' },
    { name: 'imap.tag', type: 'string', label: 'Tag' },
  ],
  ports: { plain: [143], implicitTls: [993] },
  open: openImap,
};

const imapSession = tapScript([
  ['s2c', '* OK [CAPABILITY IMAP4rev2 STARTTLS] ready\r\n'],
  ['c2s', 'a1 LOGIN sean Sunrise-42\r\n'],
  ['s2c', 'a1 OK LOGIN completed\r\n'],
], { server: { ip: '198.51.100.25', port: 143 } });

describe('a dissector registered at run time', () => {
  it('reads the connections on its port, and its fields are the filter\'s', () => {
    const before = new CaptureStore({});
    before.ingestAll(imapSession);
    expect(before.page({ filter: 'imap.request contains "LOGIN"' }).error).toBeDefined();
    unregister.push(registerDissector(imapDissector));
    const store = new CaptureStore({});
    store.ingestAll(imapSession);
    const page = store.page({ filter: 'imap.request contains "LOGIN"' });
    expect(page.error).toBeUndefined();
    expect(page.rows.map((r) => [r.protocol, r.info])).toEqual([['IMAP', 'Request: a1 LOGIN sean Sunrise-42']]);
    expect(store.page({ filter: 'imap.tag == "a1"' }).matched).toBe(2);
    // Port 25 is still SMTP's.
    const smtp = new CaptureStore({});
    smtp.ingestAll(tapScript([['s2c', '220 mail.ntsol.example ESMTP\r\n']]));
    expect(smtp.page({ filter: 'smtp' }).matched).toBe(1);
  });

  it('hands its connection to TLS after a STARTTLS and its tagged OK, with the shared helper (RFC 9051 §6.2.1)', () => {
    unregister.push(registerDissector(imapDissector));
    const clientHello = Buffer.from('16030100050100000100', 'hex');
    const serverHello = Buffer.from('16030300050200000100', 'hex');
    // A fatal handshake_failure alert (RFC 8446 §6): TLS only by the hand-over, since it does not
    // start the way a handshake record does (the missed-STARTTLS check looks for type 22).
    const alert = Buffer.from('15030300020228', 'hex');
    const script = (chunks: Parameters<typeof tapScript>[0]) => {
      const store = new CaptureStore({});
      store.ingestAll(tapScript(chunks, { server: { ip: '198.51.100.25', port: 143 } }));
      return store;
    };
    const store = script([
      ['s2c', '* OK [CAPABILITY IMAP4rev2 STARTTLS] ready\r\n'],
      ['c2s', 'a STARTTLS\r\n'],
      ['s2c', 'a OK Begin TLS negotiation now\r\n'],
      ['c2s', clientHello],
      ['s2c', alert],
    ]);
    expect(store.page({ filter: 'imap' }).rows.map((r) => r.info)).toEqual(['Response: * OK [CAPABILITY IMAP4rev2 STARTTLS] ready', 'Request: a STARTTLS', 'Response: a OK Begin TLS negotiation now']);
    expect(store.page({ filter: 'tls.handshake.type == 1' }).matched).toBe(1);
    expect(store.page({ filter: 'tls.alert_message.desc == 40' }).matched).toBe(1);
    // Refused (a NO): the connection stays clear text, and a line after it is IMAP's.
    const refused = script([
      ['c2s', 'a STARTTLS\r\n'],
      ['s2c', 'a NO not now\r\n'],
      ['c2s', 'b LOGOUT\r\n'],
    ]);
    expect(refused.page({ filter: 'imap.tag == "b"' }).matched).toBe(1);
    expect(refused.page({ filter: 'tls' }).matched).toBe(0);
    // A capture that missed the STARTTLS: a TLS record where a line should start is still TLS.
    const missed = script([['c2s', clientHello], ['s2c', serverHello]]);
    expect(missed.page({ filter: 'tls' }).matched).toBe(2);
  });

  it('refuses a port another dissector claims the same way, a field of another type, and a name taken', () => {
    expect(() => registerDissector({ ...imapDissector, name: 'imap2', ports: { plain: [25] } })).toThrow(/port 25 \(plain\) is smtp's/);
    expect(() => registerDissector({ ...imapDissector, name: 'imap3', ports: {}, fields: [{ name: 'smtp.req.command', type: 'number', label: 'x' }] })).toThrow(/already a string, not a number/);
    expect(() => registerDissector({ ...imapDissector, name: 'smtp' })).toThrow(/already registered/);
  });
});
