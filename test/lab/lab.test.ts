import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { dsnFields } from '../../app/scenario/expect.ts';
import { formatTranscript } from '../../app/mta/transcript.ts';
import { bareSmtpServer, closedPort, twoOrgs, type BareServer } from '../helpers/lab.ts';

const labs: Lab[] = [];
const bare: BareServer[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
  await Promise.all(bare.splice(0).map((s) => s.close()));
});

async function start(config: Parameters<typeof createLab>[0], workspace?: string) {
  const lab = await createLab(config, { workspace });
  labs.push(lab);
  return lab;
}

const send = (lab: Lab, id: string, to = 'sean@ntsol.example') =>
  lab.send({ id, from: 'alice@intellinet.example', to, subject: 'Trial results', body: 'Hi Sean, this is a test, unencrypted message' });

describe('a lab with two organisations and no security', () => {
  it('delivers Alice\'s message to Sean\'s mailbox through the tapped path, readable on the wire', async () => {
    const lab = await start(twoOrgs());
    const sent = send(lab, 'm1');
    expect(await lab.settle('m1', false)).toBe('delivered');
    const [item] = lab.servers.get('ntsol')!.mailboxes.list('sean');
    // The mailbox lists it by its own From and Subject, read from the header the receiver took.
    expect(item).toMatchObject({ ref: 'm1', kind: 'mail', via: 'ESMTP', from: expect.stringContaining('alice@intellinet.example'), subject: expect.stringContaining('Trial results') });
    const stored = lab.servers.get('ntsol')!.mailboxes.read('sean', item.id)!.toString();
    // RFC 5321 §4.4: the receiver adds a trace header with the simulated sender address.
    // The IMS's own trace line (app/products/exchange-5.5.ts): no ESMTP keywords, its version string.
    expect(stored).toMatch(/^Return-Path: <alice@intellinet\.example>\r\nReceived: from mail\.intellinet\.example \(\[192\.0\.2\.10\]\) by mail\.ntsol\.example with SMTP \(Microsoft Exchange Internet Mail Service Version 5\.5\.2653\.13\)\r\n\tid /);
    expect(stored).toContain('Hi Sean, this is a test, unencrypted message');
    // The detector is not blind: all three canaries crossed in clear.
    const leaks = lab.leaks('m1');
    expect(new Set(leaks.map((l) => l.where))).toEqual(new Set(['subject', 'header', 'body']));
    expect(leaks.every((l) => l.dir === 'c2s' && l.point === 'intellinet-ntsol')).toBe(true);
    expect(stored).toContain(sent.canaries.body);
  });

  it('keeps both views of the session: what the sender saw and what the receiver got', async () => {
    const lab = await start(twoOrgs());
    send(lab, 'm1');
    await lab.settle('m1', false);
    const [attempt] = lab.entriesOf('m1')[0].attempts;
    const sender = formatTranscript(attempt.transcript);
    expect(sender).toContain('<- 220 mail.ntsol.example ESMTP Server (Microsoft Exchange Internet Mail Service 5.5.2653.13) ready');
    expect(sender).toContain('-> EHLO mail.intellinet.example');
    expect(sender).toContain('-> RCPT TO:<sean@ntsol.example>');
    const receiver = lab.serverLogs.get(attempt.conn!)!.map((l) => `${l.dir} ${l.text}`);
    expect(receiver).toContain('in RCPT TO:<sean@ntsol.example> NOTIFY=FAILURE,DELAY'); // the IMS's DSN request (KB Q262945)
    expect(receiver.some((l) => l.startsWith('in MAIL FROM:<alice@intellinet.example>'))).toBe(true);
    expect(receiver).toContain('out 250 OK'); // the IMS's end-of-data reply (KB Q262945)
  });

  it('bounces an unknown recipient with an RFC 3464 report in the sender\'s mailbox', async () => {
    const lab = await start(twoOrgs());
    send(lab, 'm1', 'nobody@ntsol.example');
    expect(await lab.settle('m1', false)).toBe('bounced');
    const server = lab.servers.get('intellinet')!;
    const bounce = server.mailboxes.list('alice').find((m) => m.kind === 'bounce')!;
    const raw = server.mailboxes.read('alice', bounce.id)!;
    // A bounce travels with the null reverse-path (RFC 5321 §4.5.5), and its final delivery says so.
    expect(raw.toString('latin1')).toMatch(/^Return-Path: <>\r\n/);
    const parsed = await simpleParser(raw);
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/report', params: { 'report-type': 'delivery-status' } });
    expect(parsed.subject).toBe('Undeliverable: Trial results [' + lab.messages.get('m1')!.canaries.subject + ']');
    expect(dsnFields(raw)).toEqual({ status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 <nobody@ntsol.example>... User unknown' });
    expect(raw.toString()).toContain('Content-Type: text/rfc822-headers');
    expect(raw.toString()).toContain('Reporting-MTA: dns; mail.intellinet.example');
    expect(bounce.cause?.conn).toMatch(/^c\d+$/);
  });

  it('defers on a temporary refusal, retries on the lab clock, and bounces when the lifetime ends', async () => {
    const partner = await bareSmtpServer({ onRcptTo: (_a, _s, cb) => cb(Object.assign(new Error('4.7.1 Greylisted, try later'), { responseCode: 451 })) });
    bare.push(partner);
    const lab = await start(twoOrgs((l) => {
      l.orgs[1].external = { smtp: `127.0.0.1:${partner.port}` };
      l.orgs[0].queue = { lifetime: '1h' };
    }));
    const t0 = lab.clock.now();
    send(lab, 'm1');
    expect(await lab.settle('m1', true)).toBe('deferred');
    const entry = lab.entriesOf('m1')[0];
    expect(entry.lastError).toContain('451 4.7.1 Greylisted, try later');
    expect(entry.nextAttemptAt! - t0).toBe(10 * 60_000); // Exchange 5.5 IMS: first retry after 10 minutes
    expect(await lab.settle('m1', false)).toBe('bounced');
    expect(lab.clock.now() - t0).toBe(3_600_000); // the queue lifetime, on the lab clock, in no wall time
    // Exchange 5.5's schedule: 10, 10, 10, 15 minutes, then every 15 — and a last attempt at expiry.
    expect(entry.attempts.map((a) => (a.at - t0) / 60_000)).toEqual([0, 10, 20, 30, 45, 60]);
    const alice = lab.servers.get('intellinet')!.mailboxes;
    const raw = alice.read('alice', alice.list('alice')[0].id)!;
    expect(dsnFields(raw).status).toBe('5.7.1');
    expect(raw.toString()).toContain('delivery time expired');
  });

  it('delivers to an external organisation\'s existing server through the same tapped path', async () => {
    const partner = await bareSmtpServer();
    bare.push(partner);
    const lab = await start(twoOrgs((l) => { l.orgs[1].external = { smtp: `127.0.0.1:${partner.port}` }; }));
    send(lab, 'm1');
    expect(await lab.settle('m1', false)).toBe('delivered');
    expect(partner.received[0]).toMatchObject({ from: 'alice@intellinet.example', to: ['sean@ntsol.example'] });
    // Only the final delivery writes Return-Path (RFC 5321 §4.4): a message handed on carries none.
    expect(partner.received[0].data.toString('latin1')).not.toMatch(/^Return-Path:/im);
    expect(lab.leaks('m1').length).toBeGreaterThanOrEqual(3);
  });

  it('tries every MX in preference order and defers when none answers (RFC 5321 §5.1)', async () => {
    const dead = await closedPort();
    const lab = await start(twoOrgs((l) => {
      l.orgs[1].hosts = [{ name: 'mail.ntsol.example', address: '198.51.100.25' }, { name: 'backup.ntsol.example', address: '198.51.100.27' }];
      l.orgs[1].external = { smtp: `127.0.0.1:${dead}` };
    }));
    send(lab, 'm1');
    const outcome = await lab.settle('m1', true);
    const attempts = lab.entriesOf('m1')[0].attempts;
    expect(outcome).toBe('deferred');
    expect(attempts.map((a) => [a.host, a.result])).toEqual([['mail.ntsol.example', 'next-mx'], ['backup.ntsol.example', 'next-mx']]);
    // The sender met the relay, not the host; the relay saw the host refuse, and the sender says
    // so in an MTA's words (status 4.4.1, RFC 3463 §3.5: no answer from host), not "lost connection".
    expect(attempts.map((a) => [a.reason, a.status])).toEqual([
      ['connect to mail.ntsol.example[198.51.100.25]:25: Connection refused', '4.4.1'],
      ['connect to backup.ntsol.example[198.51.100.27]:25: Connection refused', '4.4.1'],
    ]);
    expect(attempts[0].transcript.at(-1)?.text).toBe('next-mx: connect to mail.ntsol.example[198.51.100.25]:25: Connection refused');
    // On the wire: each attempt is a SYN the host answered with RST, never a handshake.
    const conns = attempts.map((a) => lab.taps.ofConn(a.conn!).connections[0]);
    expect(conns.map((c) => [c.closedBy, c.closeReason])).toEqual(attempts.map((a) => ['refused', a.reason]));
  });

  it('picks the queue up again after a restart on the same workspace', async () => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-restart-'));
    onTestFinished(() => fs.rmSync(workspace, { recursive: true, force: true }));
    const dead = await closedPort();
    const first = await start(twoOrgs((l) => { l.orgs[1].external = { smtp: `127.0.0.1:${dead}` }; }), workspace);
    send(first, 'm1');
    expect(await first.settle('m1', true)).toBe('deferred');
    await first.stop();
    labs.splice(labs.indexOf(first), 1);

    const partner = await bareSmtpServer();
    bare.push(partner);
    const second = await start(twoOrgs((l) => { l.orgs[1].external = { smtp: `127.0.0.1:${partner.port}` }; }), workspace);
    const entry = [...second.servers.get('intellinet')!.entries.values()][0];
    expect(entry).toMatchObject({ ref: 'm1' });
    second.advanceTo(entry.nextAttemptAt!);
    await second.idle();
    expect(entry.state).toBe('delivered');
    expect(partner.received).toHaveLength(1);
  });

  it('opens 200 sessions in a row through a tapped path without a fixed wait', async () => {
    const lab = await start(twoOrgs());
    for (let i = 0; i < 200; i++) send(lab, `m${i}`);
    await lab.idle();
    expect(lab.servers.get('ntsol')!.mailboxes.list('sean')).toHaveLength(200);
    expect(new Set([...lab.taps.connections.values()].map((c) => c.conn)).size).toBe(200);
  });
});
