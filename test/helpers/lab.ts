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

/** A loopback port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const net = await import('node:net');
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
