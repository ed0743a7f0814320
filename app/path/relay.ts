/**
 * A recording relay: a real TCP proxy on 127.0.0.1 that every connection between organisations
 * crosses (docs/lab.md, "Paths and capture points": every hop is tapped). It drives a middlebox `Pipeline` (app/path/pipeline.ts)
 * and reports every chunk to the tap log at the capture points on either side of it:
 *
 *   sender ──► [clientPoints] ──► pipeline stages ──► [serverPoints] ──► receiver
 *
 * A side may have several points (a firewall's wire records what its side records). On a
 * `direct` path, and in front of a host's listener, both sides are the same one point and the
 * pipeline is `pass`: one record per chunk.
 */
import net from 'node:net';
import type { CapturePoint, Direction, Endpoint, StageMark, TapConnection, TapSink } from '../capture/tap.ts';
import type { Pipeline, PipelineOutput } from './pipeline.ts';
import type { Timers } from '../base/timers.ts';
import type { LabClock } from '../base/clock.ts';

export interface RelayOptions {
  target: { host: string; port: number };
  createPipeline(conn: string): Pipeline;
  /** Where the connecting side is recorded (before the pipeline), and the far side (after it). */
  clientPoints: CapturePoint[];
  serverPoints: CapturePoint[];
  /** Simulated endpoints for the packet view: the sender's address and the receiver's. */
  clientEndpoint(): Endpoint;
  serverEndpoint: Endpoint;
  tap: TapSink;
  timers: Timers;
  clock: LabClock;
  /** Real ms since lab start. */
  elapsed(): number;
  nextConnId(): string;
  /** The relay's own connection onward is up: its loopback source port and the port it reached. */
  onUpstream?(conn: string, localPort: number, remotePort: number): void;
}

export interface Relay {
  port: number;
  close(): Promise<void>;
}

/**
 * FIN towards a socket unless one was already sent or it is gone. A second `end()` on a Node
 * socket builds an ERR_STREAM_ALREADY_FINISHED error with its stack trace that nobody reads: the
 * relay used to do that on most closes (the half-close passed on, then the other side's close),
 * 2.4 % of a profile of sessions through the path (docs/bench.md).
 */
function endOnce(socket: net.Socket): void {
  if (!socket.writableEnded && !socket.destroyed) socket.end();
}

export async function startRelay(o: RelayOptions): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => handle(client));
  server.on('error', () => undefined);

  function handle(client: net.Socket): void {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const conn = o.nextConnId();
    const base = (point: CapturePoint, side: 'client' | 'server'): TapConnection => ({
      conn, point: point.id, client: o.clientEndpoint(), server: o.serverEndpoint,
      openedAt: o.elapsed(), labTime: o.clock.now(), loopbackClientPort: client.remotePort, loopbackServerPort: client.localPort, side,
    });
    // One simulated client endpoint for every point of this connection.
    const first = base(o.clientPoints[0], 'client');
    const at = (point: CapturePoint, side: 'client' | 'server'): TapConnection =>
      point === o.clientPoints[0] ? first : { ...base(point, side), client: first.client };
    const cConns = o.clientPoints.map((p) => at(p, 'client'));
    // A point on both sides (a direct path) records each chunk once, as it arrives.
    const sConns = o.serverPoints.filter((p) => !o.clientPoints.includes(p)).map((p) => at(p, 'server'));
    const samePoint = sConns.length === 0;
    for (const c of [...cConns, ...sConns]) o.tap.open(c);
    const record = (points: TapConnection[], dir: Direction, bytes: Buffer, marks?: StageMark[], origin?: number) => {
      if (bytes.length === 0 && !marks?.length) return;
      for (const point of points) {
        o.tap.data({ conn, point: point.point, dir, t: o.elapsed(), labTime: o.clock.now(), bytes, marks, ...(origin !== undefined ? { origin } : {}) });
      }
    };
    // Bytes read so far from each side: the offset a push starts at, on the side it came from.
    const read: Record<Direction, number> = { c2s: 0, s2c: 0 };
    let closed = false;
    const finish = (by: TapConnection['closedBy'], reason?: string) => {
      if (closed) return;
      closed = true;
      for (const c of [...cConns, ...sConns]) {
        c.closedAt = o.elapsed();
        c.closedBy = by;
        if (reason) c.closeReason = reason;
        o.tap.close(c);
      }
    };

    const pipeline = o.createPipeline(conn);
    const upstream = new net.Socket();
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => undefined);
    let upstreamReady = false;
    const pendingUp: Buffer[] = [];
    // Delivery queues keep order when a stage delays some bytes (latency, bandwidth).
    const due: Record<Direction, number> = { c2s: 0, s2c: 0 };

    // `half-close`: one side sent FIN; pass it on in order, after any delayed bytes (TCP half-close).
    type Step = PipelineOutput | { type: 'half-close'; dir: Direction; delayMs?: number };
    /** `from`: the direction and offset of the push that produced these outputs. */
    const carry = (outputs: Step[], from?: { dir: Direction; offset: number }) => {
      for (const out of outputs) {
        const delay = out.delayMs ?? 0;
        const dir: Direction = out.type === 'close' ? 'c2s' : out.dir;
        const at = Math.max(o.timers.now() + delay, due[dir]);
        due[dir] = at;
        const act = () => perform(out, from?.dir === dir ? from.offset : undefined);
        const wait = at - o.timers.now();
        if (wait > 0) o.timers.setTimeout(act, wait);
        else act();
      }
    };
    const perform = (out: Step, origin?: number) => {
      if (out.type === 'half-close') {
        endOnce(out.dir === 'c2s' ? upstream : client);
        return;
      }
      if (out.type === 'close') {
        if (out.how === 'reset') {
          client.resetAndDestroy();
          upstream.resetAndDestroy();
          finish('reset', out.reason);
        } else {
          endOnce(client);
          endOnce(upstream);
        }
        return;
      }
      if (out.dir === 'c2s') {
        if (!samePoint) record(sConns, 'c2s', out.bytes, out.marks, origin);
        if (upstreamReady) upstream.write(out.bytes);
        else pendingUp.push(out.bytes);
      } else {
        if (!samePoint) record(cConns, 's2c', out.bytes, out.marks, origin);
        if (!client.destroyed) client.write(out.bytes);
      }
    };

    const opening = pipeline.open();
    const refusal = opening.find((x) => x.type === 'close');
    if (refusal) {
      // The `block` stage: refuse as a firewall would, with a reset.
      client.resetAndDestroy();
      finish('refused', refusal.reason);
      return;
    }
    carry(opening);

    client.on('data', (bytes: Buffer) => {
      record(cConns, 'c2s', bytes);
      const offset = read.c2s;
      read.c2s += bytes.length;
      carry(pipeline.push('c2s', bytes), { dir: 'c2s', offset });
    });
    client.on('end', () => carry([...pipeline.end('c2s'), { type: 'half-close', dir: 'c2s' }]));
    client.on('close', () => {
      if (!upstream.destroyed) upstream.destroy();
      finish('client');
    });

    upstream.on('data', (bytes: Buffer) => {
      record(samePoint ? cConns : sConns, 's2c', bytes);
      const offset = read.s2c;
      read.s2c += bytes.length;
      carry(pipeline.push('s2c', bytes), { dir: 's2c', offset });
    });
    upstream.on('end', () => carry([...pipeline.end('s2c'), { type: 'half-close', dir: 's2c' }]));
    upstream.on('close', () => {
      endOnce(client);
      finish('server');
    });
    upstream.on('error', () => {
      // The receiver is not there (connection refused): the sender sees the connection drop.
      if (!upstreamReady) client.resetAndDestroy();
    });
    upstream.connect(o.target.port, o.target.host, () => {
      upstreamReady = true;
      o.onUpstream?.(conn, upstream.localPort ?? 0, upstream.remotePort ?? o.target.port);
      for (const b of pendingUp.splice(0)) upstream.write(b);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
