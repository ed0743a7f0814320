/** The packet view through the contract (docs/packet-view.md): pages, filters, detail with links, follow stream. */
import { afterEach, describe, expect, it } from 'vitest';
import { drive, type Driven } from './helpers.ts';

const open: Driven[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.session.close()));
});

async function ran(id: string): Promise<Driven> {
  const d = drive();
  open.push(d);
  await d.call('openScenario', { id });
  await d.call('startLab', {});
  await d.call('runAllSteps', {});
  return d;
}

describe('the packet view through the contract', () => {
  it('shows a reply injected after the 220 to STARTTLS as clear text, flagged, and reads the TLS after it (starttls-injection)', async () => {
    const d = await ran('starttls-injection');
    // The partner's firewall stands between its server and the wire: the injected reply is on the wire.
    const rows = (await d.call('pagePackets', { point: 'intellinet-partner/wire', limit: 20 })).rows;
    const at = rows.findIndex((r) => r.info.startsWith('S: 220 2.0.0 Ready to start TLS'));
    expect(rows[at]).toMatchObject({ protocol: 'SMTP', info: 'S: 220 2.0.0 Ready to start TLS | S: 250 2.0.0 injected by the middlebox [clear text after STARTTLS]' });
    expect(rows.slice(at + 1).map((r) => r.info)).toEqual(expect.arrayContaining([expect.stringMatching(/^Server Hello/)]));
    expect(rows.some((r) => /Ignored Unknown Record/.test(r.info))).toBe(false);
    // Behind the firewall, the server sent no such line.
    const received = (await d.call('pagePackets', { point: 'intellinet-partner/received', limit: 20 })).rows;
    expect(received.find((r) => r.info.startsWith('S: 220 2.0.0 Ready to start TLS'))!.info).toBe('S: 220 2.0.0 Ready to start TLS');
  });

  it('pages one capture point with a display filter, and flags the packets that carry canaries', async () => {
    const d = await ran('postcard');
    const { points } = await d.call('listCapturePoints', {});
    expect(points.filter((p) => p.kind === 'path')).toEqual([{ id: 'intellinet-ntsol', label: 'intellinet ↔ ntsol, direct', packets: expect.any(Number), dropped: 0, droppedBytes: 0, kind: 'path' }]);
    // Every listener has its point for sessions from outside the lab (docs/packet-view.md).
    expect(points.filter((p) => p.kind === 'outside').map((p) => p.label)).toEqual(expect.arrayContaining(['mail.ntsol.example :25 — from outside']));
    const all = await d.call('pagePackets', { point: 'intellinet-ntsol', limit: 5 });
    expect(all.rows).toHaveLength(5);
    expect(all.total).toBeGreaterThan(10);
    expect(all.rows[0]).toMatchObject({ no: 1, source: '192.0.2.10', destination: '198.51.100.25', protocol: 'TCP' });
    const mail = await d.call('pagePackets', { filter: 'smtp.req.command == "MAIL"' });
    expect(mail.matched).toBe(1);
    expect(mail.rows[0].info).toContain('MAIL FROM:<alice@intellinet.example>');
    const leaks = await d.call('pagePackets', { leaksOnly: true });
    expect(leaks.matched).toBeGreaterThan(0);
    expect(leaks.rows.every((r) => r.leak)).toBe(true);
  });

  it('answers a bad filter with the position of the mistake, not an exception', async () => {
    const d = await ran('postcard');
    const page = await d.call('pagePackets', { filter: 'smtp.req.command == ' });
    expect(page.rows).toEqual([]);
    expect(page.error).toMatchObject({ message: expect.any(String), position: 20 });
    expect((await d.fail('pagePackets', { limit: 100000 })).code).toBe('invalid-payload');
  });

  it('answers an unknown capture point as not-found, as packetDetail does, not as an empty page', async () => {
    const d = await ran('postcard');
    expect(await d.fail('pagePackets', { point: 'nope' })).toEqual({ code: 'not-found', message: expect.stringMatching(/^no capture point nope in this lab \(points: intellinet-ntsol, outside\/mail\.intellinet\.example:25, /) });
    expect((await d.fail('packetDetail', { point: 'nope', no: 1 })).code).toBe('not-found');
    expect((await d.call('pagePackets', { point: 'intellinet-ntsol' })).rows.length).toBeGreaterThan(0);
  });

  it('gives a packet\'s detail tree and hex rows, with its link to the queue entry and attempt', async () => {
    const d = await ran('postcard');
    const [row] = (await d.call('pagePackets', { filter: 'smtp.req.command == "RCPT"' })).rows;
    const detail = await d.call('packetDetail', { point: row.point, no: row.no });
    expect(detail.tree.map((n) => n.label.split(',')[0])).toEqual(expect.arrayContaining([expect.stringMatching(/^Frame/), expect.stringMatching(/^Internet Protocol/), expect.stringMatching(/^Transmission Control Protocol/)]));
    expect(detail.hex[0]).toMatchObject({ offset: 0, hex: expect.stringMatching(/^[0-9a-f]{2} /) });
    expect(detail.link).toMatchObject({ org: 'intellinet', attempt: 0, ref: 'm1', text: 'RCPT TO:<sean@ntsol.example> NOTIFY=FAILURE,DELAY' });
    const { attempts } = await d.call('getTranscripts', { org: 'intellinet', id: detail.link!.entry });
    expect(attempts[0].sender.split('\n')[detail.link!.line!]).toBe('-> RCPT TO:<sean@ntsol.example> NOTIFY=FAILURE,DELAY');
    expect((await d.fail('packetDetail', { point: row.point, no: 999999 })).code).toBe('not-found');
    expect((await d.fail('packetDetail', { no: row.no })).code).toBe('invalid-payload');
  });

  it('locates a packet among a page\'s matches: with and without a filter, through decryption, or says it does not match', async () => {
    const d = await ran('ntlm-one-way');
    const { point } = (await d.call('pagePackets', { filter: 'ntlmssp' })).rows[0];
    const all = (await d.call('pagePackets', { point, limit: 1000 })).rows.map((r) => r.no);
    const last = all.at(-1)!;
    expect(await d.call('pagePackets', { point, limit: 1, locate: last })).toMatchObject({ located: { no: last, index: all.length - 1 } });
    // Only a page that asks says anything about it.
    expect((await d.call('pagePackets', { point, limit: 1 })).located).toBeUndefined();
    const commands = { point, filter: 'smtp.req.command', limit: 1000 };
    const clear = (await d.call('pagePackets', commands)).rows.map((r) => r.no);
    const opened = (await d.call('pagePackets', { ...commands, decrypt: true })).rows.map((r) => r.no);
    // The sealed MAIL, RCPT, DATA… are commands only to a reader with the lab's keys.
    const sealed = opened.filter((no) => !clear.includes(no));
    expect(sealed.length).toBeGreaterThan(0);
    for (const no of sealed) {
      expect((await d.call('pagePackets', { ...commands, limit: 1, locate: no })).located).toEqual({ no, index: null });
      const { located } = await d.call('pagePackets', { ...commands, limit: 1, decrypt: true, locate: no });
      expect(located).toEqual({ no, index: opened.indexOf(no) });
      // The index is the `from` of a page that starts at the packet.
      expect((await d.call('pagePackets', { ...commands, decrypt: true, from: located!.index!, limit: 1 })).rows[0].no).toBe(no);
    }
    expect((await d.call('pagePackets', { ...commands, limit: 1, locate: clear[0] })).located).toEqual({ no: clear[0], index: 0 });
  });

  it('refuses a locate it cannot answer, naming the field', async () => {
    const d = await ran('postcard');
    const noPoint = await d.fail('pagePackets', { filter: 'smtp', locate: 3 });
    expect(noPoint).toEqual({ code: 'invalid-payload', message: 'pagePackets: payload.locate: needs a point: frame numbers are per capture point' });
    expect((await d.fail('pagePackets', { point: 'intellinet-ntsol', locate: 0 })).message).toBe('pagePackets: payload.locate: must be a frame number (1 or more)');
    expect((await d.fail('pagePackets', { point: 'intellinet-ntsol', locate: 2.5 })).message).toBe('pagePackets: payload.locate: must be a whole frame number');
    expect((await d.fail('pagePackets', { point: 'intellinet-ntsol', locate: '2' })).message).toMatch(/^pagePackets: payload\.locate: /);
  });

  it('follows a sealed NTLM stream: ciphertext for the eavesdropper, SMTP with the lab keys', async () => {
    const d = await ran('ntlm-one-way');
    const [row] = (await d.call('pagePackets', { filter: 'ntlmssp' })).rows;
    const sealed = await d.call('followStream', { conn: row.conn });
    const clear = sealed.parts.map((p) => p.text).join('');
    expect(clear).toContain('AUTH NTLM');
    expect(clear).not.toContain('MAIL FROM:<alice@intellinet.example>');
    const opened = await d.call('followStream', { conn: row.conn, decrypt: true });
    expect(opened.decrypted).toBe(true);
    expect(opened.parts.map((p) => p.text).join('')).toContain('MAIL FROM:<alice@intellinet.example>');
  });
});
