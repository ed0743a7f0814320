/**
 * Capture points of a running lab (docs/packet-view.md, "Capture points"): a firewall path's three
 * captures named from the topology (sent / on the wire / received, the Internet on the side of the
 * box away from its owner), frame numbers per point, and a point for every listener, where a
 * session typed from outside the lab shows — STARTTLS included, decrypted with the server's keys.
 */
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import type { LabConfig } from '../../app/config/lab.ts';
import { loadScenarioFile } from '../../app/scenario/load.ts';
import type { HostEndpoint } from '../../app/lab/endpoints.ts';
import { packetDetail } from '../../app/api/packets.ts';
import { TCP_ACK, TCP_SYN } from '../../app/capture/packets.ts';
import { ROOT } from '../helpers/cli.ts';
import { nextReply as reply } from '../helpers/net.ts';

const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

function scenario(name: string): LabConfig {
  const loaded = loadScenarioFile(path.join(ROOT, 'scenarios', name));
  if (!loaded.ok) throw new Error(`${name} is invalid`);
  return loaded.scenario.lab;
}

async function start(config: LabConfig): Promise<Lab> {
  const lab = await createLab(config);
  labs.push(lab);
  return lab;
}

/** The client bytes of every connection at a point, reassembled. */
function c2s(lab: Lab, point: string): string {
  return Buffer.concat([...lab.taps.records].filter((r) => r.point === point && r.dir === 'c2s').map((r) => r.bytes)).toString('latin1');
}

describe('a firewall path\'s three captures', () => {
  it('sessions that overlap: every point\'s packets run forward in time, each SYN/ACK where the receiver accepted', async () => {
    const lab = await start(scenario('pix-mailguard.yaml'));
    const ids = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'];
    for (const id of ids) lab.send({ id, from: 'bob@intellinet.example', to: 'sean@ntsol.example', subject: id, body: 'y' });
    for (const id of ids) expect(await lab.settle(id, false)).toBe('delivered');
    for (const point of ['intellinet-ntsol/sent', 'intellinet-ntsol/wire', 'intellinet-ntsol/received']) {
      const packets = [...lab.capture.packets(point)];
      const times = packets.map((p) => p.t);
      expect(times, point).toEqual([...times].sort((a, b) => a - b));
      for (const conn of new Set(packets.map((p) => p.conn))) {
        const own = packets.filter((p) => p.conn === conn);
        // SYN, SYN/ACK, ACK first; the SYN/ACK before the banner, not drawn with it.
        expect(own.slice(0, 3).map((p) => p.flags), `${point} ${conn}`).toEqual([TCP_SYN, TCP_SYN | TCP_ACK, TCP_ACK]);
        expect(own[1].t, `${point} ${conn}`).toBeLessThan(own[3].t);
      }
    }
  });

  it('pix-mailguard: the PIX is NT Solutions\', so the Internet is before it; numbers run 1..n per point', async () => {
    const lab = await start(scenario('pix-mailguard.yaml'));
    expect(lab.capture.points().filter((p) => p.id.startsWith('intellinet-ntsol')).map((p) => [p.id, p.label])).toEqual([
      ['intellinet-ntsol/sent', 'sent (mail.intellinet.example)'],
      ['intellinet-ntsol/wire', 'on the wire (the Internet)'],
      ['intellinet-ntsol/received', 'received (mail.ntsol.example)'],
    ]);
    lab.send({ id: 'm1', from: 'bob@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
    expect(await lab.settle('m1', false)).toBe('delivered');
    expect(c2s(lab, 'intellinet-ntsol/wire')).toContain('EHLO mail.intellinet.example');
    expect(c2s(lab, 'intellinet-ntsol/received')).toContain(`NOOP${' '.repeat(24)}\r\n`);
    for (const point of ['intellinet-ntsol/sent', 'intellinet-ntsol/wire', 'intellinet-ntsol/received']) {
      const page = lab.capture.page({ point, limit: 1000 });
      expect(page.total).toBeGreaterThan(10);
      expect(page.rows.map((r) => r.no), point).toEqual(page.rows.map((_r, i) => i + 1));
    }
    // The same packet has its own number at each point; a detail asks for point and number.
    const ehlo = lab.capture.page({ point: 'intellinet-ntsol/wire', filter: 'smtp.req.command == "EHLO"' }).rows[0];
    expect(lab.capture.detail('intellinet-ntsol/wire', ehlo.no)).toMatchObject({ point: 'intellinet-ntsol/wire', no: ehlo.no, info: ehlo.info });
  });

  it('a firewall the sender owns puts the Internet after it', async () => {
    const config = scenario('pix-mailguard.yaml');
    config.paths = [{ ...config.paths[0], owner: 'intellinet' }];
    const lab = await start(config);
    lab.send({ id: 'm1', from: 'bob@intellinet.example', to: 'sean@ntsol.example', subject: 'x', body: 'y' });
    expect(await lab.settle('m1', false)).toBe('delivered');
    expect(c2s(lab, 'intellinet-ntsol/sent')).toContain('EHLO mail.intellinet.example');
    expect(c2s(lab, 'intellinet-ntsol/wire')).toContain(`NOOP${' '.repeat(24)}\r\n`);
    expect(c2s(lab, 'intellinet-ntsol/wire')).toBe(c2s(lab, 'intellinet-ntsol/received'));
  });

  it('mail the other way gets its own three points once it crosses, named for that direction', async () => {
    const lab = await start(scenario('pix-mailguard.yaml'));
    expect(lab.capture.points().some((p) => p.id.includes('/reverse/'))).toBe(false);
    lab.send({ id: 'r1', from: 'sean@ntsol.example', to: 'bob@intellinet.example', subject: 'x', body: 'y' });
    expect(await lab.settle('r1', false)).toBe('delivered');
    const reverse = lab.capture.points().filter((p) => p.id.includes('/reverse/'));
    expect(reverse.map((p) => p.label)).toEqual(['sent (mail.ntsol.example)', 'on the wire (the Internet)', 'received (mail.intellinet.example)']);
    // NT Solutions sends through its own PIX: the Internet is after it.
    expect(c2s(lab, 'intellinet-ntsol/reverse/sent')).toContain('EHLO mail.ntsol.example');
    expect(c2s(lab, 'intellinet-ntsol/reverse/wire')).toContain(`NOOP${' '.repeat('EHLO mail.ntsol.example'.length - 4)}\r\n`);
    expect(c2s(lab, 'intellinet-ntsol/sent')).toBe('');
  });
});


describe('every listener is tapped', () => {
  it('a session typed from outside shows under the listener\'s own point, STARTTLS as TLS records opened with the server\'s keys', async () => {
    const lab = await start(scenario('starttls-partner.yaml'));
    const host = lab.endpoints().find((e): e is HostEndpoint => e.type === 'host' && e.name === 'mail.ntsol.example')!;
    const point = 'outside/mail.ntsol.example:25';
    expect(lab.capture.points().find((p) => p.id === point)).toMatchObject({ label: 'mail.ntsol.example :25 — from outside', packets: 0 });
    const [, port] = host.smtp!.split(':');
    const raw = net.connect(Number(port), '127.0.0.1');
    expect(await reply(raw)).toMatch(/^220 /);
    raw.write('EHLO outside.example\r\n');
    expect(await reply(raw)).toMatch(/STARTTLS/);
    raw.write('STARTTLS\r\n');
    expect(await reply(raw)).toMatch(/^220 /);
    const secure = tls.connect({ socket: raw, servername: 'mail.ntsol.example', rejectUnauthorized: false });
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    secure.write('EHLO outside.example\r\n');
    expect(await reply(secure)).toMatch(/^250 /m);
    secure.write('QUIT\r\n');
    await reply(secure);
    await new Promise((resolve) => secure.once('close', resolve));
    await new Promise((resolve) => setImmediate(resolve));

    const rows = lab.capture.page({ point, limit: 1000 }).rows;
    expect(rows.map((r) => r.no)).toEqual(rows.map((_r, i) => i + 1));
    expect(rows[0]).toMatchObject({ source: '203.0.113.1', destination: '198.51.100.25' });
    expect(rows.map((r) => r.info)).toEqual(expect.arrayContaining(['C: EHLO outside.example', 'C: STARTTLS']));
    // After STARTTLS: TLS records; the second EHLO is ciphertext to an eavesdropper.
    expect(lab.capture.page({ point, filter: 'tls' }).matched).toBeGreaterThan(0);
    expect(lab.capture.page({ point, filter: 'smtp.req.command == "EHLO"' }).matched).toBe(1);
    // The test logged no keys: the receiving server's own key log opens the session.
    expect(lab.capture.page({ point, filter: 'smtp.req.command == "EHLO"', decrypt: true }).matched).toBe(2);
    expect(lab.capture.page({ point, filter: 'smtp.req.command == "EHLO"' }).matched).toBe(1);

    // No queue entry sent it: the packet's detail carries the receiving server's transcript, each
    // EHLO linked to its own packet by its place (docs/packet-view.md, "Links").
    const ehlos = lab.capture.page({ point, filter: 'smtp.req.command == "EHLO"', decrypt: true }).rows;
    const [clear, sealed] = ehlos.map((r) => packetDetail(lab, { point, no: r.no, decrypt: false }));
    expect(clear.link).toBeUndefined();
    expect(clear.session).toMatchObject({ point, client: expect.stringContaining('[203.0.113.1]'), server: expect.stringContaining('mail.ntsol.example [198.51.100.25]:25'), text: 'EHLO outside.example' });
    const lines = clear.session!.transcript.split('\n');
    expect(lines[clear.session!.line!]).toBe('<- EHLO outside.example');
    expect(sealed.session!.text).toBe('EHLO outside.example');
    expect(sealed.session!.line).toBeGreaterThan(lines.indexOf('<- STARTTLS'));
    expect(clear.session!.line).toBeLessThan(lines.indexOf('<- STARTTLS'));
    // And back: each line names the packet that carried it, at this point.
    expect(clear.session!.packets[clear.session!.line!]).toMatchObject({ no: ehlos[0].no });
    expect(clear.session!.packets[sealed.session!.line!]).toMatchObject({ no: ehlos[1].no });
    expect(clear.session!.packets[sealed.session!.line!]!.index).toBe(lab.capture.indexOf(point, ehlos[1].no));
  });

  it('the submission port and a second interface each have their point', async () => {
    const lab = await start(scenario('alternate-path.yaml'));
    const ids = lab.capture.points().map((p) => p.id);
    expect(ids).toEqual(expect.arrayContaining(['outside/mail.intellinet.example:25', 'outside/mail.intellinet.example:587', 'outside/mail.ntsol.example:25', 'outside/secure.ntsol.example:25']));
    const host = lab.endpoints().find((e): e is HostEndpoint => e.type === 'host' && e.name === 'mail.intellinet.example')!;
    const raw = net.connect(Number(host.submission!.split(':')[1]), '127.0.0.1');
    expect(await reply(raw)).toMatch(/^220 /);
    // The server greets the simulated outside address, as the packet view shows it, not 127.0.0.1.
    raw.write('EHLO outside.example\r\n');
    expect(await reply(raw)).toContain('[203.0.113.1]');
    raw.end('QUIT\r\n');
    await new Promise((resolve) => raw.once('close', resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const rows = lab.capture.page({ point: 'outside/mail.intellinet.example:587' }).rows;
    expect(rows.some((r) => r.info === 'C: QUIT')).toBe(true);
    expect(rows[0].destination).toBe('192.0.2.10');
  });
});
