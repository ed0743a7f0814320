/**
 * Test support for the AUTH NTLM integration tests: a real smtp-server with the NTLM mechanism
 * on 127.0.0.1 port 0, a line-level reply reader, and a recording relay that keeps every byte
 * that crossed, per direction — what an eavesdropper on the wire would have.
 */
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { SMTPServer } from 'smtp-server';
import { createRng } from '../../app/base/rng.ts';
import type { NtCrypto } from '../../app/ntlm/client.ts';
import { NtlmServerSession, accountLookup } from '../../app/ntlm/server.ts';
import type { AuthenticateResult, NtAccount } from '../../app/ntlm/server.ts';
import { registerNtlmMechanism } from '../../app/mta/inbound-ntlm.ts';
import type { SMTPServerOptionsWithNtlm } from '../../app/mta/inbound-ntlm.ts';

export interface Delivered {
  user: string | undefined;
  from: string;
  to: string[];
  body: string;
}

export interface NtlmTestServer {
  port: number;
  delivered: Delivered[];
  results: AuthenticateResult[];
  layerErrors: string[];
  close(): Promise<void>;
}

export async function startNtlmServer(o: {
  crypto?: NtCrypto;
  lmCompatibility?: number;
  failureReply?: string;
  accounts?: NtAccount[];
  ntDomain?: string;
  seed?: number;
}): Promise<NtlmTestServer> {
  registerNtlmMechanism();
  const rng = createRng(o.seed ?? 25);
  const delivered: Delivered[] = [];
  const results: AuthenticateResult[] = [];
  const layerErrors: string[] = [];
  const options: SMTPServerOptionsWithNtlm = {
    disableReverseLookup: true,
    authMethods: ['NTLM'],
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        delivered.push({
          user: session.user as string | undefined,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          body: Buffer.concat(chunks).toString(),
        });
        callback();
      });
    },
    ntlm: {
      newSession: () => new NtlmServerSession({
        ntDomain: o.ntDomain ?? 'NTSOL',
        serverName: 'MAIL',
        crypto: o.crypto ?? 'us-128',
        lmCompatibility: o.lmCompatibility ?? 2,
        randomBytes: (n) => rng.bytes(n),
        lookupAccount: accountLookup(o.accounts ?? [{ domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' }]),
      }),
      failureReply: o.failureReply,
      onResult: (_c, r) => results.push(r),
      onLayerError: (_c, e) => layerErrors.push(e),
    },
  };
  const server = new SMTPServer(options);
  server.on('error', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const port = (server.server.address() as AddressInfo).port;
  return {
    port, delivered, results, layerErrors,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Reply {
  code: number;
  lines: string[];
}

/** Collects CRLF lines from a stream into SMTP replies (multi-line aware). */
export class ReplyReader {
  readonly #stream: Duplex;
  #text = '';
  #lines: string[] = [];
  #ready: Reply[] = [];
  #waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  #closed = false;

  constructor(stream: Duplex) {
    this.#stream = stream;
    stream.on('data', this.#onData);
    stream.on('close', this.#onClose);
  }

  #onData = (chunk: Buffer): void => {
    this.#text += chunk.toString('latin1');
    for (let i = this.#text.indexOf('\r\n'); i >= 0; i = this.#text.indexOf('\r\n')) {
      const line = this.#text.slice(0, i);
      this.#text = this.#text.slice(i + 2);
      this.#lines.push(line);
      if (/^\d{3}(?: |$)/.test(line)) {
        const reply = { code: Number(line.slice(0, 3)), lines: this.#lines };
        this.#lines = [];
        const w = this.#waiting.shift();
        if (w) w.resolve(reply);
        else this.#ready.push(reply);
      }
    }
  };

  #onClose = (): void => {
    this.#closed = true;
    for (const w of this.#waiting.splice(0)) w.reject(new Error('connection closed'));
  };

  next(): Promise<Reply> {
    const ready = this.#ready.shift();
    if (ready) return Promise.resolve(ready);
    if (this.#closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** Sends a command line and waits for its reply. */
  async command(line: string): Promise<Reply> {
    this.#stream.write(`${line}\r\n`);
    return this.next();
  }

  /** Stops reading, so another reader (the sealed stream) can take the socket over. */
  detach(): void {
    this.#stream.off('data', this.#onData);
    this.#stream.off('close', this.#onClose);
  }
}

export interface RecordingRelay {
  port: number;
  c2s: Buffer[];
  s2c: Buffer[];
  close(): Promise<void>;
}

/** A TCP relay on 127.0.0.1 port 0 that records both directions of every connection. */
export async function startRecordingRelay(targetPort: number): Promise<RecordingRelay> {
  const c2s: Buffer[] = [];
  const s2c: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (b: Buffer) => { c2s.push(b); upstream.write(b); });
    upstream.on('data', (b: Buffer) => { s2c.push(b); client.write(b); });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  return {
    port: (relay.address() as AddressInfo).port,
    c2s, s2c,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}

export async function connect(port: number): Promise<{ socket: net.Socket; replies: ReplyReader }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const replies = new ReplyReader(socket);
  await once(socket, 'connect');
  return { socket, replies };
}
