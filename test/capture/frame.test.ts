import { describe, expect, it } from 'vitest';
import { frameBytes, frameIncludes, frameLength, onesComplementSum } from '../../app/capture/frame.ts';
import { synthesize } from '../../app/capture/packets.ts';
import { tapScript } from './tap-script.ts';

describe('frames', () => {
  it('computes the Internet checksum of the classic IPv4 header example (0xb861)', () => {
    // 192.168.0.1 → 192.168.0.199, UDP, the widely used worked example of RFC 1071 arithmetic.
    const header = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
    expect((~onesComplementSum(header, 0, header.length) & 0xffff).toString(16)).toBe('b861');
  });

  it('builds Ethernet/IPv4/TCP frames whose IPv4 and TCP checksums verify', () => {
    const ps = synthesize(tapScript([['c2s', 'EHLO odd-length\r\n!'], ['s2c', '250 ok\r\n']]));
    for (const p of ps) {
      const f = frameBytes(p);
      expect(f.length).toBe(frameLength(p));
      expect(f.readUInt16BE(12)).toBe(0x0800);
      // A header with its checksum sums to 0xffff (RFC 1071 §1).
      expect(onesComplementSum(f, 14, 34)).toBe(0xffff);
      const tcpLen = f.length - 34;
      const pseudo = Buffer.concat([f.subarray(26, 34), Buffer.from([0, 6, tcpLen >> 8, tcpLen & 0xff])]);
      expect(onesComplementSum(f, 34, f.length, onesComplementSum(pseudo, 0, 12))).toBe(0xffff);
      expect([...f.subarray(26, 30)].join('.')).toBe(p.src);
      expect(f.subarray(f.length - p.payload.length).equals(p.payload)).toBe(true);
    }
    const syn = frameBytes(ps[0]);
    expect(syn.length).toBe(58);
    expect(syn.subarray(54, 58).toString('hex')).toBe('020405b4'); // MSS option, 1460
  });
});

describe('frame search', () => {
  it('finds bytes anywhere in the frame, the TCP checksum included, and nothing that is not there', () => {
    const [syn, , , data] = synthesize(tapScript([['c2s', 'HELO x\r\n']]));
    for (const p of [syn, data]) {
      const f = frameBytes(p);
      for (let at = 0; at + 3 <= f.length; at++) expect(frameIncludes(p, f.subarray(at, at + 3))).toBe(true);
      // Across the end of the headers into the payload, and the checksum with its neighbours.
      expect(frameIncludes(p, f.subarray(48, 56))).toBe(true);
      const wrong = Buffer.from(f.subarray(49, 53));
      wrong[1] ^= 0xff;
      expect(frameIncludes(p, wrong)).toBe(false);
    }
    expect(frameIncludes(data, Buffer.from('HELO'))).toBe(true);
    expect(frameIncludes(data, Buffer.from('EHLO'))).toBe(false);
  });
});
