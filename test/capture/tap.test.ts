/**
 * The tap log's own bookkeeping (app/capture/tap.ts): which connection a loopback socket named,
 * kept for the newest closed connections only, and the buffers a record holds against the budget
 * (its bytes and the originals of its stage marks).
 */
import { describe, expect, it } from 'vitest';
import { KEEP_CLOSED_SOCKETS, TapLog, type TapConnection } from '../../app/capture/tap.ts';
import { CaptureBudget, RECORD_OBJECT_BYTES } from '../../app/capture/budget.ts';

const RELAY = 40000;

function connection(conn: string, point: string, clientPort: number): TapConnection {
  return {
    conn, point, client: { ip: '192.0.2.1', port: 50000 }, server: { ip: '198.51.100.1', port: 25 },
    openedAt: 0, labTime: 0, loopbackClientPort: clientPort, loopbackServerPort: RELAY, side: 'client',
  };
}

describe('TapLog: sockets to connections', () => {
  it('answers for open connections and the newest closed ones, and lets older ones go', () => {
    const log = new TapLog(undefined, { keepClosedSockets: 3 });
    const conns = [1, 2, 3, 4, 5].map((i) => connection(`c${i}`, 'direct', 30000 + i));
    for (const c of conns) log.open(c);
    expect(conns.map((c) => log.connByClientPort(c.loopbackClientPort!, RELAY))).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    for (const c of conns.slice(0, 4)) log.close(c);
    // Four closed, three kept: the oldest closed goes; the open one stays however many close.
    expect(conns.map((c) => log.connByClientPort(c.loopbackClientPort!, RELAY))).toEqual([undefined, 'c2', 'c3', 'c4', 'c5']);
    // The connection table itself keeps every connection (the views list them all).
    expect(log.connections.size).toBe(5);
  });

  it('counts a connection closed at several points once', () => {
    const log = new TapLog(undefined, { keepClosedSockets: 2 });
    for (const i of [1, 2]) {
      for (const point of ['sent', 'wire', 'received']) log.open(connection(`c${i}`, point, 30000 + i));
    }
    for (const i of [1, 2]) {
      for (const point of ['sent', 'wire', 'received']) log.close(connection(`c${i}`, point, 30000 + i));
    }
    expect([log.connByClientPort(30001, RELAY), log.connByClientPort(30002, RELAY)]).toEqual(['c1', 'c2']);
  });

  it('leaves a source port the kernel gave to a newer connection with that one', () => {
    const log = new TapLog(undefined, { keepClosedSockets: 1 });
    const old = connection('c1', 'direct', 30001);
    log.open(old);
    log.close(old);
    const reused = connection('c2', 'direct', 30001);
    log.open(reused);
    // Two more closes push c1 out of the kept ones: the port now names c2, which is still open.
    for (const i of [3, 4]) {
      const c = connection(`c${i}`, 'direct', 30000 + i);
      log.open(c);
      log.close(c);
    }
    expect(log.connByClientPort(30001, RELAY)).toBe('c2');
    // The same port to another relay port is another socket.
    expect(log.connByClientPort(30001, RELAY + 1)).toBeUndefined();
  });

  it('keeps ten thousand closed connections by default', () => {
    const log = new TapLog();
    const n = KEEP_CLOSED_SOCKETS + 5;
    for (let i = 0; i < n; i++) {
      const c = connection(`c${i}`, 'direct', 1 + (i % 60000));
      log.open(c);
      log.close(c);
    }
    expect(log.connByClientPort(1, RELAY)).toBeUndefined();
    expect(log.connByClientPort(6, RELAY)).toBe('c5');
    expect(log.connByClientPort(n, RELAY)).toBe(`c${n - 1}`);
  });
});

describe('TapLog: buffers against the budget', () => {
  it('holds a record\'s bytes and its marks\' originals, and releases both when it is dropped', () => {
    const budget = new CaptureBudget(1000);
    const log = new TapLog(budget);
    const at = { conn: 'c1', point: 'received', dir: 'c2s' as const, t: 1, labTime: 1 };
    log.data({ ...at, bytes: Buffer.alloc(100), marks: [{ stage: 'mask', action: 'changed', original: Buffer.alloc(50) }, { stage: 'log', action: 'added' }] });
    expect(budget.used).toBe(150 + RECORD_OBJECT_BYTES);
    log.data({ ...at, bytes: Buffer.alloc(900) });
    expect([log.dropped, log.droppedBytes, budget.used]).toEqual([1, 150, 900 + RECORD_OBJECT_BYTES]);
  });
});
