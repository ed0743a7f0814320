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

describe('TapLog: one connection at a time', () => {
  it('answers a connection\'s points and the records it still holds, in order, as the budget drops the oldest', () => {
    // Room for about 20 records of 10 bytes: three connections' chunks interleaved, 60 in all.
    const log = new TapLog(20 * (10 + RECORD_OBJECT_BYTES));
    const conns = ['c1', 'c2', 'c3'];
    for (const conn of conns) for (const point of ['sent', 'wire']) log.open(connection(conn, point, 30000 + conns.indexOf(conn)));
    for (let i = 0; i < 60; i++) {
      const conn = conns[i % 3];
      log.data({ conn, point: i % 2 ? 'wire' : 'sent', dir: 'c2s', t: i, labTime: 0, bytes: Buffer.from(`chunk ${String(i).padStart(3, '0')}`) });
      // Asked in the middle of the run as well as at the end: the answer follows the drops.
      if (i % 7 === 0 || i === 59) {
        for (const c of conns) expect(log.ofConn(c).records).toEqual([...log.records].filter((r) => r.conn === c));
      }
    }
    expect(log.dropped).toBeGreaterThan(30);
    // A close hands over the point's final record; the index answers with it.
    const closed = { ...connection('c2', 'wire', 30001), closedAt: 9, closedBy: 'server' as const };
    log.close(closed);
    expect(log.ofConn('c2').connections.map((c) => `${c.point} ${c.closedBy ?? 'open'}`)).toEqual(['sent open', 'wire server']);
    expect(log.ofConn('nobody')).toEqual({ connections: [], records: [] });
  });

  it('keeps a long connection\'s index right across many drops (no record answered twice, none lost)', () => {
    const log = new TapLog(50 * (4 + RECORD_OBJECT_BYTES));
    log.open(connection('big', 'direct', 30000));
    log.open(connection('small', 'direct', 30001));
    for (let i = 0; i < 5000; i++) {
      log.data({ conn: i % 100 === 0 ? 'small' : 'big', point: 'direct', dir: 's2c', t: i, labTime: 0, bytes: Buffer.from(String(i % 10_000).padStart(4, '0')) });
      // Far apart: between two questions more than 1,024 records go, and the index compacts itself.
      if (i % 2499 === 0) expect(log.ofConn('big').records).toEqual([...log.records].filter((r) => r.conn === 'big'));
    }
    expect(log.ofConn('big').records).toEqual([...log.records].filter((r) => r.conn === 'big'));
    expect(log.ofConn('small').records).toEqual([...log.records].filter((r) => r.conn === 'small'));
  });
});
