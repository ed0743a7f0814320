/**
 * What the lab knows about each tapped connection, gathered once from the tap log, the queue
 * entries' attempts and the leak detector: who talked to whom, which protection the session
 * reached (TLS version and verification, NTLM seal and key bits), whether canaries crossed in
 * clear, what a middlebox stage changed, and how it ended. The topology's link states, the replay
 * timeline and the firewall's view all read these facts, never the sockets.
 */
import type { Lab } from '../lab/lab.ts';
import type { StageMark, TapConnection, TapRecord } from '../capture/tap.ts';
import type { Attempt, QueueEntry } from '../mta/queue.ts';

export interface ConnFacts {
  conn: string;
  point: string;
  path: string;
  connection: TapConnection;
  records: TapRecord[];
  /** The queue entry and attempt that used this connection (a lab sender's session). */
  entry?: QueueEntry;
  attempt?: Attempt;
  attemptIndex?: number;
  /** A terminal session's own knowledge (app/terminal/). */
  terminal?: { tls?: { protocol: string; verified: boolean } };
  leak: boolean;
  marks: { record: TapRecord; mark: StageMark }[];
}

/** Who else knows about a connection's protection (the terminal service). */
export interface ExtraFacts {
  terminal(conn: string): ConnFacts['terminal'] | undefined;
}

function attemptsByConn(lab: Lab): Map<string, { entry: QueueEntry; attempt: Attempt; index: number }> {
  const out = new Map<string, { entry: QueueEntry; attempt: Attempt; index: number }>();
  for (const server of lab.servers.values()) {
    for (const entry of server.entries.values()) {
      entry.attempts.forEach((attempt, index) => {
        if (attempt.conn) out.set(attempt.conn, { entry, attempt, index });
      });
    }
  }
  return out;
}

/** Facts of every connection at every capture point, in the order the connections opened. */
export function connectionFacts(lab: Lab, extra?: ExtraFacts): ConnFacts[] {
  const byAttempt = attemptsByConn(lab);
  const leaks = new Set(lab.markLeaks().map((h) => `${h.point}/${h.conn}`));
  const records = new Map<string, TapRecord[]>();
  for (const r of lab.taps.records) {
    const key = `${r.point}/${r.conn}`;
    const list = records.get(key);
    if (list) list.push(r);
    else records.set(key, [r]);
  }
  const pathOf = new Map<string, string>();
  for (const p of lab.capture.points()) pathOf.set(p.id, lab.capture.capturePoint(p.id)?.path ?? p.id);
  const out: ConnFacts[] = [];
  for (const [key, connection] of lab.taps.connections) {
    const recs = records.get(key) ?? [];
    const used = byAttempt.get(connection.conn);
    const terminal = extra?.terminal(connection.conn);
    out.push({
      conn: connection.conn, point: connection.point, path: pathOf.get(connection.point) ?? connection.point, connection, records: recs,
      ...(used ? { entry: used.entry, attempt: used.attempt, attemptIndex: used.index } : {}),
      ...(terminal ? { terminal } : {}),
      leak: leaks.has(key),
      marks: recs.flatMap((record) => (record.marks ?? []).map((mark) => ({ record, mark }))),
    });
  }
  return out.sort((a, b) => a.connection.openedAt - b.connection.openedAt || connNumber(a.conn) - connNumber(b.conn));
}

function connNumber(conn: string): number {
  return Number(/\d+/.exec(conn)?.[0] ?? 0);
}

/**
 * The first packet that carries a record's bytes (or its marks), if still held: its frame number
 * within the record's own capture point (`record.point`), as that point's packet list shows it.
 */
export function packetOf(lab: Lab, record: TapRecord): number | undefined {
  return lab.capture.packetsOfRecord(record.seq)[0]?.no;
}
