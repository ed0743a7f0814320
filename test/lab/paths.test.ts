/**
 * Paths between organisations (docs/lab.md, "Paths and capture points"; docs/stages.md): a backup MX without STARTTLS behind a failed primary,
 * the three views of a firewall, and the content scanner's two hops.
 */
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { loadScenarioFile } from '../../app/scenario/load.ts';
import { formatTranscript } from '../../app/mta/transcript.ts';
import { serverLog } from '../../app/observe/server-log.ts';
import { dsnFields } from '../../app/scenario/expect.ts';
import { twoOrgs } from '../helpers/lab.ts';
import { ROOT } from '../helpers/cli.ts';

const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

async function start(config: Parameters<typeof createLab>[0]) {
  const lab = await createLab(config);
  labs.push(lab);
  return lab;
}

async function scenarioLab(name: string) {
  const loaded = loadScenarioFile(path.join(ROOT, 'scenarios', name));
  if (!loaded.ok) throw new Error(`${name} is invalid`);
  return start(loaded.scenario.lab);
}

/** ntsol has a primary MX behind a path that refuses connections, and a backup MX without STARTTLS. */
const backupLab = (level: 'may' | 'encrypt') => twoOrgs((l) => {
  l.orgs[0].security = [{ domain: 'ntsol.example', method: 'tls', level }];
  l.orgs[1].inbound = { starttls: true };
  l.orgs[1].hosts = [
    { name: 'mail.ntsol.example', address: '198.51.100.25' },
    { name: 'backup.ntsol.example', address: '198.51.100.27', starttls: false },
  ];
  l.paths = [{ between: ['intellinet', 'ntsol'], to: 'mail.ntsol.example', via: 'firewall', firewall: { profile: 'pass', stages: [{ block: {} }] } }];
});

describe('a backup MX without STARTTLS behind a primary that fails', () => {
  it('`may` falls back to it and the run marks the downgrade', async () => {
    const lab = await start(backupLab('may'));
    lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
    expect(await lab.settle('m1', true)).toBe('delivered');
    const attempts = lab.entriesOf('m1')[0].attempts;
    expect(attempts.map((a) => [a.host, a.result])).toEqual([['mail.ntsol.example', 'next-mx'], ['backup.ntsol.example', 'delivered']]);
    expect(attempts[1].downgraded).toBe('STARTTLS not offered by host backup.ntsol.example');
    expect(lab.leaks('m1').length).toBeGreaterThan(0);
  });

  it('a fail-closed level defers instead, and nothing crosses in clear', async () => {
    const lab = await start(backupLab('encrypt'));
    lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
    expect(await lab.settle('m1', true)).toBe('deferred');
    expect(lab.entriesOf('m1')[0].lastError).toBe('TLS is required, but was not offered by host backup.ntsol.example');
    expect(lab.leaks('m1')).toEqual([]);
  });
});

describe('the views of a firewall path', () => {
  it('pix-5.1 (the receiver\'s firewall): the sender and the Internet carried EHLO, the receiver saw NOOP and 24 spaces, and the rewrite is marked', async () => {
    const lab = await scenarioLab('pix-mailguard.yaml');
    lab.send({ id: 'm1', from: 'bob@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
    expect(await lab.settle('m1', false)).toBe('delivered');
    const conn = lab.entriesOf('m1')[0].attempts[0].conn!;
    const stream = (point: string) => Buffer.concat([...lab.taps.records].filter((r) => r.conn === conn && r.point === point && r.dir === 'c2s').map((r) => r.bytes)).toString('latin1');
    expect(stream('intellinet-ntsol/sent')).toContain('EHLO mail.intellinet.example\r\n');
    // The PIX stands at NT Solutions' edge: the Internet is before it (docs/packet-view.md).
    expect(stream('intellinet-ntsol/wire')).toBe(stream('intellinet-ntsol/sent'));
    expect(stream('intellinet-ntsol/received')).toContain(`NOOP${' '.repeat(24)}\r\n`);
    expect(stream('intellinet-ntsol/received')).not.toContain('EHLO');
    const marked = [...lab.taps.records].filter((r) => r.conn === conn && r.marks?.some((m) => m.stage === 'command-filter' && m.action === 'changed'));
    expect(marked.length).toBeGreaterThan(0);
    const received = (lab.serverLogs.get(conn) ?? []).filter((l) => l.dir === 'in').map((l) => l.text);
    expect(received[0]).toBe(`NOOP${' '.repeat(24)}`);
  });
});

describe('a content scanner', () => {
  it('ends the session: TLS to the scanner, the scanner\'s own (empty) policy onward, two hops on two captures', async () => {
    const lab = await scenarioLab('content-scanner.yaml');
    lab.applyAction({ org: 'intellinet', setSecurity: { domain: 'ntsol.example', method: 'tls', level: 'encrypt' } });
    lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
    expect(await lab.settle('m1', false)).toBe('delivered');
    const [first, second] = lab.entriesOf('m1');
    expect(first.org).toBe('intellinet');
    expect(second.org).toBe('scanner@intellinet-ntsol');
    expect(first.attempts[0].tls?.protocol).toMatch(/^TLSv1/);
    expect(second.attempts[0].tls).toBeUndefined();
    expect(formatTranscript(first.attempts[0].transcript)).toContain('<- 220 scanner.ntsol.example ESMTP Postfix');
    expect(lab.leaks('m1', ['sender'])).toEqual([]);
    expect(lab.leaks('m1', ['wire']).length).toBeGreaterThan(0);
    const sean = lab.servers.get('ntsol')!.mailboxes;
    const mail = sean.read('sean', sean.list('sean')[0].id)!.toString();
    // Two Received headers, each in its product's form (app/products/): the scanner's Postfix line
    // (ESMTPS at TLS 1.0, all the IMS speaks) under the IMS's own (plain SMTP, from the scanner).
    expect(mail).toMatch(/^Return-Path: <alice@intellinet\.example>\r\nReceived: from scanner\.ntsol\.example \(\[198\.51\.100\.5\]\) by mail\.ntsol\.example with SMTP \(Microsoft Exchange Internet Mail Service Version 5\.5\.2653\.13\)\r\n\tid /);
    expect(mail).toMatch(/Received: from mail\.intellinet\.example [^\n]*\n\t\(using TLSv1 with cipher AES(128|256)-SHA \(\1\/\1 bits\)\)\r\n\t\(No client certificate requested\)\r\n\tby scanner\.ntsol\.example \(Postfix\) with ESMTPS id /);
  });
});

describe('the captures of a content scanner path', () => {
  it('three points like a firewall path: the hop to the scanner as sent, then the onward hop on the wire and as received, each with its role', async () => {
    const lab = await scenarioLab('content-scanner.yaml');
    const points = lab.capture.points().map((p) => p.id).filter((id) => id.startsWith('intellinet-ntsol/'));
    expect(points).toEqual(['intellinet-ntsol/sent', 'intellinet-ntsol/wire', 'intellinet-ntsol/received']);
    expect([...lab.pointRoles()].filter(([id]) => id.startsWith('intellinet-ntsol/'))).toEqual([
      ['intellinet-ntsol/sent', ['sender']], ['intellinet-ntsol/wire', ['wire']], ['intellinet-ntsol/received', ['receiver']],
    ]);
    expect(lab.capture.points().find((p) => p.id === 'intellinet-ntsol/received')?.label).toBe('intellinet ↔ ntsol, received (mail.ntsol.example)');
    lab.applyAction({ org: 'intellinet', setSecurity: { domain: 'ntsol.example', method: 'tls', level: 'encrypt' } });
    lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
    expect(await lab.settle('m1', false)).toBe('delivered');
    const [first, second] = lab.entriesOf('m1');
    const stream = (conn: string, point: string) => Buffer.concat([...lab.taps.records].filter((r) => r.conn === conn && r.point === point && r.dir === 'c2s').map((r) => r.bytes)).toString('latin1');
    // The scanner's own session onward: on the wire and at the receiver, byte for byte.
    const onward = second.attempts[0].conn!;
    expect(stream(onward, 'intellinet-ntsol/wire')).toContain('EHLO scanner.ntsol.example\r\n');
    expect(stream(onward, 'intellinet-ntsol/received')).toBe(stream(onward, 'intellinet-ntsol/wire'));
    expect(stream(onward, 'intellinet-ntsol/sent')).toBe('');
    // The sender's session ends at the scanner: not at the receiver's point.
    expect(stream(first.attempts[0].conn!, 'intellinet-ntsol/received')).toBe('');
    expect([...lab.capture.packets('intellinet-ntsol/received')].length).toBeGreaterThan(0);
    // `expect … at: receiver` reads the received point; the canaries crossed it in clear.
    expect(lab.leaks('m1', ['receiver']).length).toBeGreaterThan(0);
    // The scanner answers for the host the sender dialed (a transparent interception): the sent
    // capture shows that host's address, as the sender's own records name it; the onward hop
    // comes from the scanner's address.
    const first0 = first.attempts[0];
    expect(first0.host).toBe('mail.ntsol.example');
    const dst = (conn: string, point: string) => new Set([...lab.capture.packets(point)].filter((pk) => pk.conn === conn && pk.dir === 'c2s').map((pk) => pk.dst));
    expect(dst(first0.conn!, 'intellinet-ntsol/sent')).toEqual(new Set(['198.51.100.25']));
    expect(new Set([...lab.capture.packets('intellinet-ntsol/wire')].filter((pk) => pk.conn === onward && pk.dir === 'c2s').map((pk) => pk.src))).toEqual(new Set(['198.51.100.5']));
    // Each session is in the log of the server that answered it: the scanner's, not Exchange's.
    const inbound = (org: string) => serverLog(lab, org).logs.flatMap((l) => l.lines.map((x) => x.text)).filter((t) => /\bconnect from|Inbound connection/.test(t));
    expect(inbound('scanner@intellinet-ntsol')).toEqual([expect.stringContaining('connect from mail.intellinet.example[192.0.2.10]')]);
    expect(inbound('ntsol')).toEqual([expect.stringContaining('Inbound connection from scanner.ntsol.example [198.51.100.5]')]);
  });
});

describe('a bounce from a content scanner', () => {
  it('travels back to the sender\'s organisation with a null reverse-path and lands as a bounce', async () => {
    const lab = await scenarioLab('content-scanner.yaml');
    lab.applyAction({ org: 'intellinet', setSecurity: { domain: 'ntsol.example', method: 'tls', level: 'encrypt' } });
    lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'nobody@ntsol.example', subject: 'To a ghost', body: 'y' });
    // The scanner accepts (it relays for ntsol.example), then Exchange refuses the recipient.
    expect(await lab.settle('m1', false)).toBe('bounced');
    await lab.idle();
    const [, scannerEntry] = lab.entriesOf('m1');
    expect(scannerEntry).toMatchObject({ org: 'scanner@intellinet-ntsol', state: 'bounced' });
    const returned = [...lab.servers.get('scanner@intellinet-ntsol')!.entries.values()].find((e) => e.from === '' && e.to[0] === 'alice@intellinet.example');
    expect(returned?.state).toBe('delivered');
    expect(returned?.attempts[0].transcript.some((l) => l.dir === 'out' && l.text.startsWith('MAIL FROM:<> '))).toBe(true);
    const alice = lab.servers.get('intellinet')!.mailboxes;
    const bounce = alice.list('alice').find((m) => m.kind === 'bounce');
    expect(bounce).toMatchObject({ ref: 'm1', from: expect.stringContaining('MAILER-DAEMON') });
    expect(dsnFields(alice.read('alice', bounce!.id)!)).toMatchObject({ status: '5.1.1', diagnostic: expect.stringContaining('550 5.1.1 <nobody@ntsol.example>') });
  });
});
