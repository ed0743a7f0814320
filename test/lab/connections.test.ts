/**
 * The IMS Connections tab ("Accept connections … only from hosts using Authentication /
 * Encryption"), per interface (host), enforced by the receiving server at MAIL: a table of
 * interface settings × what the client did before MAIL, driven with nodemailer's client against
 * the lab's real listeners, and the lab's own sender end to end (NT challenge/response's seal
 * counts as encryption). docs/products.md, "The IMS Connections tab".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { formatTranscript } from '../../app/mta/transcript.ts';
import { labSnapshot } from '../../app/api/views.ts';
import { applyLabAction } from '../../app/lab/actions.ts';
import { twoOrgs } from '../helpers/lab.ts';

type Accept = { authentication: boolean; encryption: boolean } | undefined;
const ACCEPT: Record<string, Accept> = {
  all: undefined,
  authentication: { authentication: true, encryption: false },
  encryption: { authentication: false, encryption: true },
  both: { authentication: true, encryption: true },
};

let lab: Lab;
beforeAll(async () => {
  lab = await createLab(twoOrgs((l) => {
    l.orgs[1].nt = { domain: 'NTSOL', crypto: 'us-128' };
    l.orgs[1].inbound = { starttls: true };
    l.orgs[1].accounts = [{ domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' }];
    l.orgs[1].hosts = Object.keys(ACCEPT).map((name, i) => ({
      name: `${name}.ntsol.example`, address: `198.51.100.${30 + i}`, mx: i === 0 ? 10 : false,
      ...(ACCEPT[name] ? { accept: ACCEPT[name] } : {}),
    }));
  }));
});
afterAll(async () => {
  await lab?.stop();
});

const portOf = (host: string) => {
  const e = lab.endpoints().find((x) => x.type === 'host' && x.name === host);
  if (e?.type !== 'host' || !e.smtp) throw new Error(`no listener for ${host}`);
  return Number(e.smtp.split(':')[1]);
};

/** MAIL's reply on `host` after the client did `before`. */
async function mailReply(host: string, before: { tls: boolean; login: boolean }): Promise<string> {
  const c = new SMTPConnection({
    host: '127.0.0.1', port: portOf(host), name: 'client.example', ignoreTLS: !before.tls, requireTLS: before.tls,
    // The IMS speaks TLS 1.0 only (app/products/exchange-5.5.ts); the lab's certificate is not checked here.
    tls: { rejectUnauthorized: false, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' },
  });
  await new Promise<void>((resolve, reject) => {
    c.once('error', reject);
    c.connect(() => resolve());
  });
  try {
    if (before.login) {
      await new Promise<void>((resolve, reject) => c.login({ user: 'INTELLINET\\DOUG', pass: 'Sunrise-42', method: 'LOGIN' }, (e) => (e ? reject(e) : resolve())));
    }
    return await new Promise<string>((resolve) => c.send({ from: 'doug@intellinet.example', to: ['sean@ntsol.example'] }, 'Subject: x\r\n\r\ny\r\n', (e, info) => {
      resolve(e ? String((e as { response?: string }).response ?? e.message) : info.response);
    }));
  } finally {
    c.quit();
  }
}

const OK = '250 OK';
const NEED_AUTH = '530 Authentication required';
const NEED_TLS = '530 Must issue a STARTTLS command first';

describe('Accept connections, per interface: what MAIL gets', () => {
  it.each([
    ['all', { tls: false, login: false }, OK],
    ['authentication', { tls: false, login: false }, NEED_AUTH],
    ['authentication', { tls: false, login: true }, OK],
    ['authentication', { tls: true, login: false }, NEED_AUTH],
    ['encryption', { tls: false, login: false }, NEED_TLS],
    ['encryption', { tls: false, login: true }, NEED_TLS],
    ['encryption', { tls: true, login: false }, OK],
    ['both', { tls: true, login: false }, NEED_AUTH],
    ['both', { tls: false, login: true }, NEED_TLS],
    ['both', { tls: true, login: true }, OK],
  ] as const)('%s.ntsol.example, client with %j → %s', async (name, before, want) => {
    expect(await mailReply(`${name}.ntsol.example`, before)).toMatch(new RegExp(`^${want}`));
  });

  it('the snapshot shows each interface\'s setting and the IMS Connections page', () => {
    const org = labSnapshot(lab, { id: 't', title: 't' }, { nextStep: 0, results: [] }).orgs.find((o) => o.id === 'ntsol')!;
    expect(org.hosts.map((h) => [h.name, h.accept])).toEqual(Object.entries(ACCEPT).map(([n, a]) => [`${n}.ntsol.example`, a]));
    expect(org.connections?.options.map((o) => o.value)).toEqual(['all', 'authentication', 'encryption', 'both']);
  });

  it('setConnections changes one interface for the next session, and names a missing host', async () => {
    expect(applyLabAction(lab, { org: 'ntsol', setConnections: { host: 'all.ntsol.example', authentication: true, encryption: false } }))
      .toBe('connections on all.ntsol.example: accepts mail only from hosts using authentication');
    expect(await mailReply('all.ntsol.example', { tls: false, login: false })).toMatch(/^530 Authentication required/);
    lab.applyAction({ org: 'ntsol', setConnections: { host: 'all.ntsol.example', authentication: false, encryption: false } });
    expect(await mailReply('all.ntsol.example', { tls: false, login: false })).toMatch(/^250 OK/);
    expect(() => applyLabAction(lab, { org: 'ntsol', setConnections: { host: 'nope.ntsol.example', authentication: true, encryption: false } }))
      .toThrow(/ntsol has no host nope\.ntsol\.example/);
  });
});

describe('an alternate interface that demands NTLM, the main one that does not (the lab\'s sender)', () => {
  const alternate = (method: 'none' | 'ntlm') => twoOrgs((l) => {
    l.orgs[0].nt = { domain: 'INTELLINET', crypto: 'us-128' };
    l.orgs[0].security = [method === 'ntlm'
      ? { domain: 'ntsol.example', method, via: 'secure.ntsol.example', logon: { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' } }
      : { domain: 'ntsol.example', method, via: 'secure.ntsol.example' }];
    l.orgs[1].nt = { domain: 'NTSOL', crypto: 'us-128' };
    l.orgs[1].accounts = [{ domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' }];
    l.orgs[1].hosts = [
      { name: 'mail.ntsol.example', address: '198.51.100.25' },
      { name: 'secure.ntsol.example', address: '198.51.100.26', mx: false, accept: { authentication: true, encryption: true } },
    ];
  });
  const labs: Lab[] = [];
  afterAll(async () => {
    await Promise.all(labs.map((l) => l.stop()));
  });

  it('NT challenge/response authenticates and seals: the secure interface takes the mail', async () => {
    const l = await createLab(alternate('ntlm'));
    labs.push(l);
    l.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
    expect(await l.settle('m1', true)).toBe('delivered');
    expect(formatTranscript(l.entriesOf('m1')[0].attempts[0].transcript)).toContain('<- 235 ntlm authentication successful');
  });

  it('plain SMTP to the secure interface meets 530 at MAIL and bounces; the main interface still takes plain mail', async () => {
    const l = await createLab(alternate('none'));
    labs.push(l);
    l.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
    expect(await l.settle('m1', true)).toBe('bounced');
    expect(formatTranscript(l.entriesOf('m1')[0].attempts[0].transcript)).toMatch(/-> MAIL FROM:<alice@intellinet\.example>[^\n]*\n<- 530 Must issue a STARTTLS command first/);
    l.applyAction({ org: 'intellinet', removeSecurity: { domain: 'ntsol.example' } });
    l.send({ id: 'm2', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
    expect(await l.settle('m2', true)).toBe('delivered');
  });
});
