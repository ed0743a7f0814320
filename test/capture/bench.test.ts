import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { benchCapture } from '../../app/capture/bench.ts';

describe('capture bench', () => {
  it('fills the store with the asked number of packets and finds one MAIL per session', async () => {
    const r = await benchCapture(1900);
    // A plain session is 19 packets with one MAIL command (timings are reported, never asserted).
    expect(r.packets).toBe(1900);
    expect(r.matched).toBe(100);
    expect(r.exportMBs).toBeGreaterThan(0);
    expect(Object.keys(r).sort()).toEqual(['bytesPerPacket', 'exportMBs', 'filterPageMs', 'ingestMs', 'matched', 'packets']);
  });

  it('measures what the store holds per packet: more than a packet object, less than a leak would take', async () => {
    // With a collector the bench can call (as `node --expose-gc` gives it), the heap it measures is
    // what the store keeps: about a kilobyte a packet today (docs/bench.md). A store that kept
    // nothing, or copies of every stream per packet, falls outside these bounds.
    const g = globalThis as { gc?: () => void };
    const had = g.gc;
    v8.setFlagsFromString('--expose-gc');
    g.gc = vm.runInNewContext('gc') as () => void;
    try {
      const r = await benchCapture(3800);
      expect(r.bytesPerPacket).toBeGreaterThan(64);
      expect(r.bytesPerPacket).toBeLessThan(16 * 1024);
    } finally {
      g.gc = had;
    }
  });
});
