/**
 * The PIX and ASA details on real labs (loopback sockets, the lab's own servers and sender):
 * the PIX's two documented EHLO outcomes (Microsoft KB 320027: "you receive a 'Command
 * unrecognized' or an 'OK' response") and what the sender does next, and the ASA default map's
 * sender-address limit acted on as configured (docs/firewall-config.md, docs/stages.md).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { formatTranscript } from '../../app/mta/transcript.ts';
import { firewallView } from '../../app/observe/firewall.ts';
import { connectionFacts as connFacts } from '../../app/observe/facts.ts';
import { twoOrgs } from '../helpers/lab.ts';

const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

async function start(firewall: unknown, security: unknown[] = []) {
  const lab = await createLab(twoOrgs((l) => {
    l.orgs[0].nt = { domain: 'INTELLINET', crypto: 'us-128' };
    l.orgs[0].security = security;
    l.orgs[1].nt = { domain: 'NTSOL', crypto: 'us-128' };
    l.orgs[1].accounts = [{ domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' }];
    l.paths = [{ between: ['intellinet', 'ntsol'], via: 'firewall', firewall }];
  }));
  labs.push(lab);
  return lab;
}

const transcriptOf = (lab: Lab, id: string) => formatTranscript(lab.entriesOf(id)[0].attempts[0].transcript);
const ntlm = [{ domain: 'ntsol.example', method: 'ntlm', logon: { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' } }];

describe('PIX Mailguard: both documented EHLO outcomes, selectable (command-filter style)', () => {
  it('250 OK (style noop, pix-5.1 default): the IMS takes the NOOP\'s 250 for an EHLO without extensions and sends MAIL', async () => {
    const lab = await start({ profile: 'pix-5.1' });
    lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
    expect(await lab.settle('m1', false)).toBe('delivered');
    const t = transcriptOf(lab, 'm1');
    expect(t).toMatch(/-> EHLO mail\.intellinet\.example\n<- 250 OK\n-> MAIL FROM:<alice@intellinet\.example>\n/);
    expect(t).not.toContain('-> HELO');
  });

  it('500 Command unrecognized (style x): the IMS falls back to HELO (RFC 5321 §3.2, KB Q241892) and delivers', async () => {
    const lab = await start({ profile: 'pix-5.1', with: { 'command-filter': { style: 'x' } } });
    lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
    expect(await lab.settle('m1', false)).toBe('delivered');
    const t = transcriptOf(lab, 'm1');
    expect(t).toMatch(/-> EHLO mail\.intellinet\.example\n<- 500 Command unrecognized\n-> HELO mail\.intellinet\.example\n<- 250 mail\.ntsol\.example Hello [^\n]+\n-> MAIL FROM:<alice@intellinet\.example>\n/);
    // What the receiving IMS read: 28 Xs where EHLO was, then the HELO.
    const conn = lab.entriesOf('m1')[0].attempts[0].conn!;
    const received = (lab.serverLogs.get(conn) ?? []).filter((l) => l.dir === 'in').map((l) => l.text);
    expect(received.slice(0, 2)).toEqual(['X'.repeat(28), 'HELO mail.intellinet.example']);
  });

  it('500 and a blind AUTH NTLM: the 500 to AUTH defers the message, and nothing of it crosses', async () => {
    const lab = await start({ profile: 'pix-5.1', with: { 'command-filter': { style: 'x' } } }, ntlm);
    lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
    expect(await lab.settle('m1', true)).toBe('deferred');
    const t = transcriptOf(lab, 'm1');
    expect(t).toContain('-> HELO mail.intellinet.example');
    expect(t).toMatch(/-> AUTH NTLM TlRMTVNTUAAB[A-Za-z0-9+/]+=*\n<- 500 Command unrecognized\n/);
    expect(t).not.toContain('MAIL FROM');
    expect(lab.leaks('m1')).toEqual([]);
  });

  it('250 and a blind AUTH NTLM: "250 OK" where a 334 was due defers the message', async () => {
    const lab = await start({ profile: 'pix-5.1' }, ntlm);
    lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
    expect(await lab.settle('m1', true)).toBe('deferred');
    expect(transcriptOf(lab, 'm1')).toMatch(/-> AUTH NTLM TlRMTVNTUAAB[A-Za-z0-9+/]+=*\n<- 250 OK\n/);
    expect(lab.leaks('m1')).toEqual([]);
  });

  it('the firewall view names the outcome in the PIX configuration', async () => {
    const lab = await start({ profile: 'pix-5.1', with: { 'command-filter': { style: 'x' } } });
    const path = lab.paths.find((p) => p.config.via === 'firewall')!;
    const view = firewallView(lab, path, connFacts(lab));
    expect(view.ehlo).toMatchObject({ style: 'x', reply: '500 Command unrecognized' });
    expect(view.config.at(-1)).toContain('! EHLO outcome: 500 Command unrecognized');
  });
});

describe('ASA: match sender-address length gt N, acted on as configured', () => {
  // The default 320 is checked in test/path/stages/esmtp-inspect.test.ts; a real sender cannot
  // send a 321-octet address here (smtp-server refuses a local part over 64 octets, RFC 5321
  // §4.5.3.1.1), so this lab lowers the limit below alice@intellinet.example's 24 octets.

  it('drop-connection (the default): the connection is reset at MAIL, the message waits, the syslog says why', async () => {
    const lab = await start({ profile: 'asa', with: { 'esmtp-inspect': { maxSenderAddress: 20 } } });
    lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
    expect(await lab.settle('m1', true)).toBe('deferred');
    expect(lab.leaks('m1', ['receiver'])).toEqual([]);
    await lab.idle();
    const path = lab.paths.find((p) => p.config.via === 'firewall')!;
    const view = firewallView(lab, path, connFacts(lab));
    expect(view.counters.dropped).toBeGreaterThan(0);
    expect(view.syslog.map((l) => l.text).join('\n')).toMatch(/%ASA-4-108004: esmtp-inspect: Drop-connection ESMTP Request [^\n]*sender address longer than 20 bytes/);
    expect(view.config).toEqual(expect.arrayContaining([' match sender-address length gt 20', ' match MIME filename length gt 255']));
  });

  it('log: the message is delivered, and the firewall logs the line without changing it', async () => {
    const lab = await start({ profile: 'asa', with: { 'esmtp-inspect': { maxSenderAddress: 20, senderAddressAction: 'log' } } });
    lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
    const outcome = await lab.settle('m1', true);
    expect(outcome, transcriptOf(lab, 'm1')).toBe('delivered');
    await lab.idle();
    const path = lab.paths.find((p) => p.config.via === 'firewall')!;
    const view = firewallView(lab, path, connFacts(lab));
    expect(view.counters.logged).toBe(1);
    expect(view.syslog.map((l) => l.text).join('\n')).toMatch(/esmtp-inspect: Log ESMTP Request [^\n]*sender address longer than 20 bytes: logged/);
    const i = view.config.indexOf(' match sender-address length gt 20');
    expect(view.config[i + 1]).toBe('  log');
  });
});
