/**
 * CVE-2011-0411 class, both directions (docs/tls.md): plaintext pipelined after STARTTLS, and a
 * partial line carried across the switch, are discarded — by our inbound server (smtp-server) and
 * by our sending client — never executed as if they had come inside TLS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { startInbound, type InboundServer, type ServerLogLine } from '../../app/mta/inbound.ts';
import { realTimers } from '../../app/base/timers.ts';
import { createKeyPool, sharedKeyCacheDir } from '../../app/tls/keys.ts';
import { createLabPki } from '../../app/tls/pki.ts';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { loadScenarioFile } from '../../app/scenario/load.ts';
import { rawClient } from '../helpers/net.ts';
import { ROOT } from '../helpers/cli.ts';

let server: InboundServer;
let ca: string;
/** The server's log of every session, as the receiver's view of a transcript reads it. */
const logged: ServerLogLine[] = [];
const pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-pki-'));
afterAll(() => fs.rmSync(pkiDir, { recursive: true, force: true }));

beforeAll(async () => {
  const pki = await createLabPki({ now: Date.now(), pool: createKeyPool(sharedKeyCacheDir(ROOT)), labName: 'test', dir: pkiDir });
  const cert = await pki.issue('mail.ntsol.example', 'valid');
  ca = pki.trustStorePem();
  server = await startInbound({
    hostName: 'mail.ntsol.example', greeting: 'mail.ntsol.example ESMTP', greetingDelayMs: 0, heloRequired: true, timers: realTimers,
    maxSize: 1 << 20, socketTimeoutMs: 10_000, checkRecipient: () => undefined, accept: async () => 'Q1',
    extra: { hideSTARTTLS: false, key: cert.keyPem, cert: cert.chainPem },
    onLog: (line) => logged.push(line),
  });
});
afterAll(() => server?.close());

/** EHLO, then STARTTLS with `tail` in the same segment; returns the first reply read inside TLS to our EHLO. */
async function firstReplyInsideTls(tail: string): Promise<string> {
  const c = await rawClient(server.port);
  await c.reply();
  c.send('EHLO client.example');
  expect(await c.reply()).toContain('250-STARTTLS');
  c.socket.write(`STARTTLS\r\n${tail}`);
  expect(await c.reply()).toBe('220 Ready to start TLS');
  c.socket.removeAllListeners('data');
  const secure = tls.connect({ socket: c.socket, ca, servername: 'mail.ntsol.example' });
  await new Promise<void>((resolve, reject) => { secure.once('secureConnect', () => resolve()); secure.once('error', reject); });
  const first = new Promise<string>((resolve) => {
    let buffer = '';
    secure.on('data', (d) => {
      buffer += d.toString();
      const m = /^(?:\d{3}-[^\n]*\n)*\d{3} [^\n]*\n/.exec(buffer);
      if (m) resolve(m[0]);
    });
  });
  secure.write('EHLO client.example\r\n');
  const reply = await first;
  secure.destroy();
  return reply;
}

describe('STARTTLS and plaintext injection', () => {
  it('the server discards complete commands pipelined after STARTTLS', async () => {
    const reply = await firstReplyInsideTls('RSET\r\nMAIL FROM:<mallory@mallory.example>\r\n');
    // The first reply inside TLS answers our EHLO (and lists no STARTTLS any more), not the injected RSET.
    expect(reply).toMatch(/^250-mail\.ntsol\.example/);
    expect(reply).not.toContain('STARTTLS');
  });

  it('the server logs STARTTLS and its 220 in clear, and what it reads and writes after the handshake inside TLS', async () => {
    const from = logged.length;
    await firstReplyInsideTls('');
    const session = logged.slice(from).map((l) => `${l.layer} ${l.dir} ${l.text}`);
    // RFC 3207 §4: the 220 is the last reply before the handshake; the client's EHLO after it is its first command inside TLS.
    const at = session.indexOf('clear out 220 Ready to start TLS');
    expect(at, session.join('\n')).toBeGreaterThan(0);
    expect(session[at - 1]).toBe('clear in STARTTLS');
    expect(session.slice(0, at).every((l) => l.startsWith('clear '))).toBe(true);
    expect(session[at + 1]).toBe('tls in EHLO client.example');
    expect(session.slice(at + 1).every((l) => l.startsWith('tls '))).toBe(true);
    expect(session.at(-1)).toMatch(/^tls out 250 /);
  });

  it('the server discards a partial line carried across the switch', async () => {
    // Had "NOOP" survived, our EHLO inside TLS would arrive as "NOOPEHLO client.example".
    const reply = await firstReplyInsideTls('NOOP');
    expect(reply).toMatch(/^250-mail\.ntsol\.example/);
  });

  describe('through the starttls-injection scenario lab', () => {
    let lab: Lab;
    beforeAll(async () => {
      const loaded = loadScenarioFile(path.join(ROOT, 'scenarios/starttls-injection.yaml'));
      if (!loaded.ok) throw new Error('scenario invalid');
      lab = await createLab(loaded.scenario.lab);
    });
    afterAll(() => lab?.stop());

    it('the firewall really injects, and neither end acts on it', async () => {
      lab.send({ id: 'm1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'a', body: 'b' });
      lab.send({ id: 'm2', from: 'alice@intellinet.example', to: 'pat@partner.example', subject: 'a', body: 'b' });
      expect(await lab.settle('m1', false)).toBe('delivered');
      expect(await lab.settle('m2', false)).toBe('delivered');
      // Counted at the boxes' own edges: a wire point repeats one of them (docs/packet-view.md).
      const added = [...lab.taps.records].filter((r) => !r.point.endsWith('/wire') && r.marks?.some((m) => m.stage === 'injector' && m.action === 'added'));
      expect(added.map((r) => r.dir).sort()).toEqual(['c2s', 's2c']);
      // The receiving server's log: no injected command was executed.
      const m1 = lab.entriesOf('m1')[0].attempts[0];
      const received = (lab.serverLogs.get(m1.conn!) ?? []).filter((l) => l.dir === 'in').map((l) => l.text);
      expect(received.some((t) => t.startsWith('RSET') || t.includes('mallory'))).toBe(false);
      // Our client never read the injected reply.
      const m2 = lab.entriesOf('m2')[0].attempts[0];
      expect(m2.transcript.some((l) => l.text.includes('injected by the middlebox'))).toBe(false);
      expect(m2.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    });
  });
});
