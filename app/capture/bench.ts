/**
 * The capture figures of `postcard-lab bench` (docs/bench.md, "capture"): synthetic plain SMTP
 * sessions until `packetCount` packets are stored, then
 *
 *   filterPageMs    the first `smtp.req.command == "MAIL"` query plus its first page of 100 rows,
 *                   right after ingest (no cached matches);
 *   exportMBs       pcapng export throughput to a sink that discards, in MB/s (10^6 bytes);
 *   bytesPerPacket  heap and buffer memory the store holds per packet (run node with
 *                   --expose-gc for a steadier figure).
 *
 * This measures; it asserts nothing. Time comes from performance.now(): the bench is about real
 * time, not the lab clock.
 */
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import type { TapEvent } from './tap.ts';
import { CaptureStore } from './store.ts';
import { writePcapng } from './pcapng.ts';

export interface CaptureBench {
  packets: number;
  filterPageMs: number;
  matched: number;
  exportMBs: number;
  bytesPerPacket: number;
  ingestMs: number;
}

/** One plain session's chunks (a message of about 1.5 KB); 19 packets once synthesised. */
function session(i: number): [('c2s' | 's2c'), string][] {
  const body = `Hello Sean,\r\n\r\n${'The trial results are attached to this message. '.repeat(24)}\r\nAlice ${i}\r\n`;
  return [
    ['s2c', '220 mail.ntsol.example ESMTP ready\r\n'],
    ['c2s', 'EHLO mail.intellinet.example\r\n'],
    ['s2c', '250-mail.ntsol.example\r\n250-PIPELINING\r\n250 SIZE 10240000\r\n'],
    ['c2s', `MAIL FROM:<alice${i}@intellinet.example>\r\n`],
    ['s2c', '250 2.1.0 Sender OK\r\n'],
    ['c2s', 'RCPT TO:<sean@ntsol.example>\r\n'],
    ['s2c', '250 2.1.5 Recipient OK\r\n'],
    ['c2s', 'DATA\r\n'],
    ['s2c', '354 Start mail input; end with <CRLF>.<CRLF>\r\n'],
    ['c2s', `From: alice${i}@intellinet.example\r\nTo: sean@ntsol.example\r\nSubject: Trial ${i}\r\n\r\n${body}.\r\n`],
    ['s2c', '250 2.6.0 Queued\r\n'],
    ['c2s', 'QUIT\r\n'],
    ['s2c', '221 2.0.0 Bye\r\n'],
  ];
}

function* sessionEvents(i: number, t0: number): Generator<TapEvent> {
  const conn = `bench-${i}`;
  const connection = {
    conn,
    point: 'bench',
    client: { ip: '192.0.2.10', port: 49152 + (i % 16000) },
    server: { ip: '198.51.100.25', port: 25 },
    openedAt: t0,
    labTime: Date.UTC(2026, 10, 28, 9) + t0,
  };
  yield { kind: 'open', connection };
  let t = t0;
  for (const [dir, text] of session(i)) {
    t += 0.1;
    yield { kind: 'data', record: { seq: 0, conn, point: 'bench', dir, t, labTime: connection.labTime + (t - t0), bytes: Buffer.from(text, 'latin1') } };
  }
  yield { kind: 'close', connection: { ...connection, closedAt: t + 0.1, closedBy: 'client' } };
}

function memory(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

export async function benchCapture(packetCount: number): Promise<CaptureBench> {
  const store = new CaptureStore({ maxPackets: packetCount, maxBytes: Number.MAX_SAFE_INTEGER });
  const before = memory();
  let started = performance.now();
  for (let i = 0; store.size < packetCount; i++) {
    for (const ev of sessionEvents(i, i * 2)) store.ingest(ev);
  }
  const ingestMs = performance.now() - started;
  const bytesPerPacket = Math.max(0, (memory() - before) / store.size);

  started = performance.now();
  const page = store.page({ filter: 'smtp.req.command == "MAIL"', limit: 100 });
  const filterPageMs = performance.now() - started;

  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  started = performance.now();
  const { bytes } = await writePcapng(store, [], sink);
  const seconds = (performance.now() - started) / 1000;

  return {
    packets: store.size,
    filterPageMs: round(filterPageMs),
    matched: page.matched,
    exportMBs: round(bytes / 1e6 / Math.max(seconds, 1e-9)),
    bytesPerPacket: Math.round(bytesPerPacket),
    ingestMs: round(ingestMs),
  };
}

const round = (n: number) => Math.round(n * 100) / 100;
