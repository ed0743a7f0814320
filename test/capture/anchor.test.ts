// Positions across a middlebox (app/capture/anchor.ts): a table of tap records on both sides of a
// stage that lengthens a reply, and where a byte on one side lands on the other.
import { describe, expect, it } from 'vitest';
import { fromSenderOffset, sidesOf, toSenderOffset } from '../../app/capture/anchor.ts';
import { TapLog, type TapConnection, type TapRecord } from '../../app/capture/tap.ts';

const ep = { ip: '192.0.2.10', port: 1 };
const conn = (point: string, side: 'client' | 'server'): TapConnection => ({ conn: 'c1', point, client: ep, server: ep, openedAt: 0, labTime: 0, side });
let seq = 0;
const rec = (point: string, dir: 'c2s' | 's2c', text: string, origin?: number): TapRecord =>
  ({ seq: seq++, conn: 'c1', point, dir, t: 0, labTime: 0, bytes: Buffer.from(text), ...(origin !== undefined ? { origin } : {}) });

// sent (client side) ── stage: "250-DSN" → "250-DSN-AND-MORE" on the way back ── wire (server side)
const records = [
  rec('wire', 's2c', '220 hi\r\n'), rec('sent', 's2c', '220 hi\r\n', 0),            // 8 bytes each side
  rec('sent', 'c2s', 'EHLO a\r\n'), rec('wire', 'c2s', 'EHLO a\r\n', 0),
  rec('wire', 's2c', '250-DSN\r\n'), rec('sent', 's2c', '250-DSN-AND-MORE\r\n', 8),  // 9 → 18 bytes
  rec('wire', 's2c', '250 OK\r\n'), rec('sent', 's2c', '250 OK\r\n', 17),          // wire 17.., sent 26..
  rec('sent', 'c2s', 'MAIL\r\n'), rec('wire', 'c2s', 'MAIL\r\n', 8),
];
/** A tap log holding these connections and records, in order (each record numbered afresh). */
function logOf(recs: TapRecord[], conns: TapConnection[]): TapLog {
  const log = new TapLog();
  for (const c of conns) log.open(c);
  for (const r of recs) log.data({ ...r });
  return log;
}
const log = logOf(records, [conn('sent', 'client'), conn('wire', 'server')]);

describe('stream positions across a middlebox', () => {
  it('knows which point is the sender\'s side', () => {
    expect(sidesOf(log, 'c1')).toEqual({ client: 'sent', server: 'wire', of: new Map([['sent', 'client'], ['wire', 'server']]) });
  });

  it.each([
    // point, dir, offset at that point → offset as sent
    ['sent', 's2c', 30, 30],
    ['wire', 's2c', 0, 0],
    ['wire', 's2c', 9, 9],    // inside the lengthened line: as many bytes in
    ['wire', 's2c', 17, 26],  // the next reply starts later on the sender's side
    ['wire', 's2c', 20, 29],
    ['wire', 'c2s', 9, 9],
    ['wire', 'c2s', 99, undefined],
  ] as const)('%s %s offset %d is offset %s as sent', (point, dir, offset, sent) => {
    expect(toSenderOffset(log, { point, conn: 'c1', dir, offset })).toBe(sent);
  });

  it.each([
    ['wire', 's2c', 26, 17],
    ['wire', 's2c', 20, 16],  // past the original line's end: clamped to the chunk it came from
    ['wire', 'c2s', 10, 10],
    ['sent', 'c2s', 10, 10],
    ['elsewhere', 'c2s', 10, undefined],
  ] as const)('offset as sent maps to %s %s: %d → %s', (point, dir, offset, there) => {
    expect(fromSenderOffset(log, 'c1', dir, offset, point)).toBe(there);
  });

  it('maps every point of a side alike: "received" records what "wire" records', () => {
    // A firewall path has two points past the box (docs/packet-view.md): the wire and the receiver's own.
    const received = records.filter((r) => r.point === 'wire').map((r) => ({ ...r, point: 'received' }));
    const three = logOf([...records, ...received], [conn('sent', 'client'), conn('wire', 'server'), conn('received', 'server')]);
    expect(sidesOf(three, 'c1').of.get('received')).toBe('server');
    for (const offset of [0, 9, 17, 20]) {
      expect(toSenderOffset(three, { point: 'received', conn: 'c1', dir: 's2c', offset })).toBe(toSenderOffset(log, { point: 'wire', conn: 'c1', dir: 's2c', offset }));
    }
    expect(fromSenderOffset(three, 'c1', 's2c', 26, 'received')).toBe(17);
  });
});
