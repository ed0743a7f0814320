/**
 * The relay thread (docs/decisions.md, "The paths run on a thread of their own"): the lab's path
 * relays — its firewalls and direct hops — run here, on a core of their own, as a firewall is a box
 * of its own. Each connection is the same `RelayConnection` the lab runs in its own thread when it
 * cannot use this one (relay.ts); only the tap sink differs: it hands each event to the lab
 * (relay-wire.ts; a plain chunk's record through shared memory, record-ring.ts) before the bytes it
 * describes move on.
 *
 * One thread serves every lab of the process; each lab attaches with ports of its own.
 */
import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { createRng, type Rng } from '../base/rng.ts';
import { realTimers } from '../base/timers.ts';
import type { TapConnection, TapRecord, TapSink } from '../capture/tap.ts';
import type { Pipeline } from './pipeline.ts';
import { stagePipeline, type StageRef } from './profiles.ts';
import type { StageContext } from './stages/index.ts';
import { startRelay, type Relay } from './relay.ts';
import {
  Slot, epochNow, nextClientPort, nextConnId, ownBytes, toWireMarks,
  type ControlReply, type ControlRequest, type LabAttach, type PathChange, type Posted, type RelaySpec, type WireRecord,
} from './relay-wire.ts';
import { RingWriter, nextSeq } from './record-ring.ts';

class AttachedLab {
  readonly #a: LabAttach;
  readonly #counters: Int32Array;
  readonly #rng: Rng;
  readonly #relays = new Map<number, Relay>();
  /** Each path's pipeline factory, from the stages the lab resolved. */
  readonly #paths = new Map<string, (ctx: StageContext) => Pipeline>();
  #pathsVersion = 0;
  #nextRelay = 0;
  readonly #sink: TapSink;
  readonly #ring: RingWriter;
  /** The last record's sequence number, ring and port alike: the lab takes them in this order. */
  #seq = 0;

  constructor(a: LabAttach) {
    this.#a = a;
    this.#counters = new Int32Array(a.counters);
    this.#rng = createRng(a.seed);
    for (const [id, stages] of Object.entries(a.pathStages)) this.#setPath(id, stages);
    this.#pathsVersion = Atomics.load(this.#counters, Slot.PATHS_VERSION);
    this.#ring = new RingWriter(a.ring);
    this.#sink = {
      open: (c) => this.#post(['open', { ...c }]),
      data: (r: Omit<TapRecord, 'seq'>) => {
        // A plain chunk goes through the ring; one with stage marks or an origin, or one that does not fit now, as a message.
        const seq = nextSeq(this.#seq);
        if (r.marks === undefined && r.origin === undefined && this.#ring.write(seq, r.conn, r.point, r.dir, r.t, r.bytes)) {
          this.#seq = seq;
          this.#wake();
        } else this.#post(['data', r.conn, r.point, r.dir, r.t, ownBytes(r.bytes), toWireMarks(r.marks), r.origin]);
      },
      close: (c: TapConnection) => {
        this.#post(['close', c.conn, c.point, c.closedAt, c.closedBy, c.closeReason]);
        this.#ring.forget(c.conn);
      },
    };
    a.control.on('message', (req: ControlRequest) => void this.#handle(req));
  }

  /** Post a record with the next sequence number, and wake the lab. */
  #post(record: WireRecord): void {
    this.#seq = nextSeq(this.#seq);
    this.#a.records.postMessage([this.#seq, record] satisfies Posted);
    this.#wake();
  }

  /** Wake the lab to read its records, unless a wake is already on its way. */
  #wake(): void {
    if (Atomics.compareExchange(this.#counters, Slot.WAKE_PENDING, 0, 1) === 0) this.#a.wake.postMessage(0);
  }

  /** The path changes the lab posted before this connection arrived (it bumps the version after posting). */
  #catchUpPaths(): void {
    const version = Atomics.load(this.#counters, Slot.PATHS_VERSION);
    while (this.#pathsVersion < version) {
      const m = receiveMessageOnPort(this.#a.paths);
      if (!m) break;
      const change = m.message as PathChange;
      this.#setPath(change.path, change.stages);
      this.#pathsVersion++;
    }
  }

  #setPath(id: string, stages: StageRef[]): void {
    this.#paths.set(id, stagePipeline(stages));
  }

  async #handle(req: ControlRequest): Promise<void> {
    const reply = (r: Omit<ControlReply, 'id'>) => this.#a.control.postMessage({ id: req.id, ...r } satisfies ControlReply);
    try {
      if (req.op === 'start') {
        const relay = await this.#start(req.spec);
        const id = ++this.#nextRelay;
        this.#relays.set(id, relay);
        reply({ relay: id, port: relay.port });
      } else if (req.op === 'close') {
        await this.#relays.get(req.relay)?.close();
        this.#relays.delete(req.relay);
        reply({});
      } else {
        await Promise.all([...this.#relays.values()].map((r) => r.close()));
        this.#relays.clear();
        reply({});
        for (const port of [this.#a.control, this.#a.records, this.#a.wake, this.#a.paths]) port.close();
      }
    } catch (error) {
      reply({ error: error instanceof Error ? error.message : String(error) });
    }
  }

  #start(spec: RelaySpec): Promise<Relay> {
    const counters = this.#counters;
    const { path } = spec;
    return startRelay({
      target: spec.target,
      createPipeline: (conn) => {
        this.#catchUpPaths();
        const build = this.#paths.get(path);
        if (!build) throw new Error(`the relay thread has no stages for path ${path}`);
        // The same stream the lab would fork in its own thread: a fork depends on the seed and the label only.
        return build({ rng: this.#rng.fork(`path:${path}:${conn}`), conn, now: () => realTimers.now() });
      },
      clientPoints: spec.clientPoints, serverPoints: spec.serverPoints,
      clientEndpoint: () => ({ ...spec.client, port: nextClientPort(counters) }),
      serverEndpoint: spec.serverEndpoint,
      tap: this.#sink, timers: realTimers,
      // Stamped by the lab as it reads the record: its clock moves only in its own thread.
      labTime: () => 0,
      elapsed: () => epochNow() - this.#a.startedAt,
      nextConnId: () => nextConnId(counters),
      onUpstream: (conn, local, remote, at) => this.#post(['upstream', conn, local, remote, at]),
      connecting: {
        start: () => Atomics.add(counters, Slot.CONNECTING, 1),
        done: () => {
          Atomics.sub(counters, Slot.CONNECTING, 1);
          Atomics.notify(counters, Slot.CONNECTING);
        },
      },
    });
  }
}

if (!parentPort) throw new Error('relay-worker.ts runs as a worker thread (relay-thread.ts starts it)');
parentPort.on('message', (m: LabAttach) => {
  if (m.type === 'attach') new AttachedLab(m);
});
parentPort.postMessage('ready');
