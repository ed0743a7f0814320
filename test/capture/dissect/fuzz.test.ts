import { describe, expect, it } from 'vitest';
import { createRng } from '../../../app/base/rng.ts';
import type { Rng } from '../../../app/base/rng.ts';
import { dissectors } from '../../../app/capture/dissect/registry.ts';
import { TlsSession } from '../../../app/capture/dissect/tls.ts';
import { SaslSession } from '../../../app/capture/dissect/sasl.ts';
import { smtpDissector } from '../../../app/capture/dissect/smtp.ts';
import type { SessionContext, StreamDissector } from '../../../app/capture/dissect/types.ts';
import type { Direction } from '../../../app/capture/tap.ts';
import { deriveSessionKeys } from '../../../app/ntlm/keys.ts';
import { plainSession } from '../tap-script.ts';
import { FLAGS, authenticateMessage, challengeMessage, negotiateMessage, randomSessionKey } from './ntlm-vectors.ts';

const keys = { tlsKeyLog: [`CLIENT_RANDOM ${'00'.repeat(32)} ${'11'.repeat(48)}`], ntlm: deriveSessionKeys(FLAGS, randomSessionKey) };
const contexts: SessionContext[] = [{ depth: 0, decrypt: false }, { depth: 0, decrypt: true, keys: () => keys }];

/** Every dissector, plus the layered sessions with an SMTP session inside. */
function sessions(ctx: SessionContext): [string, StreamDissector][] {
  return [
    ...dissectors.map((d): [string, StreamDissector] => [d.name, d.open(ctx)]),
    ['tls+smtp', new TlsSession(ctx, () => smtpDissector.open({ ...ctx, depth: 1 }))],
    ['sasl+smtp', new SaslSession(ctx, () => smtpDissector.open({ ...ctx, depth: 1 }))],
  ];
}

/** Valid conversations to cut and corrupt: plain SMTP, AUTH NTLM then a sealed frame, a TLS hello. */
function seeds(): Buffer[] {
  const b64 = (b: Buffer) => b.toString('base64');
  return [
    Buffer.from(plainSession().map(([, d]) => d).join(''), 'latin1'),
    Buffer.from(`AUTH NTLM ${b64(negotiateMessage())}\r\n334 ${b64(challengeMessage)}\r\n${b64(authenticateMessage)}\r\n235 ok\r\n`, 'latin1'),
    Buffer.concat([Buffer.from('00000022', 'hex'), Buffer.alloc(34, 0x41)]),
    Buffer.from('16030100c4010000c00303' + 'ab'.repeat(32) + '000006130113031302010000910000000b0009000006736572766572', 'hex'),
    Buffer.from('STARTTLS\r\n220 go\r\n\x16\x03\x03\x00\x02\x01\x00\x14\x03\x03\x00\x01\x01\x17\x03\x03\x00\x20', 'latin1'),
    Buffer.from('DATA\r\n354 go\r\nSubject: x\r\n\tfolded\r\n:\r\n\r\nbody\r\n.\r\nBDAT 99999999 LAST\r\nabc', 'latin1'),
  ];
}

function mutate(rng: Rng, seed: Buffer): Buffer {
  const out = Buffer.from(seed.subarray(0, rng.int(seed.length + 1)));
  for (let i = rng.int(8); i > 0 && out.length > 0; i--) out[rng.int(out.length)] = rng.int(256);
  return out;
}

function feedRandomly(rng: Rng, s: StreamDissector, bytes: Buffer): void {
  const offset: Record<Direction, number> = { c2s: 0, s2c: 0 };
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + rng.int(64);
    const dir: Direction = rng.next() < 0.5 ? 'c2s' : 's2c';
    const piece = bytes.subarray(at, at + n);
    s.feed(dir, piece, offset[dir]);
    offset[dir] += piece.length;
    at += n;
  }
  s.end('c2s');
  s.end('s2c');
}

describe('dissector fuzzing (seeded)', () => {
  it('no exception escapes any dissector on random, truncated or corrupted bytes', () => {
    const rng = createRng(20261128);
    let runs = 0;
    for (let round = 0; round < 150; round++) {
      for (const ctx of contexts) {
        for (const [name, session] of sessions(ctx)) {
          const input = round % 3 === 0 ? rng.bytes(rng.int(600)) : mutate(rng, rng.pick(seeds()));
          expect(() => feedRandomly(rng, session, input), `${name}, round ${round}`).not.toThrow();
          runs++;
        }
      }
    }
    expect(runs).toBe(150 * 2 * 7);
  });
});
