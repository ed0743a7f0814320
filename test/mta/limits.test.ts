/**
 * Inbound limits (issue 18, "Limits"): a listener takes a bounded number of connections at once,
 * and a session that lasts too long — a client trickling a byte now and then — is closed with 421.
 */
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { benchLab } from '../../app/bench/labs.ts';

let lab: Lab | undefined;
afterEach(async () => {
  await lab?.stop();
  lab = undefined;
});

/** Connect and collect what the server says until it closes. */
function connect(port: number): { socket: net.Socket; text: () => string; closed: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (text += d));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return { socket, text: () => text, closed };
}

const until = async (fn: () => boolean) => {
  while (!fn()) await new Promise((r) => setTimeout(r, 20));
};

describe('inbound limits', () => {
  it('answers one connection more than the cap with 421 4.3.2 and closes it; the others keep their session', async () => {
    lab = await createLab(benchLab('plain'), { limits: { connectionsPerListener: 3 } });
    const port = lab.servers.get('ntsol')!.listeners.find((l) => l.role === 'mail')!.port;
    const open = [connect(port), connect(port), connect(port)];
    await until(() => open.every((c) => c.text().startsWith('220 ')));
    const extra = connect(port);
    await extra.closed;
    expect(extra.text()).toMatch(/^421 4\.3\.2 mail\.ntsol\.example Too many connections, try again later\r\n$/);
    open[0].socket.write('NOOP\r\n');
    await until(() => open[0].text().includes('250'));
    for (const c of open) c.socket.destroy();
  });

  it('closes a session that outlasts its time limit with 421 4.4.2, however busy the client keeps it', async () => {
    lab = await createLab(benchLab('plain'), { limits: { sessionMs: 400 } });
    const port = lab.servers.get('ntsol')!.listeners.find((l) => l.role === 'mail')!.port;
    const slow = connect(port);
    await until(() => slow.text().startsWith('220 '));
    // A byte now and then: never idle long enough for the socket timeout.
    const trickle = setInterval(() => slow.socket.writable && slow.socket.write('N'), 50);
    await slow.closed;
    clearInterval(trickle);
    expect(slow.text()).toMatch(/421 4\.4\.2 mail\.ntsol\.example Session time limit exceeded, closing connection\r\n$/);
  });
});
