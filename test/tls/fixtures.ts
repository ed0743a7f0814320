/**
 * Shared test fixtures: one lab PKI per test process, keys from the machine-wide cache so RSA
 * generation happens once per machine, certificates in memory (signing is cheap).
 */
import { createKeyPool, sharedKeyCacheDir, type KeyPool } from '../../app/tls/keys.ts';
import { certVariants, createLabPki, type CertVariant, type IssuedCert, type LabPki } from '../../app/tls/pki.ts';
import { pemToDer } from '../../app/tls/certs.ts';
import type { VerifyFailureReason } from '../../app/tls/verify.ts';

/** Lab time of every test: 2026-11-28 09:00 UTC (the date of the scenario examples, docs/scenario-format.md). */
export const NOW = Date.UTC(2026, 10, 28, 9);
export const DAY = 86_400_000;
export const LAB = 'tls-test';
export const MX = 'mail.ntsol.example';
export const NEXTHOP = 'ntsol.example';

/** Written by hand from what each variant is (docs/tls.md): the verdict with the MX host as the name. */
export const EXPECTED_VERDICT: Record<CertVariant, 'ok' | VerifyFailureReason> = {
  valid: 'ok',
  expired: 'expired',
  'not-yet-valid': 'not-yet-valid',
  'wrong-name': 'name-mismatch',
  'self-signed': 'self-signed',
  'untrusted-ca': 'untrusted',
};

let pool: KeyPool | undefined;
let pki: Promise<LabPki> | undefined;

export function testPool(): KeyPool {
  pool ??= createKeyPool(sharedKeyCacheDir());
  return pool;
}

export function testPki(): Promise<LabPki> {
  pki ??= createLabPki({ now: NOW, pool: testPool(), labName: LAB });
  return pki;
}

export async function allVariants(host = MX): Promise<Record<CertVariant, IssuedCert>> {
  const p = await testPki();
  const entries = await Promise.all(certVariants.map(async (v) => [v, await p.issue(host, v)] as const));
  return Object.fromEntries(entries) as Record<CertVariant, IssuedCert>;
}

export function chainOf(cert: IssuedCert): Buffer[] {
  return pemToDer(cert.chainPem);
}
