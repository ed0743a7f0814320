import { describe, expect, it } from 'vitest';
import { PacketSynth, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, eventsFrom, packetsFrom, synthesize } from '../../app/capture/packets.ts';
import type { Packet } from '../../app/capture/packets.ts';
import type { TapConnection, TapRecord } from '../../app/capture/tap.ts';
import { tapScript } from './tap-script.ts';

const flagsOf = (ps: Packet[]) => ps.map((p) => p.flags);
const rel = (p: Packet, isn: number) => (p.seq - isn) >>> 0;

describe('packet synthesis', () => {
  it('opens with SYN, SYN/ACK, ACK and closes with FIN/ACK both ways, seq and ack consistent', () => {
    const ps = synthesize(tapScript([['s2c', '220 ready\r\n'], ['c2s', 'QUIT\r\n'], ['s2c', '221 bye\r\n']]));
    expect(flagsOf(ps)).toEqual([
      TCP_SYN, TCP_SYN | TCP_ACK, TCP_ACK,
      TCP_ACK | TCP_PSH, TCP_ACK | TCP_PSH, TCP_ACK | TCP_PSH,
      TCP_FIN | TCP_ACK, TCP_FIN | TCP_ACK, TCP_ACK,
    ]);
    const [syn, synAck, ack, greet, quit, bye, fin1, fin2, last] = ps;
    const ci = syn.seq;
    const si = synAck.seq;
    // RFC 9293 §3.4: the SYN takes one sequence number; each side acknowledges the next byte it expects.
    expect(synAck.ack).toBe((ci + 1) >>> 0);
    expect([ack.seq, ack.ack]).toEqual([(ci + 1) >>> 0, (si + 1) >>> 0]);
    expect([rel(greet, si), greet.ack]).toEqual([1, (ci + 1) >>> 0]);
    expect([rel(quit, ci), rel({ ...quit, seq: quit.ack }, si)]).toEqual([1, 1 + 11]);
    expect([rel(bye, si), rel({ ...bye, seq: bye.ack }, ci)]).toEqual([12, 7]);
    expect([rel(fin1, ci), rel(fin2, si)]).toEqual([7, 21]);
    expect([rel({ ...fin2, seq: fin2.ack }, ci), rel(last, ci), rel({ ...last, seq: last.ack }, si)]).toEqual([8, 8, 22]);
    expect(ps.map((p) => p.no)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(greet.srcPort).toBe(25);
    expect([greet.src, greet.dst]).toEqual(['198.51.100.25', '192.0.2.10']);
  });

  it('cuts a chunk into segments of at most 1460 bytes and ACKs every second one', () => {
    const big = Buffer.alloc(4000, 0x61);
    const ps = synthesize(tapScript([['c2s', big]]));
    const data = ps.filter((p) => p.payload.length > 0);
    expect(data.map((p) => p.payload.length)).toEqual([1460, 1460, 1080]);
    expect(Buffer.concat(data.map((p) => p.payload)).equals(big)).toBe(true);
    expect(data.map((p) => p.flags & TCP_PSH)).toEqual([0, 0, TCP_PSH]);
    expect(data.map((p) => p.streamOffset)).toEqual([0, 1460, 2920]);
    // After segments 1 and 2 the server acknowledges 2920 bytes (RFC 1122 §4.2.3.2).
    const i = ps.indexOf(data[1]);
    const pureAck = ps[i + 1];
    expect(pureAck.dir).toBe('s2c');
    expect(pureAck.payload.length).toBe(0);
    expect((pureAck.ack - data[0].seq) >>> 0).toBe(2920);
    expect(data.every((p) => p.recordSeq === 0)).toBe(true);
  });

  it('acknowledges data the peer cannot piggy-back on before more data in the same direction', () => {
    const ps = synthesize(tapScript([['c2s', 'MAIL FROM:<a@b>\r\n'], ['c2s', 'RCPT TO:<c@d>\r\n']]));
    const i = ps.findIndex((p) => p.payload.toString().startsWith('RCPT'));
    expect(ps[i - 1]).toMatchObject({ dir: 's2c', flags: TCP_ACK });
    expect(ps[i - 1].ack).toBe(ps[i].seq);
  });

  it('ends a reset connection with RST/ACK from the server side', () => {
    const ps = synthesize(tapScript([['s2c', '220 hi\r\n']], { closedBy: 'reset' }));
    expect(ps[ps.length - 1]).toMatchObject({ dir: 's2c', flags: TCP_RST | TCP_ACK });
    expect(ps.filter((p) => p.flags & TCP_FIN)).toEqual([]);
  });

  it('shows a refused connection as SYN then RST/ACK, never a handshake', () => {
    const ps = synthesize(tapScript([], { closedBy: 'refused' }));
    expect(flagsOf(ps)).toEqual([TCP_SYN, TCP_RST | TCP_ACK]);
  });

  it('ignores data for connections it never saw open', () => {
    const synth = new PacketSynth();
    const [, data] = tapScript([['c2s', 'x']]);
    expect(synth.push(data)).toEqual([]);
    expect(synth.orphans).toBe(1);
  });

  it('orders connections and records of one point into open, data, close', () => {
    const events = tapScript([['s2c', '220 a\r\n'], ['c2s', 'QUIT\r\n']]);
    const connections = events.filter((e) => e.kind === 'close').map((e) => (e as { connection: TapConnection }).connection);
    const records = events.filter((e) => e.kind === 'data').map((e) => (e as { record: TapRecord }).record).reverse();
    expect(eventsFrom(connections, records).map((e) => e.kind)).toEqual(['open', 'data', 'data', 'close']);
    expect(packetsFrom(connections, records).filter((p) => p.payload.length > 0).map((p) => p.payload.toString())).toEqual(['220 a\r\n', 'QUIT\r\n']);
  });

  it('draws the SYN/ACK when the server side accepted, before a later connection\'s packets', () => {
    // Two connections at one point: b opens while a is still open, a closes, then b's banner comes.
    // The server accepted b at t=3, before a closed (t=4): its SYN/ACK belongs there, not with the banner.
    const a = tapScript([['s2c', '220 a\r\n']], { conn: 'a', t: 0 });
    const b = tapScript([['s2c', '220 b\r\n']], { conn: 'b', t: 2 });
    const [aOpen, aData, aClose] = a;
    const [bOpen, bData, bClose] = b;
    const bConn = (bOpen as { connection: TapConnection }).connection;
    (aClose as { connection: TapConnection }).connection.closedAt = 4;
    (bData as { record: TapRecord }).record.t = 9;
    const ps = synthesize([aOpen, aData, bOpen, { kind: 'established', connection: { ...bConn, establishedAt: 3 } }, aClose, bData, bClose]);
    const bSynAck = ps.find((p) => p.conn === 'b' && p.flags === (TCP_SYN | TCP_ACK))!;
    const aFin = ps.find((p) => p.conn === 'a' && p.flags & TCP_FIN)!;
    expect(bSynAck.t).toBe(3);
    expect(bSynAck.order).toBeLessThan(aFin.order);
    const times = ps.map((p) => p.t);
    expect(times).toEqual([...times].sort((x, y) => x - y));
  });

  it('takes the time the server side accepted from a stored connection too', () => {
    const events = tapScript([['s2c', '220 a\r\n']], { t: 0 });
    const connection = { ...(events.at(-1) as { connection: TapConnection }).connection, establishedAt: 0.5 };
    const records = events.filter((e) => e.kind === 'data').map((e) => (e as { record: TapRecord }).record);
    expect(eventsFrom([connection], records).map((e) => e.kind)).toEqual(['open', 'established', 'data', 'close']);
    const ps = packetsFrom([connection], records);
    expect(ps.slice(0, 3).map((p) => [p.flags, p.t])).toEqual([[TCP_SYN, 0], [TCP_SYN | TCP_ACK, 0.5], [TCP_ACK, 0.5]]);
  });

  it('never completes the handshake of a connection refused after its server side accepted nothing', () => {
    const events = tapScript([], { closedBy: 'refused' });
    const [open, close] = events;
    const ps = synthesize([open, close, { kind: 'established', connection: { ...(open as { connection: TapConnection }).connection, establishedAt: 1 } }]);
    expect(flagsOf(ps)).toEqual([TCP_SYN, TCP_RST | TCP_ACK]);
  });
});
