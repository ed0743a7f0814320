import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { certVariants } from '../../app/tls/pki.ts';
import { collectServerKeyLog, enableWrappedServerKeylog, upgradeClient } from '../../app/tls/session.ts';
import { verifyChain } from '../../app/tls/verify.ts';
import { allVariants, EXPECTED_VERDICT, MX, NOW, testPki } from './fixtures.ts';

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** Read one complete SMTP reply (RFC 5321 §4.2.1: the last line has a space after the code). */
function readReply(socket: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (/(^|\r\n)\d{3} [^\r\n]*\r\n$/.test(text)) {
        socket.off('data', onData);
        socket.pause();
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.resume();
  });
}

const expected = EXPECTED_VERDICT;

describe('upgradeClient against a real TLS server with lab certificates', () => {
  it.each(certVariants)('handshakes with %s, logs TLS 1.3 secrets, and leaves the verdict to verifyChain', async (variant) => {
    const pki = await testPki();
    const cert = (await allVariants())[variant];
    const server = tls.createServer({ cert: cert.chainPem, key: cert.keyPem });
    const serverLines: string[] = [];
    collectServerKeyLog(server, (line) => serverLines.push(line));
    const accepted = new Promise<tls.TLSSocket>((resolve) => server.once('secureConnection', resolve));
    const port = await listen(server);
    try {
      const raw = await connect(port);
      const up = await upgradeClient(raw, { servername: MX });
      await accepted;
      expect(up.protocol).toBe('TLSv1.3');
      expect(up.cipher).toMatch(/^TLS_/);
      expect(up.keyLog.some((l) => /^CLIENT_TRAFFIC_SECRET_0 [0-9a-f]{64} [0-9a-f]+$/.test(l))).toBe(true);
      expect(up.keyLog.some((l) => l.startsWith('SERVER_HANDSHAKE_TRAFFIC_SECRET '))).toBe(true);
      // Both ends log the same secrets: either side's log decrypts the capture.
      expect(new Set(serverLines)).toEqual(new Set(up.keyLog));
      const verdict = verifyChain(up.peerChainDer, { trust: [pki.trustStorePem()], now: NOW, name: MX });
      expect(verdict.ok ? 'ok' : verdict.reason).toBe(expected[variant]);
      up.tls.destroy();
    } finally {
      server.close();
    }
  });

  it('a refused handshake is named by OpenSSL\'s reason and the alert\'s number and name, not OpenSSL\'s whole error string', async () => {
    // The partner demands TLS 1.2; the client speaks only 1.0 (tls10-meets-tls12): alert 70.
    const cert = (await allVariants()).valid;
    const server = tls.createServer({ cert: cert.chainPem, key: cert.keyPem, minVersion: 'TLSv1.2' });
    server.on('tlsClientError', () => {});
    const port = await listen(server);
    try {
      const error = await upgradeClient(await connect(port), { servername: MX, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }).then(() => undefined, (e: Error) => e);
      expect(error?.message).toBe('tlsv1 alert protocol version — alert 70 protocol_version');
      // What OpenSSL said is kept for a developer, not shown in a queue or a log line.
      expect(((error?.cause) as Error).message).toMatch(/SSL alert number 70/);
    } finally {
      server.close();
    }
  });

  it('honours minVersion/maxVersion (TLS 1.2 logs CLIENT_RANDOM)', async () => {
    const cert = (await allVariants()).valid;
    const server = tls.createServer({ cert: cert.chainPem, key: cert.keyPem });
    const port = await listen(server);
    try {
      const up = await upgradeClient(await connect(port), { servername: MX, maxVersion: 'TLSv1.2' });
      expect(up.protocol).toBe('TLSv1.2');
      expect(up.keyLog.some((l) => l.startsWith('CLIENT_RANDOM '))).toBe(true);
      expect(up.peerChainDer).toHaveLength(2);
      up.tls.destroy();
    } finally {
      server.close();
    }
  });

  it('rejects when the peer does not speak TLS, and times out through the injected timer', async () => {
    const server = net.createServer((s) => s.end('500 not TLS\r\n'));
    const port = await listen(server);
    const silent = net.createServer(() => undefined);
    const silentPort = await listen(silent);
    try {
      await expect(upgradeClient(await connect(port), { servername: MX })).rejects.toThrow();
      const fire: (() => void)[] = [];
      const pending = upgradeClient(await connect(silentPort), { timer: { setTimeout: (fn) => (fire.push(fn), () => undefined), now: () => 0 } });
      expect(fire).toHaveLength(1);
      fire[0]();
      await expect(pending).rejects.toThrow(/timed out/);
    } finally {
      server.close();
      silent.close();
    }
  });
});

describe('server-side key log for smtp-server STARTTLS (documented patch)', () => {
  it('forwards the secrets of a STARTTLS session to smtpServer.server "keylog" listeners', async () => {
    enableWrappedServerKeylog();
    const cert = (await allVariants()).valid;
    const smtp = new SMTPServer({ secure: false, cert: cert.chainPem, key: cert.keyPem, disableReverseLookup: true, authOptional: true, logger: false });
    const serverLines: string[] = [];
    let secured: tls.TLSSocket | undefined;
    smtp.server.on('keylog', (line: Buffer, socket: tls.TLSSocket) => {
      serverLines.push(line.toString('latin1').trimEnd());
      secured = socket;
    });
    const port = await listen(smtp.server);
    const raw = await connect(port);
    try {
      expect(await readReply(raw)).toMatch(/^220 /);
      raw.write('EHLO client.intellinet.example\r\n');
      expect(await readReply(raw)).toMatch(/^250[ -]STARTTLS\r$/m);
      raw.write('STARTTLS\r\n');
      expect(await readReply(raw)).toMatch(/^220 /);
      const up = await upgradeClient(raw, { servername: MX });
      up.tls.write('EHLO client.intellinet.example\r\n');
      await new Promise((resolve) => up.tls.once('data', resolve)); // the server has finished its side
      expect(up.keyLog.length).toBeGreaterThan(0);
      expect(new Set(serverLines)).toEqual(new Set(up.keyLog));
      // The socket handed along is the TLS socket, and `instanceof` still works after the patch.
      expect(secured instanceof tls.TLSSocket).toBe(true);
      expect(up.tls instanceof tls.TLSSocket).toBe(true);
      up.tls.destroy();
    } finally {
      raw.destroy();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  });
});
