// The topology's link states, the replay timeline and the firewall's view, on real labs driven
// through the contract as the UI drives them. Counters and syslog lines are checked against the
// bytes the stages changed (the tap's marks), not against the code's own numbers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { parse, stringify } from 'yaml';
import { drive, SCENARIOS, type Driven } from '../api/helpers.ts';
import { TRACKING_COLUMNS } from '../../app/mta/logs/exchange-2019.ts';
import { linkWords } from '../../renderer/lib/link-words.ts';

let d: Driven | undefined;
afterEach(async () => {
  await d?.session.close();
  d = undefined;
});

async function ran(id: string): Promise<Driven> {
  d = drive();
  await d.call('openScenario', { id });
  await d.call('startLab', {});
  const run = await d.call('runAllSteps', {});
  expect(run.results.every((r) => r.status === 'passed'), JSON.stringify(run.results)).toBe(true);
  await d.session.lab.idle();
  await allClosed(d);
  return d;
}

/** Wait until the taps saw every connection close (the tear-down lands after the step ends). */
async function allClosed(x: Driven): Promise<void> {
  const open = () => [...x.session.lab.taps.connections.values()].some((c) => c.closedAt === undefined);
  while (open()) await x.next((e) => e.event === 'lab.event' && e.payload.type === 'capture.changed');
}

function link(links: { point: string }[], point: string) {
  const found = links.find((l) => l.point === point);
  if (!found) throw new Error(`no link ${point} in ${links.map((l) => l.point).join(', ')}`);
  return found as Awaited<ReturnType<Driven['call']>> & { last?: Record<string, unknown> } as never as import('../../app/observe/links.ts').LinkState;
}

describe('link states', () => {
  it('postcard: the direct link is clear and leaked canaries', async () => {
    const x = await ran('postcard');
    const { links } = await x.call('getLinks', {});
    const l = link(links, 'intellinet-ntsol');
    expect(l.last).toMatchObject({ protection: 'clear', leak: true, end: 'closed', message: 'm1' });
  });

  it('ntlm-one-way: after the change the link is NTLM-sealed with 40-bit keys; the reply went back in clear', async () => {
    const x = await ran('ntlm-one-way');
    const { links } = await x.call('getLinks', {});
    const l = link(links, 'intellinet-ntsol');
    // The last session is Sean's reply (clear); the sealed one is m1's.
    expect(l.last).toMatchObject({ protection: 'clear', message: 'r1', leak: true });
    const { events } = await x.call('getTimeline', {});
    const sealed = events.find((e) => e.kind === 'ntlm');
    expect(sealed).toMatchObject({ message: 'm1', point: 'intellinet-ntsol' });
    expect(sealed!.text).toContain('40-bit');
  });

  it('asa-breaks-ntlm: the session broke off after the seal layer, and the message waits in the queue', async () => {
    const x = await ran('asa-breaks-ntlm');
    const { links } = await x.call('getLinks', {});
    for (const point of ['intellinet-ntsol/sent', 'intellinet-ntsol/wire']) {
      expect(link(links, point).last).toMatchObject({ protection: 'sealed', end: 'broken', message: 'm1', ntlm: { keyBits: 128 } });
    }
    expect(link(links, 'intellinet-ntsol/wire').last!.rewritten).toContain('esmtp-inspect');
    const snap = await x.call('getSnapshot', {});
    expect(snap.orgs[0].queue.map((e) => e.state)).toEqual(['deferred']);
  });

  it('tls10-meets-tls12: the failed handshake shows as STARTTLS failed, not as a reset', async () => {
    d = drive();
    await d.call('openScenario', { id: 'tls10-meets-tls12' });
    await d.call('startLab', {});
    // The send and its expect: the message waits after the handshake failed.
    for (let i = 0; i < 2; i++) expect((await d.call('runNextStep', {})).results.at(-1)?.status).toBe('passed');
    await d.session.lab.idle();
    await allClosed(d);
    const { links } = await d.call('getLinks', {});
    const last = link(links, 'intellinet-ntsol').last!;
    expect(last).toMatchObject({ protection: 'clear', tlsFailed: true, end: 'broken', leak: false, message: 'm1' });
    expect(linkWords(link(links, 'intellinet-ntsol'), 'intellinet → ntsol')).toMatchObject({ tone: 'bad', headline: 'STARTTLS failed · m1', detail: 'broke off · no canary seen' });
  });

  it('alternate-path: two routes; m1 on the direct one (sealed), m2 through the firewall (rewritten)', async () => {
    const x = await ran('alternate-path');
    const { links } = await x.call('getLinks', {});
    expect(link(links, 'intellinet-ntsol@secure.ntsol.example').last).toMatchObject({ protection: 'sealed', message: 'm1', leak: false, rewritten: [] });
    expect(link(links, 'intellinet-ntsol/wire').last).toMatchObject({ protection: 'clear', message: 'm2', leak: true });
    // The PIX is NT Solutions': the Internet (wire) carries the banner it masked, the receiver the commands it rewrote.
    expect(link(links, 'intellinet-ntsol/wire').last!.rewritten).toEqual(['mask-banner']);
    expect(link(links, 'intellinet-ntsol/received').last!.rewritten).toContain('command-filter');
  });
});

describe('firewall view', () => {
  it('pix-mailguard: counters and syslog lines come from the bytes the stages changed', async () => {
    const x = await ran('pix-mailguard');
    const fw = await x.call('getFirewall', { path: 'intellinet-ntsol' });
    const lab = x.session.lab;
    // The wire point repeats the sender's side of this PIX (NT Solutions' own): its marks are the same ones.
    const marked = [...lab.taps.records].filter((r) => r.marks?.length && r.point !== 'intellinet-ntsol/wire');
    const marks = marked.flatMap((r) => r.marks!.map((m) => ({ r, m })));
    expect(marks.length).toBeGreaterThan(0);
    expect(fw.counters.masked).toBe(marks.filter(({ m }) => m.action === 'changed').length);
    expect(fw.counters.dropped).toBe(marks.filter(({ m }) => m.action === 'dropped').length);
    expect(fw.counters.connections).toBe([...lab.taps.connections.values()].filter((c) => c.point === 'intellinet-ntsol/sent').length);
    // Every EHLO the client sent was overwritten in place: the server received NOOP and spaces.
    const ehlo = marks.filter(({ m }) => m.original?.toString('latin1').startsWith('EHLO'));
    expect(ehlo.length).toBe(fw.counters.connections);
    for (const { r } of ehlo) expect(r.bytes.toString('latin1')).toMatch(/^NOOP {24}\r\n/);
    const lines108002 = fw.syslog.filter((l) => l.text.includes('%PIX-4-108002'));
    expect(lines108002).toHaveLength(marks.length);
    const ehloLines = lines108002.filter((l) => l.text.endsWith('data: EHLO mail.intellinet.example'));
    expect(ehloLines).toHaveLength(ehlo.length);
    // Each line links to the packet that carries the changed bytes.
    for (const line of ehloLines) {
      const detail = await x.call('packetDetail', { point: line.point, no: line.packet! });
      expect(detail.marks.some((m) => m.stage === 'command-filter')).toBe(true);
      expect(detail.info).toContain('NOOP');
    }
    expect(fw.syslog.filter((l) => l.text.includes('%PIX-6-302013: Built inbound TCP connection'))).toHaveLength(fw.counters.connections);
    expect(fw.config).toContain('fixup protocol smtp 25');
    // Commands seen: the lines the senders' transcripts say they sent, outside DATA content.
    const sent = [...lab.servers.get('intellinet')!.entries.values()].flatMap((e) => e.attempts)
      .flatMap((a) => a.transcript.filter((t) => t.dir === 'out' && /^(HELO|EHLO|MAIL|RCPT|DATA|RSET|NOOP|QUIT|AUTH|STARTTLS)\b/i.test(t.text)));
    expect(fw.counters.commands).toBe(sent.length);
  });

  it('asa-breaks-ntlm: inspect esmtp in the vendor words, and the sealed bytes it masked', async () => {
    const x = await ran('asa-breaks-ntlm');
    const fw = await x.call('getFirewall', { path: 'intellinet-ntsol' });
    expect(fw.config).toContain('policy-map type inspect esmtp _default_esmtp_map');
    expect(fw.config).toContain('  no allow-tls');
    const masked = fw.syslog.filter((l) => l.text.includes('%ASA-4-108004: esmtp-inspect: Mask ESMTP Request'));
    expect(masked.length).toBeGreaterThan(0);
    expect(fw.counters.perStage.find((s) => s.stage === 'mask-banner')!.changed).toBe(1);
  });
});

describe('timeline', () => {
  it('steps through a session: connect, banner, commands, the firewall rewrite, delivery', async () => {
    const x = await ran('pix-mailguard');
    const { events, total } = await x.call('getTimeline', {});
    expect(total).toBe(events.length);
    const first = events.filter((e) => e.conn === events[0].conn);
    const kinds = first.map((e) => e.kind);
    expect(kinds[0]).toBe('connect');
    expect(kinds).toContain('rewrite');
    expect(kinds.at(-1)).toBe('delivered');
    const rewrite = first.find((e) => e.kind === 'rewrite' && e.text.includes('EHLO'))!;
    expect(rewrite.text).toContain('command-filter changed bytes');
    expect(rewrite.point).toBe('intellinet-ntsol/received');
    const ehlo = first.find((e) => e.kind === 'command' && e.text.startsWith('EHLO'))!;
    expect(ehlo.index).toBeLessThan(rewrite.index);
    expect(first.find((e) => e.kind === 'content')!.text).toMatch(/message content, \d+ bytes/);
    expect(events.map((e) => e.index)).toEqual(events.map((_, i) => i));
  });
});

describe('timeline of a connection that is not SMTP', () => {
  it('mta-sts-enforce: the HTTPS fetch of the policy is one TLS event, never its ciphertext read as commands', async () => {
    const x = await ran('mta-sts-enforce');
    const { events } = await x.call('getTimeline', {});
    const fetch = events.find((e) => e.kind === 'connect' && /:443$/.test(e.text));
    expect(fetch, 'the policy fetch is in the timeline').toBeDefined();
    const its = events.filter((e) => e.conn === fetch!.conn);
    expect(its.filter((e) => e.kind === 'command' || e.kind === 'reply')).toEqual([]);
    const tls = its.find((e) => e.kind === 'tls')!;
    expect(tls.text).toMatch(/^TLS from the first byte, no STARTTLS \(HTTPS\)/);
    expect(tls.dir).toBe('c2s');
    // The SMTP sessions of the same lab still read as SMTP, STARTTLS and all.
    const smtp = events.filter((e) => e.kind === 'command').map((e) => e.text);
    expect(smtp).toContain('STARTTLS');
  });
});

describe('server logs through the contract', () => {
  it('telnet-starttls: Postfix maillog lines on both sides, with the TLS line and the queue ids', async () => {
    const x = await ran('telnet-starttls');
    const sender = await x.call('getServerLog', { org: 'intellinet' });
    expect(sender.profile).toBe('postfix');
    const lines = sender.logs[0].lines.map((l) => l.text);
    const entries = x.session.snapshot().orgs.find((o) => o.id === 'intellinet')!.queue;
    for (const e of entries) {
      expect(lines.some((l) => l.includes(`postfix/smtp[`) && l.includes(`${e.id}: to=<pat@partner.example>, relay=mail.partner.example[203.0.113.25]:25`) && l.includes('status=sent (250 '))).toBe(true);
    }
    // qmgr's size= is the message's, after delivery too (the queue no longer holds its bytes).
    for (const e of entries) {
      const size = Number(/ size=(\d+), nrcpt=1 \(queue active\)$/.exec(lines.find((l) => l.includes(`postfix/qmgr[`) && l.includes(`${e.id}: from=<`))!)![1]);
      expect(e.state).toBe('delivered');
      expect(size).toBeGreaterThan(200);
    }
    expect(lines.filter((l) => / postfix\/smtp\[\d+\]: Untrusted TLS connection established to mail\.partner\.example\[203\.0\.113\.25\]:25: TLSv1\.3/.test(l))).toHaveLength(entries.length);
    const receiver = await x.call('getServerLog', { org: 'partner' });
    const inbound = receiver.logs[0].lines.map((l) => l.text);
    expect(inbound.filter((l) => l.includes('postfix/smtpd[') && l.endsWith('connect from mail.intellinet.example[192.0.2.10]'))).toHaveLength(entries.length);
    expect(inbound.some((l) => / disconnect from mail\.intellinet\.example\[192\.0\.2\.10\] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7$/.test(l))).toBe(true);
    expect((await x.fail('getServerLog', { org: 'nobody' })).message).toContain('no organisation "nobody"');
  });

  it('postcard with Exchange 2019 sending: the tracking log names a delivered message by its size, subject and Message-ID', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-log-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const s = parse(fs.readFileSync(path.join(SCENARIOS, 'postcard.yaml'), 'utf8'));
    s.id = 'postcard-2019';
    s.lab.orgs[0].profile = 'exchange-2019';
    fs.writeFileSync(path.join(dir, 'postcard-2019.yaml'), stringify(s));
    d = drive(dir);
    await d.call('openScenario', { id: 'postcard-2019' });
    await d.call('startLab', {});
    expect((await d.call('runAllSteps', {})).results.every((r) => r.status === 'passed')).toBe(true);
    const [entry] = d.session.snapshot().orgs.find((o) => o.id === 'intellinet')!.queue;
    expect(entry.state).toBe('delivered');
    const { logs } = await d.call('getServerLog', { org: 'intellinet' });
    const tracking = logs.find((l) => l.title === 'Message tracking log')!;
    const rows = tracking.lines.filter((l) => l.fields).map((l) => Object.fromEntries(l.fields!.map((v, i) => [TRACKING_COLUMNS[i], v])));
    const send = rows.find((r) => r['event-id'] === 'SEND')!;
    expect(Number(send['total-bytes'])).toBeGreaterThan(200);
    expect(send['message-subject']).toMatch(/^A test \[PCL-S-/);
    expect(send['message-id']).toMatch(/^<.+@.+>$/);
  });
});
