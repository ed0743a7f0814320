// The socket adapter of an outbound session (app/mta/outbound/connection.ts), against real sockets.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { plainPlan } from '../../../app/mta/security.ts';
import { SmtpClientSession } from '../../../app/mta/outbound/client.ts';
import { runClientSession } from '../../../app/mta/outbound/connection.ts';
import { realTimers } from '../../../app/base/timers.ts';
import { closeListener, listenLoopback } from '../../../app/base/loopback.ts';


const closers: (() => Promise<void>)[] = [];
afterEach(async () => { for (const close of closers.splice(0)) await close(); });

describe('runClientSession', () => {
  it('names its source port even when the far end resets before Node reports the connect', async () => {
    // A relay whose host refused the connection onward resets the sender's at once (app/path/relay.ts).
    // In one process the accept and the reset come before the sender's 'connect' event, which then
    // never fires: the port must still be known, or the lab cannot find the tapped record of why.
    const peerPorts: number[] = [];
    const sockets = new Set<net.Socket>();
    const server = net.createServer((c) => {
      peerPorts.push(c.remotePort ?? 0);
      c.resetAndDestroy();
    });
    const port = await listenLoopback(server);
    closers.push(() => closeListener(server, sockets));

    const session = new SmtpClientSession({
      heloName: 'mail.intellinet.example', from: 'alice@intellinet.example', to: ['sean@ntsol.example'],
      message: Buffer.from('Subject: hi\r\n\r\nHi\r\n'), plan: plainPlan, peer: 'mail.ntsol.example[198.51.100.25]',
    });
    const noted: number[] = [];
    const result = await runClientSession(session, { host: '127.0.0.1', port, timeoutMs: 5_000, timers: realTimers, onConnected: (p) => noted.push(p) });

    expect(result).toMatchObject({ delivered: false, phase: 'greeting', failure: { action: 'next-mx', broken: 'closed' } });
    expect(noted).toEqual(peerPorts);
    expect(noted[0]).toBeGreaterThan(0);
  });
});
