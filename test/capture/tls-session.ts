/**
 * A real STARTTLS session on loopback, recorded as the tap would see it: a tiny SMTP server
 * (node:tls after `220`), a client that logs its TLS secrets (`keylog`), and a recording proxy
 * between them on 127.0.0.1 port 0. Returns the chunks in capture order and the key log lines.
 */
import net from 'node:net';
import tls from 'node:tls';
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import type { Chunk } from './tap-script.ts';

let identity: { key: string; cert: string } | undefined;

/** A self-signed certificate for mail.ntsol.example (node:crypto key, node-forge certificate). */
function serverIdentity(): { key: string; cert: string } {
  if (identity) return identity;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const key = forge.pki.privateKeyFromPem(privateKey);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.UTC(2020, 0, 1));
  cert.validity.notAfter = new Date(Date.UTC(2040, 0, 1));
  const name = [{ name: 'commonName', value: 'mail.ntsol.example' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.sign(key, forge.md.sha256.create());
  identity = { key: privateKey, cert: forge.pki.certificateToPem(cert) };
  return identity;
}

/** Line reader over a socket that can be swapped (plain, then TLS). */
function lines(onLine: (line: string) => void): (data: Buffer) => void {
  let buf = '';
  return (data) => {
    buf += data.toString('latin1');
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i + 1);
      buf = buf.slice(i + 1);
      onLine(line);
    }
  };
}

function startServer(): Promise<net.Server> {
  const { key, cert } = serverIdentity();
  const server = net.createServer((plain) => {
    let sock: net.Socket | tls.TLSSocket = plain;
    let inData = false;
    const say = (text: string) => sock.write(text);
    const handle = (line: string) => {
      if (inData) {
        if (line === '.\r\n') {
          inData = false;
          say('250 2.6.0 Queued\r\n');
        }
        return;
      }
      const verb = line.trim().split(' ')[0].toUpperCase();
      if (verb === 'EHLO') say(sock === plain ? '250-mail.ntsol.example\r\n250 STARTTLS\r\n' : '250-mail.ntsol.example\r\n250 SIZE 1000000\r\n');
      else if (verb === 'STARTTLS') {
        plain.removeAllListeners('data');
        say('220 2.0.0 Ready to start TLS\r\n');
        const secure = new tls.TLSSocket(plain, { isServer: true, key, cert });
        sock = secure;
        secure.on('data', lines(handle));
        secure.on('error', () => undefined);
      } else if (verb === 'DATA') {
        inData = true;
        say('354 Start mail input\r\n');
      } else if (verb === 'QUIT') {
        say('221 2.0.0 Bye\r\n');
        sock.end();
      } else say('250 2.0.0 OK\r\n');
    };
    plain.on('data', lines(handle));
    plain.on('error', () => undefined);
    say('220 mail.ntsol.example ESMTP ready\r\n');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

export interface RecordedSession {
  chunks: Chunk[];
  keyLog: string[];
}

/** Run EHLO, STARTTLS, EHLO, MAIL, RCPT, DATA, QUIT through a recording proxy. */
export async function recordStartTls(o: { maxVersion?: tls.SecureVersion; subject: string; body: string }): Promise<RecordedSession> {
  const server = await startServer();
  const chunks: Chunk[] = [];
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => sockets.add(s));
  const proxy = net.createServer((down) => {
    const up = net.connect(portOf(server), '127.0.0.1');
    sockets.add(down).add(up);
    down.on('data', (b) => {
      chunks.push(['c2s', Buffer.from(b)]);
      up.write(b);
    });
    up.on('data', (b) => {
      chunks.push(['s2c', Buffer.from(b)]);
      down.write(b);
    });
    down.on('end', () => up.end());
    up.on('end', () => down.end());
    down.on('error', () => undefined);
    up.on('error', () => undefined);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  const keyLog: string[] = [];
  try {
    const plain = net.connect(portOf(proxy), '127.0.0.1');
    let waiting: ((line: string) => void) | undefined;
    const replies: string[] = [];
    const onLine = (line: string) => {
      // Only the last line of a reply (code + space) completes it.
      if (/^\d{3}-/.test(line)) return;
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w(line);
      } else replies.push(line);
    };
    let reader = lines(onLine);
    plain.on('data', (d) => reader(d));
    let sock: net.Socket | tls.TLSSocket = plain;
    const reply = () => new Promise<string>((r) => (replies.length > 0 ? r(replies.shift()!) : (waiting = r)));
    const cmd = async (line: string) => {
      sock.write(`${line}\r\n`);
      return reply();
    };
    await reply();
    await cmd('EHLO mail.intellinet.example');
    await cmd('STARTTLS');
    plain.removeAllListeners('data');
    const secure = tls.connect({ socket: plain, rejectUnauthorized: false, servername: 'mail.ntsol.example', maxVersion: o.maxVersion ?? 'TLSv1.3' });
    secure.on('keylog', (line) => keyLog.push(line.toString('latin1').trim()));
    await new Promise<void>((r, j) => {
      secure.once('secureConnect', () => r());
      secure.once('error', j);
    });
    reader = lines(onLine);
    secure.on('data', (d) => reader(d));
    sock = secure;
    await cmd('EHLO mail.intellinet.example');
    await cmd('MAIL FROM:<alice@intellinet.example>');
    await cmd('RCPT TO:<sean@ntsol.example>');
    await cmd('DATA');
    await cmd(`From: alice@intellinet.example\r\nTo: sean@ntsol.example\r\nSubject: ${o.subject}\r\n\r\n${o.body}\r\n.`);
    await cmd('QUIT');
    await new Promise<void>((r) => {
      secure.once('close', () => r());
      secure.end();
    });
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => proxy.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  }
  return { chunks, keyLog };
}
