import { describe, expect, test } from 'vitest';
import { createRng } from '../../../app/base/rng.ts';
import { createChain } from '../../../app/path/chain.ts';
import { createStage } from '../../../app/path/stages/index.ts';
import { downgradeNtlmMessage } from '../../../app/path/stages/ntlm-downgrade.ts';
import { drive } from '../harness.ts';

// MS-NLMP §4.2.4.3: the CHALLENGE_MESSAGE of the NTLMv2 example, NegotiateFlags 0xe28a8233.
const CHALLENGE = Buffer.from(
  '4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef00000000000000002400240044000000' +
  '060070170000000f53006500720076006500720002000c0044006f006d00610069006e0001000c0053006500720076006500720000000000',
  'hex');
const ALL = 0x80000000 | 0x20000000 | 0x20;
const downgrade = (config: object = {}) => createChain([createStage('ntlm-downgrade', config, { rng: createRng(1), conn: 'c1' })]);

describe('downgradeNtlmMessage (MS-NLMP §2.2.1)', () => {
  test('the §4.2.4.3 CHALLENGE loses 56, 128 and SEAL at offset 20, nothing else changes', () => {
    const r = downgradeNtlmMessage(CHALLENGE, ALL);
    expect(r).toMatchObject({ ok: true, type: 2, before: 0xe28a8233, after: 0x428a8213 });
    const expected = Buffer.from(CHALLENGE);
    expected.set([0x13, 0x82, 0x8a, 0x42], 20);
    expect(r.ok && r.bytes.equals(expected)).toBe(true);
  });

  test('a NEGOTIATE has its flags at offset 12', () => {
    const negotiate = Buffer.from('4e544c4d5353500001000000b78208e200000000000000000000000000000000', 'hex');
    expect(downgradeNtlmMessage(negotiate, 0x20000000)).toMatchObject({ ok: true, type: 1, before: 0xe20882b7, after: 0xc20882b7 });
  });

  test('AUTHENTICATE, other protocols and garbage are refused with an error, never an exception', () => {
    expect(downgradeNtlmMessage(Buffer.from('4e544c4d5353500003000000', 'hex'), ALL).ok).toBe(false);
    expect(downgradeNtlmMessage(Buffer.from('hello world, not ntlm'), ALL)).toEqual({ ok: false, error: 'not an NTLMSSP message' });
    expect(downgradeNtlmMessage(CHALLENGE.subarray(0, 22), ALL)).toEqual({ ok: false, error: 'message too short for its flags' });
    const rng = createRng(99);
    for (let i = 0; i < 500; i++) {
      const junk = Buffer.concat([CHALLENGE.subarray(0, rng.int(30)), rng.bytes(rng.int(40))]);
      expect(() => downgradeNtlmMessage(junk, ALL)).not.toThrow();
    }
  });
});

describe('the ntlm-downgrade stage on the SMTP wire (MS-SMTPNTLM)', () => {
  test('the initial-response form AUTH NTLM <base64> is rewritten too', () => {
    const negotiate = Buffer.from('4e544c4d5353500001000000b78208e200000000000000000000000000000000', 'hex');
    const expected = Buffer.from(negotiate);
    expected.set([0x97, 0x82, 0x08, 0x42], 12);
    const out = drive(downgrade(), [['s2c', '220 mx\r\n'], ['c2s', `AUTH NTLM ${negotiate.toString('base64')}\r\n`]]);
    expect(out.c2s).toBe(`AUTH NTLM ${expected.toString('base64')}\r\n`);
  });

  test('clear: [negotiate-128] strips only the 128-bit flag (40/56-bit keys remain possible)', () => {
    const out = drive(downgrade({ clear: ['negotiate-128'] }), [
      ['s2c', '220 mx\r\n'], ['c2s', 'AUTH NTLM\r\n'], ['s2c', '334 ntlm supported\r\n'], ['c2s', 'TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=\r\n'],
      ['s2c', `334 ${CHALLENGE.toString('base64')}\r\n`],
    ]);
    const sent = Buffer.from(out.s2c.split('\r\n')[2].slice(4), 'base64');
    expect(sent.readUInt32LE(20)).toBe(0xc28a8233);
  });

  test('a 334 that is not base64 NTLM, and a cancelled exchange, pass unchanged', () => {
    const steps = [['s2c', '220 mx\r\n'], ['c2s', 'AUTH NTLM\r\n'], ['s2c', '334 ntlm supported\r\n'], ['c2s', '*\r\n'],
      ['s2c', '501 5.7.0 cancelled\r\n']] as const;
    const out = drive(downgrade(), steps);
    expect(out.c2s).toBe('AUTH NTLM\r\n*\r\n');
    expect(out.s2c).toBe('220 mx\r\n334 ntlm supported\r\n501 5.7.0 cancelled\r\n');
    expect(out.marks).toEqual([]);
  });
});
