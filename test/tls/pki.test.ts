import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caPath, certVariants, createLabPki, type CertVariant } from '../../app/tls/pki.ts';
import { allVariants, DAY, LAB, MX, NOW, testPki, testPool } from './fixtures.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'postcard-pki-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** OpenSSL as an independent judge, at the lab time (`-attime`), not the wall clock. */
function opensslVerify(caPem: string, chainPem: string, at: number): string {
  const [leaf, ...rest] = chainPem.split(/(?<=-----END CERTIFICATE-----\n)/).filter(Boolean);
  writeFileSync(join(dir, 'oracle-ca.pem'), caPem);
  writeFileSync(join(dir, 'oracle-leaf.pem'), leaf);
  writeFileSync(join(dir, 'oracle-rest.pem'), rest.join('') || caPem);
  const args = ['verify', '-attime', String(Math.floor(at / 1000)), '-CAfile', 'oracle-ca.pem', '-untrusted', 'oracle-rest.pem', 'oracle-leaf.pem'];
  try {
    return execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }).toString();
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    return `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
}

describe('createLabPki', () => {
  it('has a self-signed root CA (CA:TRUE) that is the trust store, and a second CA nobody trusts', async () => {
    const pki = await testPki();
    const ca = new X509Certificate(pki.caCertPem);
    expect(ca.ca).toBe(true);
    expect(ca.checkIssued(ca) && ca.verify(ca.publicKey)).toBe(true);
    expect(pki.trustStorePem()).toBe(pki.caCertPem);
    const other = new X509Certificate(pki.untrustedCaCertPem);
    expect(other.ca).toBe(true);
    expect(other.subject).not.toBe(ca.subject);
  });

  // What OpenSSL says of each variant at the lab time: written by hand from the variant's meaning.
  const openssl: Record<CertVariant, RegExp> = {
    valid: /: OK/,
    expired: /certificate has expired/,
    'not-yet-valid': /certificate is not yet valid/,
    'wrong-name': /: OK/, // a name problem is not a chain problem
    'self-signed': /self[- ]signed certificate/,
    'untrusted-ca': /self[- ]signed certificate in certificate chain|unable to get local issuer/,
  };

  it.each(certVariants)('issues %s so that OpenSSL, asked at the lab time, agrees', async (variant) => {
    const pki = await testPki();
    const cert = (await allVariants())[variant];
    expect(opensslVerify(pki.caCertPem, cert.chainPem, NOW)).toMatch(openssl[variant]);
  });

  it('names the host in subjectAltName, except for wrong-name, and keeps one key per host', async () => {
    const certs = await allVariants();
    for (const variant of certVariants) {
      const x = new X509Certificate(certs[variant].certPem);
      expect(x.ca).toBe(false);
      if (variant === 'wrong-name') expect(x.subjectAltName).not.toContain(MX);
      else expect(x.subjectAltName).toBe(`DNS:${MX}`);
      expect(certs[variant].keyPem).toBe(certs.valid.keyPem);
    }
    expect(certs['self-signed'].chainPem).toBe(certs['self-signed'].certPem);
  });

  it('dates certificates on the lab clock: valid now, expired before now, not yet valid after now', async () => {
    const certs = await allVariants();
    const window = (v: CertVariant) => {
      const x = new X509Certificate(certs[v].certPem);
      return [Date.parse(x.validFrom), Date.parse(x.validTo)];
    };
    const [vf, vt] = window('valid');
    expect(vf <= NOW && NOW + 30 * DAY <= vt).toBe(true);
    expect(window('expired')[1]).toBeLessThan(NOW);
    expect(window('not-yet-valid')[0]).toBeGreaterThan(NOW);
  });

  it('reuses cached certificates after a restart on the same directory', async () => {
    const pkiDir = join(dir, 'restart');
    const first = await createLabPki({ now: NOW, pool: testPool(), labName: LAB, dir: pkiDir });
    const a = await first.issue(MX, 'valid');
    const second = await createLabPki({ now: NOW + DAY, pool: testPool(), labName: LAB, dir: pkiDir });
    expect(second.caCertPem).toBe(first.caCertPem);
    expect((await second.issue(MX, 'valid')).chainPem).toBe(a.chainPem);
  });

  it('reissues a cached certificate that no longer fits its variant at the new lab time', async () => {
    const pkiDir = join(dir, 'later');
    const first = await createLabPki({ now: NOW, pool: testPool(), labName: LAB, dir: pkiDir });
    const before = await first.issue(MX, 'valid');
    const later = NOW + 400 * DAY; // the first `valid` certificate has expired by then
    const second = await createLabPki({ now: later, pool: testPool(), labName: LAB, dir: pkiDir });
    const after = await second.issue(MX, 'valid');
    expect(after.certPem).not.toBe(before.certPem);
    expect(opensslVerify(second.caCertPem, after.chainPem, later)).toMatch(/: OK/);
  });

  it('writes lab-ca.pem for external tools', async () => {
    const pki = await testPki();
    const path = await caPath(join(dir, 'ws'), pki);
    expect(path.endsWith('lab-ca.pem')).toBe(true);
    expect(await readFile(path, 'utf8')).toBe(pki.caCertPem);
    await writeFile(path, 'stale');
    await caPath(join(dir, 'ws'), pki);
    expect(await readFile(path, 'utf8')).toBe(pki.caCertPem);
  });
});
