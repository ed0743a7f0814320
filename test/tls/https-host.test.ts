import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchPolicy, startMtaStsHost, type MtaStsHost } from '../../app/tls/https-host.ts';
import { PolicyCache } from '../../app/tls/mta-sts.ts';
import type { CertVariant } from '../../app/tls/pki.ts';
import { DAY, NEXTHOP, NOW, testPki } from './fixtures.ts';

const HOST = `mta-sts.${NEXTHOP}`;
const POLICY = 'version: STSv1\r\nmode: enforce\r\nmx: mail.ntsol.example\r\nmx: *.ntsol.example\r\nmax_age: 86400\r\n';

const hosts: MtaStsHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

async function host(variant: CertVariant = 'valid', policy: string | null = POLICY, onKeyLog?: (line: string) => void): Promise<MtaStsHost> {
  const cert = await (await testPki()).issue(HOST, variant);
  const h = await startMtaStsHost({ chainPem: cert.chainPem, keyPem: cert.keyPem, policy, onKeyLog });
  hosts.push(h);
  return h;
}

async function fetchFrom(port: number, now = NOW) {
  const pki = await testPki();
  return fetchPolicy({ host: '127.0.0.1', port, servername: HOST, trust: [pki.trustStorePem()], now });
}

describe('the mta-sts host and fetchPolicy (RFC 8461 §3.3)', () => {
  it('serves the policy over real HTTPS and the sender parses it', async () => {
    const lines: string[] = [];
    const h = await host('valid', POLICY, (l) => lines.push(l));
    const r = await fetchFrom(h.port);
    expect(r.ok && r.policy).toMatchObject({ mode: 'enforce', maxAge: 86400, mx: ['mail.ntsol.example', '*.ntsol.example'] });
    expect(lines.some((l) => l.startsWith('CLIENT_TRAFFIC_SECRET_0 '))).toBe(true);
  });

  // By hand: every defect of the policy host's certificate is an `sts-webpki-invalid` failure.
  it.each(['expired', 'not-yet-valid', 'wrong-name', 'self-signed', 'untrusted-ca'] as const)(
    'refuses a policy host with a %s certificate, checked on the lab clock',
    async (variant) => {
      const r = await fetchFrom((await host(variant)).port);
      expect(r).toMatchObject({ ok: false, error: 'certificate', resultType: 'sts-webpki-invalid' });
    },
  );

  it('judges the same certificate by the lab time of the fetch', async () => {
    const h = await host('valid');
    expect((await fetchFrom(h.port, NOW + 400 * DAY)).ok).toBe(false);
    expect((await fetchFrom(h.port, NOW)).ok).toBe(true);
  });

  it('takes only a 200 text/plain answer, and never follows a redirect', async () => {
    const h = await host('valid', null);
    expect(await fetchFrom(h.port)).toMatchObject({ ok: false, error: 'http-status', resultType: 'sts-policy-fetch-error' });
    h.setCanned({ status: 301, location: 'https://elsewhere.example/policy.txt' });
    const redirected = await fetchFrom(h.port);
    expect(redirected).toMatchObject({ ok: false, error: 'http-status' });
    expect(redirected.ok ? '' : redirected.detail).toMatch(/not followed/);
    h.setCanned({ status: 200, contentType: 'text/html', body: POLICY });
    expect(await fetchFrom(h.port)).toMatchObject({ ok: false, error: 'content-type', resultType: 'sts-policy-invalid' });
    h.setCanned(null);
    h.setPolicy('version: STSv1\nmode: enforce\n');
    expect(await fetchFrom(h.port)).toMatchObject({ ok: false, error: 'policy-invalid', resultType: 'sts-policy-invalid' });
  });

  it('answers 404 for any other path', async () => {
    const h = await host();
    const status = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: h.port, servername: HOST, rejectUnauthorized: false }, () => {
        s.end(`GET /index.html HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
      });
      let text = '';
      s.on('data', (d: Buffer) => (text += d.toString()));
      s.on('end', () => resolve(text.split('\r\n')[0]));
      s.on('error', reject);
    });
    expect(status).toBe('HTTP/1.1 404 Not Found');
  });

  it('reports a refused connection, and a silent host once the injected timer fires', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await fetchFrom(deadPort)).toMatchObject({ ok: false, error: 'connect', resultType: 'sts-policy-fetch-error' });

    const accepted: net.Socket[] = [];
    const silent = net.createServer((s) => accepted.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const connected = new Promise((r) => silent.once('connection', r));
    const timers: (() => void)[] = [];
    const pki = await testPki();
    const pending = fetchPolicy({
      host: '127.0.0.1', port: (silent.address() as AddressInfo).port, servername: HOST, trust: [pki.trustStorePem()], now: NOW,
      timer: { setTimeout: (fn) => (timers.push(fn), () => undefined), now: () => 0 },
    });
    await connected;
    timers.forEach((fire) => fire());
    expect(await pending).toMatchObject({ ok: false, error: 'timeout' });
    accepted.forEach((s) => s.destroy());
    silent.close();
  });
});

describe('MTA-STS end to end: cache + host', () => {
  it('keeps protecting after the TXT record is stripped and the policy host is gone, until max_age', async () => {
    const h = await host();
    const cache = new PolicyCache();
    const fetch = async () => {
      const r = await fetchFrom(h.port);
      return r.ok ? { ok: true as const, policy: r.policy } : { ok: false as const, error: r.detail };
    };
    expect((await cache.resolve(NEXTHOP, ['v=STSv1; id=20261128'], NOW, fetch)).source).toBe('fetched');
    await h.close();
    const stripped = await cache.resolve(NEXTHOP, undefined, NOW + 12 * 3_600_000, fetch);
    expect(stripped.source).toBe('cache');
    expect(stripped.policy?.mode).toBe('enforce');
    expect((await cache.resolve(NEXTHOP, undefined, NOW + DAY, fetch)).source).toBe('none');
  });
});
