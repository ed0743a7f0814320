import { describe, expect, it } from 'vitest';
import { benchCapture } from '../../app/capture/bench.ts';

describe('capture bench', () => {
  it('fills the store with the asked number of packets and finds one MAIL per session', async () => {
    const r = await benchCapture(1900);
    // A plain session is 19 packets with one MAIL command (timings are reported, never asserted).
    expect(r.packets).toBe(1900);
    expect(r.matched).toBe(100);
    expect(r.bytesPerPacket).toBeGreaterThanOrEqual(0);
    expect(Object.keys(r).sort()).toEqual(['bytesPerPacket', 'exportMBs', 'filterPageMs', 'ingestMs', 'matched', 'packets']);
  });
});
