import { describe, expect, test } from 'vitest';
import { createRng } from '../../../app/base/rng.ts';
import { createChain } from '../../../app/path/chain.ts';
import { createStage } from '../../../app/path/stages/index.ts';
import { drive } from '../harness.ts';
import type { Step } from '../harness.ts';

const inject = (config: object = {}) => createChain([createStage('injector', config, { rng: createRng(1), conn: 'c1' })]);
const upToStarttls: Step[] = [['s2c', '220 mx\r\n'], ['c2s', 'EHLO a\r\n'], ['s2c', '250-mx\r\n250 STARTTLS\r\n']];
const chunks = (out: ReturnType<typeof drive>, dir: 'c2s' | 's2c') =>
  out.outputs.flatMap((o) => (o.type === 'deliver' && o.dir === dir ? [o.bytes.toString('latin1')] : []));

describe('injector (CVE-2011-0411)', () => {
  test('the injected command rides in the same segment as STARTTLS, even when typed byte by byte', () => {
    const out = drive(inject(), [...upToStarttls, ['c2s', 'STARTTLS\r\n']], 1);
    expect(chunks(out, 'c2s')).toContain('STARTTLS\r\nRSET\r\n');
  });

  test('at tls-ready the plaintext follows the server\'s 220 in the same segment', () => {
    const out = drive(inject({ at: 'tls-ready', text: '250 2.0.0 injected\r\n' }), [
      ...upToStarttls, ['c2s', 'STARTTLS\r\n'], ['s2c', '220 2.0.0 Ready to start TLS\r\n'], ['c2s', '\x16\x03\x01\x00\x01\x01'],
    ]);
    expect(chunks(out, 's2c')).toContain('220 2.0.0 Ready to start TLS\r\n250 2.0.0 injected\r\n');
    expect(out.c2s.endsWith('STARTTLS\r\n\x16\x03\x01\x00\x01\x01')).toBe(true);
  });

  test('at greeting a reply nobody asked for follows the banner', () => {
    expect(drive(inject({ at: 'greeting', text: '250 surprise\r\n' }), [['s2c', '220 mx\r\n']]).s2c).toBe('220 mx\r\n250 surprise\r\n');
  });

  test('once (default) injects a single time; once: false each time', () => {
    const twice: Step[] = [...upToStarttls, ['c2s', 'STARTTLS\r\n'], ['s2c', '454 4.7.0 not now\r\n250 OK\r\n'], ['c2s', 'STARTTLS\r\n']];
    expect(drive(inject(), twice).c2s).toBe('EHLO a\r\nSTARTTLS\r\nRSET\r\nSTARTTLS\r\n');
    expect(drive(inject({ once: false }), twice).c2s).toBe('EHLO a\r\nSTARTTLS\r\nRSET\r\nSTARTTLS\r\nRSET\r\n');
  });
});
