/** Builders for small labs in tests, and a bare smtp-server to stand for an external organisation. */
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { lab as labSchema, type LabConfig } from '../../app/config/lab.ts';

/** A lab as written in a scenario, before the schema fills in defaults; tests patch it freely. */
export type LabInput = Record<string, unknown> & { orgs: Record<string, unknown>[] };

/** Two organisations, no security: the postcard lab. Override anything. */
export function twoOrgs(patch: (l: LabInput) => void = () => {}): LabConfig {
  const input: LabInput = {
    seed: 7,
    clock: { start: '2026-11-28T09:00:00Z' },
    orgs: [
      { id: 'intellinet', domain: 'intellinet.example', profile: 'exchange-5.5', users: ['alice'], hosts: [{ name: 'mail.intellinet.example', address: '192.0.2.10' }] },
      { id: 'ntsol', domain: 'ntsol.example', profile: 'exchange-5.5', users: ['sean'], hosts: [{ name: 'mail.ntsol.example', address: '198.51.100.25' }] },
    ],
  };
  patch(input);
  return labSchema.parse(input);
}

export interface BareServer {
  port: number;
  received: { from: string; to: string[]; data: Buffer }[];
  close(): Promise<void>;
}

/** A bare smtp-server on 127.0.0.1:0 (an "existing SMTP server"), no lab code involved. */
export async function bareSmtpServer(options: Partial<SMTPServerOptions> = {}): Promise<BareServer> {
  const received: BareServer['received'] = [];
  const server = new SMTPServer({
    disableReverseLookup: true, authOptional: true, hideSTARTTLS: true, logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks) });
        callback(null, 'Message accepted');
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * A loopback port with nothing listening on it, for as long as the test runs. A port freed after
 * `listen(0)` can be handed to the next `listen(0)` of a test running beside it (and a lab there
 * would then answer the "dead" host), so the port is taken below the kernel's ephemeral range
 * (Linux: /proc/sys/net/ipv4/ip_local_port_range), which no listener on port 0 and no outgoing
 * connection is given, and checked to refuse a connection before it is returned.
 */
export async function closedPort(): Promise<number> {
  const net = await import('node:net');
  const fs = await import('node:fs');
  let low = 32768;
  try {
    low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: macOS and the BSDs start theirs at 49152, above this
  }
  const refuses = (port: number) => new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
  // Test files run in parallel processes: each starts its walk at a place its pid picks.
  const span = Math.max(1, Math.min(low, 32768) - 20000);
  for (let tries = 0; tries < 50; tries++) {
    const port = 20000 + ((process.pid * 7919 + tries * 104729) % span);
    if (await refuses(port)) return port;
  }
  throw new Error('closedPort: no refusing loopback port found below the ephemeral range');
}
