import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { createRng } from '../../app/base/rng.ts';
import { NtlmClientSession } from '../../app/ntlm/client.ts';
import type { NtlmClientOptions } from '../../app/ntlm/client.ts';
import { createSecurityLayer } from '../../app/ntlm/sasl-layer.ts';
import { sealStream } from '../../app/ntlm/sealed-stream.ts';
import { registerNtlmMechanism } from '../../app/mta/inbound-ntlm.ts';
import { ReplyReader, connect, startNtlmServer, startRecordingRelay } from './inbound-ntlm-harness.ts';
import type { NtlmTestServer, RecordingRelay, Reply } from './inbound-ntlm-harness.ts';
import { needs } from '../helpers/tools.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function server(o: Parameters<typeof startNtlmServer>[0] = {}): Promise<NtlmTestServer> {
  const s = await startNtlmServer(o);
  cleanup.push(() => s.close());
  return s;
}

function ntlmClient(over: Partial<NtlmClientOptions> = {}): NtlmClientSession {
  const rng = createRng(over.password === undefined ? 1 : 2);
  return new NtlmClientSession({
    domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42', workstation: 'MAIL',
    responses: 'v2', crypto: 'us-128', randomBytes: (n) => rng.bytes(n), ...over,
  });
}

/** EHLO, then the MS-SMTPNTLM exchange; returns the final reply (235 or 535). */
async function authNtlm(port: number, client: NtlmClientSession, opts: { initialResponse?: boolean } = {}) {
  const { socket, replies } = await connect(port);
  cleanup.push(() => { socket.destroy(); });
  expect((await replies.next()).code).toBe(220);
  const ehlo = await replies.command('EHLO mail.intellinet.example');
  expect(ehlo.lines.some((l) => /^250[ -]AUTH NTLM$/.test(l))).toBe(true);
  let challenge: Reply;
  if (opts.initialResponse) {
    challenge = await replies.command(`AUTH NTLM ${client.negotiate().toString('base64')}`);
  } else {
    expect(await replies.command('AUTH NTLM')).toEqual({ code: 334, lines: ['334 ntlm supported'] });
    challenge = await replies.command(client.negotiate().toString('base64'));
  }
  expect(challenge.code).toBe(334);
  const answer = client.onChallenge(Buffer.from(challenge.lines[0].slice(4), 'base64'));
  if (!answer.ok) throw new Error(answer.error);
  const final = await replies.command(answer.authenticate.toString('base64'));
  return { socket, replies, final };
}

/** Splits the bytes after the 235 line into security-layer buffers; fails if they do not frame. */
function frames(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const length = bytes.readUInt32BE(at);
    out.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
    expect(at).toBeLessThanOrEqual(bytes.length);
  }
  return out;
}

describe('AUTH NTLM on smtp-server, then the sealed session', () => {
  it('(a) authenticates, re-EHLOs inside the layer and delivers a message the wire never shows', async () => {
    const s = await server();
    const relay: RecordingRelay = await startRecordingRelay(s.port);
    cleanup.push(() => relay.close());
    const client = ntlmClient();
    const { socket, replies, final } = await authNtlm(relay.port, client);
    expect(final.lines).toEqual(['235 2.7.0 Authentication successful']);
    expect(client.sealNegotiated()).toBe(true);

    replies.detach();
    const keys = client.keys();
    if (!keys) throw new Error('no keys');
    const sealed = sealStream(socket, keys, 'client');
    const inside = new ReplyReader(sealed);
    // RFC 4954 §4: the server forgot the first EHLO.
    expect((await inside.command('MAIL FROM:<alice@intellinet.example>')).code).toBe(503);
    const ehlo = await inside.command('EHLO mail.intellinet.example');
    expect(ehlo.code).toBe(250);
    expect(ehlo.lines.some((l) => l.includes('AUTH'))).toBe(false);
    expect((await inside.command('MAIL FROM:<alice@intellinet.example>')).code).toBe(250);
    expect((await inside.command('RCPT TO:<sean@ntsol.example>')).code).toBe(250);
    expect((await inside.command('DATA')).code).toBe(354);
    const canary = 'canary-5c1e Hi Sean, the trial results are in.';
    const done = await inside.command(`Subject: Trial results\r\n\r\n${canary}\r\n.`);
    expect(done.code).toBe(250);
    expect((await inside.command('QUIT')).code).toBe(221);

    expect(s.delivered).toEqual([{ user: 'INTELLINET\\DOUG', from: 'alice@intellinet.example', to: ['sean@ntsol.example'], body: expect.stringContaining(canary) }]);
    expect(s.results).toMatchObject([{ ok: true, keyBits: 128, sealNegotiated: true, response: 'ntlmv2' }]);

    const c2s = Buffer.concat(relay.c2s);
    const s2c = Buffer.concat(relay.s2c);
    for (const secret of [canary, 'Trial results', 'MAIL FROM', 'sean@ntsol.example', 'alice@intellinet.example']) {
      expect(c2s.includes(secret), `client→server shows ${secret}`).toBe(false);
      expect(s2c.includes(secret), `server→client shows ${secret}`).toBe(false);
    }
    // After 235 each direction is nothing but length-prefixed sealed buffers.
    const afterAuth = s2c.subarray(s2c.indexOf('235 2.7.0 Authentication successful\r\n') + 37);
    expect(frames(afterAuth).length).toBeGreaterThanOrEqual(7);
    expect(afterAuth.includes('250')).toBe(false);
  });

  it('accepts the initial-response form AUTH NTLM <base64>', async () => {
    const s = await server();
    const { final } = await authNtlm(s.port, ntlmClient(), { initialResponse: true });
    expect(final.code).toBe(235);
  });

  it('cancels on "*" with 501 and on a line that is not base64', async () => {
    const s = await server();
    const { socket, replies } = await connect(s.port);
    cleanup.push(() => { socket.destroy(); });
    await replies.next();
    await replies.command('EHLO x.example');
    expect((await replies.command('AUTH NTLM')).code).toBe(334);
    expect((await replies.command('*')).code).toBe(501);
    expect((await replies.command('AUTH NTLM')).code).toBe(334);
    expect((await replies.command('not base64!')).code).toBe(501);
  });

  it('answers 504 when the server offers NTLM but has no NTLM settings', async () => {
    registerNtlmMechanism();
    const bare = new SMTPServer({ disableReverseLookup: true, authMethods: ['NTLM'], authOptional: true, allowInsecureAuth: true, disabledCommands: ['STARTTLS'], logger: false });
    bare.listen(0, '127.0.0.1');
    await once(bare.server, 'listening');
    cleanup.push(() => new Promise<void>((resolve) => bare.close(() => resolve())));
    const { socket, replies } = await connect((bare.server.address() as AddressInfo).port);
    cleanup.push(() => { socket.destroy(); });
    await replies.next();
    await replies.command('EHLO x.example');
    expect(await replies.command('AUTH NTLM')).toEqual({ code: 504, lines: ['504 5.5.4 Unrecognized authentication type'] });
  });

  it('(b) a wrong password gets 535 in the configured wording', async () => {
    const s = await server({ failureReply: '535 ntlm authentication failed' });
    const { final } = await authNtlm(s.port, ntlmClient({ password: 'Sunrise-24' }));
    expect(final.lines).toEqual(['535 ntlm authentication failed']);
    expect(s.results).toMatchObject([{ ok: false, reason: 'bad-response' }]);
  });

  it('(c) an unknown account gets 535 5.7.8 by default (RFC 4954 §6)', async () => {
    const s = await server({ accounts: [] });
    const { final } = await authNtlm(s.port, ntlmClient());
    expect(final.lines).toEqual(['535 5.7.8 Authentication credentials invalid']);
    expect(s.results).toMatchObject([{ ok: false, reason: 'unknown-account' }]);
  });

  it('(d) LM compatibility 5 refuses an NTLMv1 response', async () => {
    const s = await server({ lmCompatibility: 5 });
    const { final } = await authNtlm(s.port, ntlmClient({ responses: 'v1' }));
    expect(final.code).toBe(535);
    expect(s.results).toMatchObject([{ ok: false, reason: 'v1-refused' }]);
  });

  it('(e) an export-40 server and a us-128 client settle on 40-bit keys, and sealing works', async () => {
    const s = await server({ crypto: 'export-40' });
    const client = ntlmClient();
    const { socket, replies, final } = await authNtlm(s.port, client);
    expect(final.code).toBe(235);
    expect(client.keyBits()).toBe(40);
    expect(s.results).toMatchObject([{ ok: true, keyBits: 40 }]);
    replies.detach();
    const keys = client.keys();
    if (!keys) throw new Error('no keys');
    const inside = new ReplyReader(sealStream(socket, keys, 'client'));
    expect((await inside.command('EHLO mail.intellinet.example')).code).toBe(250);
  });

  it('(g) a tampered sealed buffer ends the session', async () => {
    const s = await server();
    const client = ntlmClient();
    const { socket, replies, final } = await authNtlm(s.port, client);
    expect(final.code).toBe(235);
    replies.detach();
    const keys = client.keys();
    if (!keys) throw new Error('no keys');
    const frame = createSecurityLayer(keys, 'client').wrap(Buffer.from('EHLO mail.intellinet.example\r\n'));
    frame[10] ^= 0x04;
    const received: Buffer[] = [];
    socket.on('data', (b: Buffer) => received.push(b));
    const closed = once(socket, 'close');
    socket.write(frame);
    await closed;
    expect(received).toEqual([]);
    expect(s.layerErrors).toEqual([expect.stringMatching(/bad signature/)]);
  });
});

/** Runs swaks to completion; the server lives in this process, so never block the event loop. */
function swaks(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('swaks', args, { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error && typeof (error as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? Number((error as { code: number }).code) : error ? 1 : 0;
      resolve({ code, output: stdout + stderr });
    });
  });
}

const swaksNtlm = needs('swaks', 'Authen::NTLM');
describe('(f) swaks, a real NTLMv1 client that does not negotiate SEAL', () => {
  const args = (port: number, password: string) => [
    '-a', 'NTLM', '--auth-user', 'DOUG', '--auth-password', password, '--server', `127.0.0.1:${port}`,
    '--to', 'x@ntsol.example', '--from', 'y@intellinet.example',
  ];
  // Authen::NTLM 1.09 (swaks' module) echoes the server's TargetName as its domain in NTLMv1,
  // so swaks logs on to the server's own domain: the account lives there.
  const accounts = [{ domain: 'NTSOL', user: 'DOUG', password: 'Sunrise-42' }];

  swaksNtlm.it('gets 235 and the message is accepted, unsealed', async () => {
    const s = await server({ accounts });
    const r = await swaks(args(s.port, 'Sunrise-42'));
    expect(r.output).toContain('235 2.7.0 Authentication successful');
    expect(r.code).toBe(0);
    expect(s.results).toMatchObject([{ ok: true, sealNegotiated: false, response: 'ntlm', identity: { domain: 'NTSOL', user: 'DOUG' } }]);
    expect(s.delivered).toMatchObject([{ user: 'NTSOL\\DOUG', from: 'y@intellinet.example', to: ['x@ntsol.example'] }]);
  });

  swaksNtlm.it('gets 535 with a wrong password', async () => {
    const s = await server({ accounts });
    const r = await swaks(args(s.port, 'Sunrise-24'));
    expect(r.output).toContain('535 5.7.8 Authentication credentials invalid');
    expect(r.code).not.toBe(0);
    expect(s.delivered).toEqual([]);
  });
});
