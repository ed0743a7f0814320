/**
 * Runs MD4 / RC4 in a child `node --openssl-legacy-provider`, an implementation independent of
 * ours, to compare against. Where the provider is missing the callers skip with a reason.
 */
import { spawnSync } from 'node:child_process';

export type LegacyResult = { available: true; outputs: string[] } | { available: false; reason: string };

function run(script: string, payload: unknown): LegacyResult {
  const child = spawnSync(process.execPath, ['--openssl-legacy-provider', '-e', script], {
    input: JSON.stringify(payload),
    encoding: 'utf8',
  });
  if (child.status !== 0) return { available: false, reason: (child.stderr || 'legacy provider unavailable').split('\n')[0] };
  return { available: true, outputs: JSON.parse(child.stdout) as string[] };
}

/** Hex digests of each input by the legacy provider's `algorithm` (e.g. md4). */
export function legacyDigest(algorithm: string, inputs: Buffer[]): LegacyResult {
  const script = `
    const c = require('node:crypto');
    const inputs = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    process.stdout.write(JSON.stringify(inputs.map((h) => c.createHash(${JSON.stringify(algorithm)}).update(Buffer.from(h, 'hex')).digest('hex'))));`;
  return run(script, inputs.map((b) => b.toString('hex')));
}

/** Hex RC4 output of each [key, data] pair by the legacy provider. */
export function legacyRc4(pairs: [Buffer, Buffer][]): LegacyResult {
  const script = `
    const c = require('node:crypto');
    const pairs = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    process.stdout.write(JSON.stringify(pairs.map(([k, d]) => c.createCipheriv('rc4', Buffer.from(k, 'hex'), null).update(Buffer.from(d, 'hex')).toString('hex'))));`;
  return run(script, pairs.map(([k, d]) => [k.toString('hex'), d.toString('hex')]));
}
