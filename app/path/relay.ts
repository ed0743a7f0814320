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
import { closeListener, listenLoopback } from '../base/loopback.ts';
import type { CapturePoint, Direction, Endpoint, StageMark, TapConnection, TapRecord, TapSink } from '../capture/tap.ts';
import { passPipeline, type Pipeline, type PipelineOutput } from './pipeline.ts';
import type { Timers } from '../base/timers.ts';
import { deferReasons, format } from '../smtp/replies.ts';

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
  /** The lab clock's reading for a record (ms since epoch). */
  labTime(): number;
  /** Real ms since lab start. */
  elapsed(): number;
  nextConnId(): string;
  /**
   * The relay's own connection onward is up: its loopback source port, the port it reached, and
   * when (real ms since lab start: the receiver's SYN/ACK in the packet view).
   */
  onUpstream?(conn: string, localPort: number, remotePort: number, at: number): void;
  /**
   * The connection onward is being made (`start`), and is up or failed (`done`, after `onUpstream`).
   * A relay on its own thread (relay-thread.ts) tells the lab, which may meet the receiving end of
   * that connection before the relay has named its socket.
   */
  connecting?: { start(): void; done(): void };
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

/** How a failed connect reads in an MTA's log: the C library's words for the errno (strerror). */
function connectErrorWords(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED': return 'Connection refused';
    case 'ETIMEDOUT': return 'Connection timed out';
    case 'EHOSTUNREACH': return 'No route to host';
    case 'ENETUNREACH': return 'Network is unreachable';
    default: return error.message;
  }
}

/** One output of the pipeline, or a FIN one side sent, passed on in order after any delayed bytes (TCP half-close). */
type Step = PipelineOutput | { type: 'half-close'; dir: Direction; delayMs?: number }
  /** The receiver's socket closed: the sender's goes too, after the bytes still due to it. */
  | { type: 'server-closed'; dir: 's2c'; delayMs?: number };

/**
 * One connection through the relay: its two sockets, its pipeline and its tap records. A class,
 * not a nest of closures per connection: its methods are shared, so a connection costs one object
 * and the socket listeners (docs/bench.md, "Where the time goes": a session through the path pays
 * the relay's fixed cost per connection).
 */
class RelayConnection {
  readonly #o: RelayOptions;
  readonly #client: net.Socket;
  // Half-open, as on the client's side: a FIN passes on and the other direction stays open.
  readonly #upstream = new net.Socket({ allowHalfOpen: true });
  readonly #conn: string;
  readonly #pipeline: Pipeline;
  /** The points before the pipeline, and the ones only after it (none on a direct path). */
  readonly #cConns: TapConnection[] = [];
  readonly #sConns: TapConnection[] = [];
  /** Bytes read so far from each side: the offset a push starts at, on the side it came from. */
  #readC2s = 0;
  #readS2c = 0;
  /** Delivery queues keep order when a stage delays some bytes (latency, bandwidth): when each direction's last delivery is due. */
  #dueC2s = 0;
  #dueS2c = 0;
  #endpoint: Endpoint | undefined;
  #closed = false;
  /** A stage threw: the connection was reset and nothing more goes through it. */
  #failed = false;
  #upstreamClosed = false;
  /** Whose FIN came first: the side that closed the connection (the packet view draws its FIN first). */
  #firstFin: 'client' | 'server' | undefined;
  #upstreamReady = false;
  /** Between `connecting.start` and `done`. */
  #connecting = false;
  readonly #pendingUp: Buffer[] = [];

  constructor(o: RelayOptions, client: net.Socket, relayPort: number, serverOnly: readonly CapturePoint[], sockets: Set<net.Socket>) {
    this.#o = o;
    this.#client = client;
    const conn = this.#conn = o.nextConnId();
    // The client's loopback port needs getpeername; the port it connected to is the relay's own
    // listening port, known without asking the kernel.
    const loopbackClientPort = client.remotePort;
    for (const p of o.clientPoints) this.#cConns.push(this.#point(p, 'client', loopbackClientPort, relayPort));
    for (const p of serverOnly) this.#sConns.push(this.#point(p, 'server', loopbackClientPort, relayPort));
    for (const c of this.#cConns) o.tap.open(c);
    for (const c of this.#sConns) o.tap.open(c);

    let failure: { error: unknown } | undefined;
    try {
      this.#pipeline = o.createPipeline(conn);
    } catch (error) {
      failure = { error };
      this.#pipeline = passPipeline();
    }
    const upstream = this.#upstream;
    sockets.add(upstream);
    client.on('close', () => {
      sockets.delete(client);
      if (!upstream.destroyed) upstream.destroy();
      // The receiver's close may still be queued behind delayed bytes: it came first all the same.
      this.#finish(this.#firstFin ?? (this.#upstreamClosed ? 'server' : 'client'));
    });
    client.on('error', () => undefined);
    upstream.on('close', () => {
      sockets.delete(upstream);
      this.#upstreamClosed = true;
      this.#connectDone();
      // In order behind what a stage still holds for the client (a latency stage's last reply, a
      // `221` written just before the close), as a real firewall forwards the FIN after the data.
      this.#carry([{ type: 'server-closed', dir: 's2c' }]);
    });
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      // The receiver is not there: its host answered the SYN with RST (RFC 9293 §3.10.7.1), and
      // the relay passes that on as the reset of the sender's connection. Recorded as refused
      // before the reset leaves, with the words an MTA logs (Postfix: "connect to
      // mx.example[203.0.113.5]:25: Connection refused"): the packet view draws SYN then RST, and
      // delivery reads the refusal instead of "lost connection" (app/lab/delivery.ts).
      if (!this.#upstreamReady) {
        const to = o.serverEndpoint;
        this.#finish('refused', format(deferReasons.connectFailed, `${to.host ?? to.ip}[${to.ip}]:${to.port}`, connectErrorWords(error)));
        client.resetAndDestroy();
        this.#connectDone();
      }
    });

    if (failure) {
      this.#broken(failure.error);
      return;
    }
    const opening = this.#stage(() => this.#pipeline.open());
    if (this.#failed) return;
    const refusal = opening.find((x) => x.type === 'close');
    if (refusal) {
      // The `block` stage: refuse as a firewall would, with a reset (recorded first, as in #reset).
      this.#finish('refused', refusal.reason);
      client.resetAndDestroy();
      return;
    }
    this.#carry(opening);

    client.on('data', (bytes: Buffer) => this.#fromClient(bytes));
    client.on('end', () => this.#ended('c2s'));
    upstream.on('data', (bytes: Buffer) => this.#fromServer(bytes));
    upstream.on('end', () => this.#ended('s2c'));
    o.connecting?.start();
    this.#connecting = true;
    upstream.connect(o.target.port, o.target.host, () => this.#connected());
  }

  #connectDone(): void {
    if (!this.#connecting) return;
    this.#connecting = false;
    this.#o.connecting?.done();
  }

  /**
   * The record of this connection at one point. One simulated client endpoint for every point of
   * the connection; `clientEndpoint` is still asked once per point, so each later connection's
   * simulated port moves on by that many.
   */
  #point(point: CapturePoint, side: 'client' | 'server', loopbackClientPort: number | undefined, loopbackServerPort: number): TapConnection {
    const o = this.#o;
    const endpoint = o.clientEndpoint();
    this.#endpoint ??= endpoint;
    return {
      conn: this.#conn, point: point.id, client: this.#endpoint, server: o.serverEndpoint,
      openedAt: o.elapsed(), labTime: o.labTime(), loopbackClientPort, loopbackServerPort, side,
    };
  }

  #fromClient(bytes: Buffer): void {
    this.#record(this.#cConns, 'c2s', bytes, undefined, undefined);
    const offset = this.#readC2s;
    this.#readC2s += bytes.length;
    this.#carry(this.#stage(() => this.#pipeline.push('c2s', bytes)), 'c2s', offset);
  }

  #fromServer(bytes: Buffer): void {
    // A point on both sides (a direct path) records each chunk once, as it arrives.
    this.#record(this.#sConns.length === 0 ? this.#cConns : this.#sConns, 's2c', bytes, undefined, undefined);
    const offset = this.#readS2c;
    this.#readS2c += bytes.length;
    this.#carry(this.#stage(() => this.#pipeline.push('s2c', bytes)), 's2c', offset);
  }

  #ended(dir: Direction): void {
    this.#firstFin ??= dir === 'c2s' ? 'client' : 'server';
    this.#carry(this.#stage(() => this.#pipeline.end(dir)));
    if (!this.#failed) this.#carry([{ type: 'half-close', dir }]);
  }

  /**
   * What a stage made of its input; when a stage throws, nothing, and the connection is reset: a
   * middlebox that breaks passes no bytes on (fail closed), and the relay goes on serving others.
   */
  #stage(run: () => PipelineOutput[]): PipelineOutput[] {
    if (this.#failed) return [];
    try {
      return run();
    } catch (error) {
      this.#broken(error);
      return [];
    }
  }

  #broken(error: unknown): void {
    this.#failed = true;
    this.#reset(`the middlebox failed: ${error instanceof Error ? error.message : String(error)}`);
  }

  /**
   * Reset both sides. The close and its reason are recorded before the resets leave, as a chunk is
   * recorded before it moves on: on the relay thread the sender could otherwise see its connection
   * reset, and the lab name the cause, before the record that says who reset it had arrived.
   */
  #reset(reason: string | undefined): void {
    this.#finish('reset', reason);
    this.#client.resetAndDestroy();
    this.#upstream.resetAndDestroy();
  }

  #connected(): void {
    this.#upstreamReady = true;
    // The source port needs getsockname; the port reached is the target's.
    this.#o.onUpstream?.(this.#conn, this.#upstream.localPort ?? 0, this.#o.target.port, this.#o.elapsed());
    this.#connectDone();
    for (const b of this.#pendingUp.splice(0)) this.#upstream.write(b);
  }

  #record(points: TapConnection[], dir: Direction, bytes: Buffer, marks: StageMark[] | undefined, origin: number | undefined): void {
    if (bytes.length === 0 && !marks?.length) return;
    const o = this.#o;
    for (const point of points) {
      // A fresh object per record: the tap log numbers it in place (app/capture/tap.ts).
      const record: Omit<TapRecord, 'seq'> = { conn: this.#conn, point: point.point, dir, t: o.elapsed(), labTime: o.labTime(), bytes, marks };
      if (origin !== undefined) record.origin = origin;
      o.tap.data(record);
    }
  }

  #finish(by: TapConnection['closedBy'], reason?: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#cConns) this.#close(c, by, reason);
    for (const c of this.#sConns) this.#close(c, by, reason);
  }

  #close(c: TapConnection, by: TapConnection['closedBy'], reason: string | undefined): void {
    c.closedAt = this.#o.elapsed();
    c.closedBy = by;
    if (reason) c.closeReason = reason;
    this.#o.tap.close(c);
  }

  /** `from`, `offset`: the direction and offset of the push that produced these outputs. */
  #carry(outputs: Step[], from?: Direction, offset?: number): void {
    const timers = this.#o.timers;
    for (const out of outputs) {
      const delay = out.delayMs ?? 0;
      const dir: Direction = out.type === 'close' ? 'c2s' : out.dir;
      const origin = from === dir ? offset : undefined;
      const now = timers.now();
      const due = dir === 'c2s' ? this.#dueC2s : this.#dueS2c;
      // Nothing delayed ahead of it in its direction and no delay of its own: at once, without a
      // closure (every chunk of a `pass` path takes this way).
      if (delay === 0 && due <= now) {
        this.#setDue(dir, now);
        this.#perform(out, origin);
        continue;
      }
      const at = Math.max(now + delay, due);
      this.#setDue(dir, at);
      const wait = at - timers.now();
      if (wait > 0) timers.setTimeout(() => this.#perform(out, origin), wait);
      else this.#perform(out, origin);
    }
  }

  #setDue(dir: Direction, at: number): void {
    if (dir === 'c2s') this.#dueC2s = at;
    else this.#dueS2c = at;
  }

  #perform(out: Step, origin: number | undefined): void {
    const client = this.#client;
    const upstream = this.#upstream;
    if (out.type === 'half-close') {
      endOnce(out.dir === 'c2s' ? upstream : client);
      return;
    }
    if (out.type === 'server-closed') {
      endOnce(client);
      this.#finish(this.#firstFin ?? 'server');
      return;
    }
    if (out.type === 'close') {
      if (out.how === 'reset') this.#reset(out.reason);
      else {
        endOnce(client);
        endOnce(upstream);
      }
      return;
    }
    const samePoint = this.#sConns.length === 0;
    if (out.dir === 'c2s') {
      if (!samePoint) this.#record(this.#sConns, 'c2s', out.bytes, out.marks, origin);
      if (this.#upstreamReady) upstream.write(out.bytes);
      else this.#pendingUp.push(out.bytes);
    } else {
      if (!samePoint) this.#record(this.#cConns, 's2c', out.bytes, out.marks, origin);
      if (!client.destroyed) client.write(out.bytes);
    }
  }
}

export async function startRelay(o: RelayOptions): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  // A point on both sides (a direct path) belongs to the client side: worked out once per relay.
  const serverOnly = o.serverPoints.filter((p) => !o.clientPoints.includes(p));
  let port = 0;
  // Half-open (RFC 9293 §3.6: a FIN closes one direction): a client that sends its commands and
  // then its FIN, as `nc -N` does, still reads every reply, as it would through a real firewall.
  // Node's default ends the client's side as soon as its FIN arrives, and the replies were lost.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    sockets.add(client);
    new RelayConnection(o, client, port, serverOnly, sockets);
  });
  server.on('error', () => undefined);
  port = await listenLoopback(server);
  return { port, close: () => closeListener(server, sockets) };
}
