/**
 * The paths on a thread of their own (app/path/relay-thread.ts, docs/decisions.md): what a user of
 * the lab sees must not change — every byte a socket saw is in the capture when anyone looks, each
 * receiving session is credited to its sender from its first line, a firewall changed at run time
 * applies to the next connection, and a stopped lab's relays are gone.
 */
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { parseProfileSpec } from '../../app/path/profiles.ts';
import type { Timers } from '../../app/base/timers.ts';
import { realTimers } from '../../app/base/timers.ts';
import { twoOrgs, type LabInput } from '../helpers/lab.ts';
import { SLAB_BYTES } from '../../app/path/record-ring.ts';

const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

async function start(patch?: Parameters<typeof twoOrgs>[0], timers?: Timers): Promise<Lab> {
  const lab = await createLab(twoOrgs(patch), timers ? { timers } : {});
  labs.push(lab);
  return lab;
}

const withFirewall = (profile: string) => (l: LabInput) => {
  l.paths = [{ between: ['intellinet', 'ntsol'], via: 'firewall', firewall: { profile } }];
};

/** The relay from Intellinet towards NT Solutions' mail host. */
function pathPort(lab: Lab): number {
  const relay = lab.relays.find((r) => r.fromOrg === 'intellinet' && r.toOrg === 'ntsol');
  if (!relay) throw new Error('no path relay');
  return relay.port;
}

/** Connect to `port`, and resolve with the first chunk read and the socket. */
async function greeted(port: number): Promise<{ socket: net.Socket; first: Buffer }> {
  const socket = net.connect(port, '127.0.0.1');
  const [first] = (await once(socket, 'data')) as [Buffer];
  return { socket, first };
}

describe('the relay thread', () => {
  it('runs the paths of a lab on real timers, and what a socket read is in the capture at that moment', async () => {
    const lab = await start();
    expect(lab.relaysOn).toBe('thread');
    const socket = net.connect(pathPort(lab), '127.0.0.1');
    // Checked inside the data callback: nothing else in this thread ran between the read and the look.
    const seen = await new Promise<{ text: string; captured: string[] }>((resolve, reject) => {
      socket.once('data', (chunk: Buffer) => resolve({
        text: chunk.toString('latin1'),
        captured: [...lab.taps.records].filter((r) => r.dir === 's2c').map((r) => r.bytes.toString('latin1')),
      }));
      socket.once('error', reject);
    });
    socket.destroy();
    expect(seen.text).toMatch(/^220 mail\.ntsol\.example /);
    expect(seen.captured).toEqual([seen.text]);
  });

  it('credits every receiving session to its sender from its greeting on, with many connecting at once', async () => {
    const lab = await start();
    const sessions = await Promise.all(Array.from({ length: 30 }, () => greeted(pathPort(lab))));
    for (const { socket } of sessions) socket.end('EHLO mail.intellinet.example\r\nQUIT\r\n');
    await Promise.all(sessions.map(({ socket }) => once(socket, 'close')));
    const logs = [...lab.serverLogs.values()];
    expect(logs).toHaveLength(30);
    for (const lines of logs) {
      expect(lines[0]).toMatchObject({ dir: 'out', text: expect.stringMatching(/^220 /) });
      // The receiver greets the sender by its simulated address, not the loopback one.
      expect(lines.find((l) => l.text.startsWith('250-'))?.text).toBe('250-mail.ntsol.example Hello [192.0.2.10]');
    }
    const conns = new Set([...lab.serverLogs.keys()]);
    expect(conns.size).toBe(30);
    expect([...conns].every((c) => /^c\d+$/.test(c))).toBe(true);
  });

  it('a firewall changed at run time applies to the next connection through the thread', async () => {
    const lab = await start(withFirewall('pix-5.1'));
    const before = await greeted(pathPort(lab));
    before.socket.destroy();
    // Mailguard masks the banner: the host's name and its software are asterisks.
    expect(before.first.toString('latin1')).toMatch(/^220 \*{18} /);
    expect(before.first.toString('latin1')).not.toContain('ntsol');
    lab.paths.find((p) => p.id === 'intellinet-ntsol')!.setFirewall(parseProfileSpec('pass'));
    const after = await greeted(pathPort(lab));
    after.socket.destroy();
    expect(after.first.toString('latin1')).toMatch(/^220 mail\.ntsol\.example /);
  });

  it('stops a lab\'s relays with the lab; the next lab in the process runs on the thread again', async () => {
    const lab = await start();
    const port = pathPort(lab);
    await lab.stop();
    labs.splice(labs.indexOf(lab), 1);
    const refused = net.connect(port, '127.0.0.1');
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');

    const next = await start();
    expect(next.relaysOn).toBe('thread');
    const { socket, first } = await greeted(pathPort(next));
    socket.destroy();
    expect(first.toString('latin1')).toMatch(/^220 /);
  });

  it('the capture keeps only the bytes each record shows, however the firewall cut them', async () => {
    // Mailguard rewrites the banner and holds commands to whole lines: its records are pieces of
    // larger buffers. A piece that crossed with its whole buffer kept that buffer alive in the
    // capture (a 4,000-message load run held twice the memory it does now).
    const lab = await start(withFirewall('pix-5.1'));
    expect(lab.relaysOn).toBe('thread');
    const { socket } = await greeted(pathPort(lab));
    socket.write('EHLO mail.intellinet.example\r\nNOOP\r\nNOOP\r\n');
    socket.end('QUIT\r\n');
    await once(socket, 'close');
    const records = [...lab.taps.records];
    expect(records.filter((r) => r.dir === 'c2s').length).toBeGreaterThan(2);
    // A record that came as a message owns exactly its bytes; one read from the shared ring lies in
    // a slab with its neighbours (app/path/record-ring.ts), at most one slab beyond what is counted.
    const held = [...new Set(records.map((r) => r.bytes.buffer))].reduce((n, b) => n + b.byteLength, 0);
    expect(held).toBeLessThanOrEqual(records.reduce((n, r) => n + r.bytes.length, 0) + SLAB_BYTES);
    for (const r of records.filter((r) => r.marks)) expect(r.bytes.buffer.byteLength).toBe(r.bytes.length);
  });

  it('keeps each connection\'s records in wire order, whether they came through the ring or as messages', async () => {
    // Mailguard rewrites some commands (their records carry stage marks and come as messages) and
    // passes others and every reply (plain records, through the shared ring): the capture must
    // still read in the order the bytes moved.
    const lab = await start(withFirewall('pix-5.1'));
    const { socket, first } = await greeted(pathPort(lab));
    const received: Buffer[] = [first];
    const commands = ['EHLO mail.intellinet.example', ...Array.from({ length: 15 }, (_, i) => [`NOOP ${i}`, 'HELP']).flat()];
    for (const command of commands) {
      socket.write(`${command}\r\n`);
      received.push((await once(socket, 'data'))[0] as Buffer);
    }
    socket.end('QUIT\r\n');
    socket.on('data', (b: Buffer) => received.push(b));
    await once(socket, 'close');
    const at = (side: string) => [...lab.taps.records].filter((r) => r.point.endsWith(`/${side}`));
    // At the server's side each reply follows its command: banner, then command and reply in turn.
    const server = at('received');
    expect(server.map((r) => r.dir)).toEqual(['s2c', ...Array.from({ length: commands.length + 1 }, () => ['c2s', 's2c']).flat()]);
    const commandsSeen = server.filter((r) => r.dir === 'c2s');
    expect(commandsSeen.filter((r) => r.marks).length).toBeGreaterThanOrEqual(15);
    expect(commandsSeen.filter((r) => !r.marks).length).toBeGreaterThanOrEqual(15);
    // At the client's side, what it read, in order (its masked banner came as a message, the rest through the ring).
    const client = at('sent').filter((r) => r.dir === 's2c');
    expect(client[0].marks).toBeDefined();
    expect(Buffer.concat(client.map((r) => r.bytes)).toString('latin1')).toBe(Buffer.concat(received).toString('latin1'));
  });

  it('a firewall\'s reset is in the capture, with its reason, when the sender sees its connection reset', async () => {
    // An ASA whose inspection drops command lines over 16 octets: `EHLO mail.intellinet.example` is 30.
    const lab = await start((l) => {
      l.paths = [{ between: ['intellinet', 'ntsol'], via: 'firewall', firewall: { profile: 'asa', with: { 'esmtp-inspect': { maxCommandLine: 16 } } } }];
    });
    expect(lab.relaysOn).toBe('thread');
    // Many at once, so the relay thread is busy while the lab reads: the lab names the firewall in
    // its bounce from what the capture says at the moment its sender saw the reset.
    const sessions = await Promise.all(Array.from({ length: 50 }, () => greeted(pathPort(lab))));
    const looks = await Promise.all(sessions.map(({ socket }) => new Promise<{ code?: string; reasons: (string | undefined)[] }>((resolve) => {
      const localPort = socket.localPort;
      // Looked at inside the socket's own callback: nothing else in this thread ran in between.
      socket.once('error', (error: NodeJS.ErrnoException) => {
        const taps = lab.taps;
        const conn = taps.connByClientPort(localPort ?? 0, pathPort(lab));
        // Every capture point of this connection: before and behind the firewall.
        const points = conn ? taps.ofConn(conn).connections : [];
        resolve({ code: error.code, reasons: points.map((c) => (c.closedBy === 'reset' ? c.closeReason : undefined)) });
      });
      socket.write('EHLO mail.intellinet.example\r\n');
    })));
    for (const look of looks) {
      expect(look.code).toBe('ECONNRESET');
      expect(look.reasons.length).toBeGreaterThan(0);
      for (const reason of look.reasons) expect(reason).toMatch(/^esmtp-inspect: command line longer than 16 bytes/);
    }
  });

  it('a lab on injected timers relays in its own thread, where those timers run', async () => {
    const lab = await start(undefined, { now: realTimers.now, setTimeout: (fn, ms) => realTimers.setTimeout(fn, ms) });
    expect(lab.relaysOn).toBe('lab');
    const { socket, first } = await greeted(pathPort(lab));
    socket.destroy();
    expect(first.toString('latin1')).toMatch(/^220 /);
  });
});
