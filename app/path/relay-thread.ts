/**
 * The lab's side of its relay thread (docs/decisions.md, "The paths run on a thread of their own";
 * the protocol: relay-wire.ts; the thread: relay-worker.ts).
 *
 * Every message between organisations crosses a recording relay, and in one thread that hop cost
 * as much as the lab's whole mail system: a second TCP connection, each chunk read and written once
 * more (docs/bench.md, "The ceiling of one more hop"). A firewall is a box of its own; here it is
 * a thread of its own, on the second core, while the mail servers keep the first.
 *
 * The tap log stays in the lab's thread. Whenever the lab reads it (`drain`), it first takes every
 * record the thread has sent (as a message, or a plain chunk's through shared memory: record-ring.ts):
 * the thread sends a chunk's record before it writes the chunk on, so whatever a sender or receiver
 * has seen on its socket is already in the log when it asks.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { Direction, StageMark, TapConnection, TapSink } from '../capture/tap.ts';
import { RingReader, olderSeq, ringMemory, type RingRecord } from './record-ring.ts';
import type { StageRef } from './profiles.ts';
import type { Relay } from './relay.ts';
import {
  Slot, asBuffer, fromWireMarks,
  type ControlOp, type ControlReply, type ControlRequest, type LabAttach, type PathChange, type Posted, type RelaySpec, type WireRecord,
} from './relay-wire.ts';

/** The thread's entry in the source tree (it registers tsx); a built app names its bundled one (`setRelayWorkerEntry`). */
const SOURCE_ENTRY = './relay-worker-source.mjs';
let entry: URL | undefined;
/** How long a lab waits for a new thread to load before it runs its relays in its own. */
const READY_TIMEOUT_MS = 20_000;
/**
 * How long a receiving server waits, at most, for the thread to name a connection it has just
 * accepted (`waitForUpstream`). Both ends see the handshake complete at once; the thread names the
 * socket microseconds later.
 */
const NAME_WAIT_MS = 50;
/**
 * How long a lab's stop waits for the thread to close a relay or let the lab go. A thread that has
 * not answered by then is let go of (`threadGone`): a stopping lab must end, and a control port
 * waiting for an answer would keep the process alive.
 */
const STOP_WAIT_MS = 5_000;

/** A bundled app's thread entry (main/engine-entry.ts); by default the source file beside this one. */
export function setRelayWorkerEntry(url: URL): void {
  entry = url;
}

let shared: Promise<Worker | null> | undefined;
const attached = new Set<LabRelayThread>();

/**
 * The process's relay thread, started on first use; null when it cannot start (the lab then runs its
 * relays in its own thread). It never keeps the process alive by itself.
 */
function relayWorker(): Promise<Worker | null> {
  shared ??= new Promise<Worker | null>((resolve) => {
    const url = entry ?? new URL(SOURCE_ENTRY, import.meta.url);
    let worker: Worker;
    try {
      worker = new Worker(url);
    } catch {
      resolve(null);
      return;
    }
    const timer = setTimeout(() => {
      resolve(null);
      void worker.terminate();
    }, READY_TIMEOUT_MS);
    timer.unref();
    worker.once('message', (m) => {
      clearTimeout(timer);
      // Ready: from now on it never keeps the process alive by itself.
      worker.unref();
      resolve(m === 'ready' ? worker : null);
    });
    // A thread that dies takes its listeners with it: its labs are told, and the next lab starts another.
    worker.on('error', () => undefined);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve(null);
      shared = undefined;
      for (const t of attached) t.threadGone();
    });
  });
  return shared;
}

export interface RelayThreadOptions {
  /** The lab's counters (`Slot`, over a SharedArrayBuffer): the thread draws ids and ports from them too. */
  counters: Int32Array;
  seed: number;
  /** The lab's start, epoch ms (`performance.timeOrigin + performance.now()` at start). */
  startedAt: number;
  /** Each path's stages, resolved in the lab's registries (app/path/middlebox.ts `pathStages`). */
  paths: { id: string; stages: StageRef[] }[];
  /** Where the records go (the lab's tap log), with the lab clock's reading for each. */
  tap: TapSink;
  labTime(): number;
  onUpstream(conn: string, localPort: number, remotePort: number, at: number): void;
}

/** One lab's attachment to the relay thread. */
export class LabRelayThread {
  readonly #o: RelayThreadOptions;
  readonly #control: MessagePort;
  readonly #records: MessagePort;
  readonly #wake: MessagePort;
  readonly #paths: MessagePort;
  /** Shared with the thread: see `Slot`. */
  readonly counters: Int32Array;
  /** Each connection point the thread opened, until it closes: the object the tap log holds. */
  readonly #open = new Map<string, TapConnection>();
  readonly #pending = new Map<number, { resolve(r: ControlReply): void; reject(e: Error): void }>();
  #nextId = 0;
  #gone = false;
  /** A reader of the tap log inside a tap event (a subscriber) must not start a second drain. */
  #draining = false;
  /** The chunk records the thread wrote into shared memory (record-ring.ts). */
  readonly #ring: RingReader;

  private constructor(worker: Worker, o: RelayThreadOptions) {
    this.#o = o;
    const control = new MessageChannel(), records = new MessageChannel(), wake = new MessageChannel(), paths = new MessageChannel();
    this.counters = o.counters;
    const counters = o.counters.buffer as SharedArrayBuffer;
    this.#control = control.port1;
    this.#records = records.port1;
    this.#wake = wake.port1;
    this.#paths = paths.port1;
    const ring = ringMemory();
    this.#ring = new RingReader(ring);
    const attach: LabAttach = {
      type: 'attach', control: control.port2, records: records.port2, wake: wake.port2, paths: paths.port2, counters, ring,
      seed: o.seed, startedAt: o.startedAt, pathStages: Object.fromEntries(o.paths.map((p) => [p.id, p.stages])),
    };
    worker.postMessage(attach, [control.port2, records.port2, wake.port2, paths.port2]);
    this.#control.on('message', (r: ControlReply) => {
      const waiting = this.#pending.get(r.id);
      this.#pending.delete(r.id);
      if (this.#pending.size === 0) this.#control.unref();
      waiting?.resolve(r);
    });
    this.#wake.on('message', () => this.drain());
    // Neither keeps the process alive: the lab's own listeners and timers do while it runs. The
    // control port does while a request waits for its answer (`#request`).
    this.#control.unref();
    this.#wake.unref();
  }

  /** Attach a lab to the process's relay thread; null when there is none (the lab relays in its own thread). */
  static async attach(o: RelayThreadOptions): Promise<LabRelayThread | null> {
    const worker = await relayWorker();
    if (!worker) return null;
    const t = new LabRelayThread(worker, o);
    attached.add(t);
    return t;
  }

  #request(req: ControlOp): Promise<ControlReply> {
    if (this.#gone) return Promise.reject(new Error('the relay thread has stopped'));
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      if (this.#pending.size === 0) this.#control.ref();
      this.#pending.set(id, { resolve, reject });
      this.#control.postMessage({ ...req, id } satisfies ControlRequest);
    });
  }

  /** A relay on the thread: listening on 127.0.0.1 when this resolves. */
  async startRelay(spec: RelaySpec): Promise<Relay> {
    const r = await this.#request({ op: 'start', spec });
    if (r.error !== undefined || r.port === undefined || r.relay === undefined) throw new Error(`the relay thread could not start a relay: ${r.error ?? 'no port'}`);
    const relay = r.relay;
    return {
      port: r.port,
      close: async () => {
        if (this.#gone) return;
        await this.#stopRequest({ op: 'close', relay });
        this.drain();
      },
    };
  }

  /** A path's new stages, in force for the next connection through it. */
  setPath(id: string, stages: StageRef[]): void {
    this.#paths.postMessage({ path: id, stages } satisfies PathChange);
    // After the post: a connection that sees the new version finds the change waiting.
    Atomics.add(this.counters, Slot.PATHS_VERSION, 1);
  }

  /** Take every record the thread has posted into the lab's tap log, in order. */
  drain(): void {
    if (this.#draining || this.#gone) return;
    this.#draining = true;
    try {
      // Before reading: a record posted from here on brings a wake of its own.
      Atomics.store(this.counters, Slot.WAKE_PENDING, 0);
      takeInOrder(this.#records, this.#ring, (r) => this.#apply(r), (c) => this.#data(c.conn, c.point, c.dir, c.t, c.bytes));
    } finally {
      this.#draining = false;
    }
  }

  /**
   * A receiving server met a connection no relay has named yet: if the thread is still naming one,
   * wait for it (briefly: both ends saw the same handshake) and take its records. True when the
   * thread had one in hand.
   */
  waitForUpstream(named: () => boolean): boolean {
    const deadline = performance.now() + NAME_WAIT_MS;
    for (;;) {
      this.drain();
      if (named()) return true;
      const connecting = Atomics.load(this.counters, Slot.CONNECTING);
      const left = deadline - performance.now();
      if (connecting === 0 || left <= 0) return false;
      Atomics.wait(this.counters, Slot.CONNECTING, connecting, left);
    }
  }

  #data(conn: string, point: string, dir: Direction, t: number, bytes: Buffer, marks?: StageMark[], origin?: number): void {
    const record: Parameters<TapSink['data']>[0] = { conn, point, dir, t, labTime: this.#o.labTime(), bytes };
    if (marks) record.marks = marks;
    if (origin !== undefined) record.origin = origin;
    this.#o.tap.data(record);
  }

  #apply(r: WireRecord): void {
    const tap = this.#o.tap;
    switch (r[0]) {
      case 'open': {
        const c = r[1];
        c.labTime = this.#o.labTime();
        this.#open.set(`${c.point}/${c.conn}`, c);
        tap.open(c);
        return;
      }
      case 'data': {
        const [, conn, point, dir, t, bytes, marks, origin] = r;
        this.#data(conn, point, dir, t, asBuffer(bytes), fromWireMarks(marks), origin);
        return;
      }
      case 'close': {
        const [, conn, point, closedAt, closedBy, reason] = r;
        const key = `${point}/${conn}`;
        const c = this.#open.get(key);
        if (!c) return;
        this.#open.delete(key);
        c.closedAt = closedAt;
        c.closedBy = closedBy;
        if (reason !== undefined) c.closeReason = reason;
        tap.close(c);
        return;
      }
      case 'upstream':
        this.#o.onUpstream(r[1], r[2], r[3], r[4]);
    }
  }

  /** Close the lab's relays on the thread and let go of it. */
  async detach(): Promise<void> {
    if (!this.#gone) {
      // A thread that died meanwhile took the relays with it: nothing is left to close.
      await this.#stopRequest({ op: 'detach' });
    }
    this.threadGone();
  }

  /** A request on the way to stopping: answered, failed, or let go after STOP_WAIT_MS. */
  async #stopRequest(req: ControlOp): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.threadGone();
        resolve();
      }, STOP_WAIT_MS);
      timer.unref();
    });
    await Promise.race([this.#request(req).then(() => undefined, () => undefined), late]);
    clearTimeout(timer);
  }

  /** The thread is gone (or this lab left it): nothing more will answer. */
  threadGone(): void {
    if (this.#gone) return;
    this.drain();
    this.#gone = true;
    attached.delete(this);
    for (const p of this.#pending.values()) p.reject(new Error('the relay thread has stopped'));
    this.#pending.clear();
    for (const port of [this.#control, this.#records, this.#wake, this.#paths]) port.close();
  }
}

/**
 * The records of the port and of the ring, oldest first by the thread's sequence number, until both
 * are empty. Each head is taken after the other's: a record the thread wrote to one before it wrote
 * the other's head is then visible too, so nothing older can turn up after a younger one was handed on.
 */
export function takeInOrder(records: MessagePort, ring: RingReader, posted: (r: WireRecord) => void, chunk: (r: RingRecord) => void): void {
  let message: Posted | undefined;
  let next: RingRecord | undefined;
  for (;;) {
    message ??= receiveMessageOnPort(records)?.message as Posted | undefined;
    next ??= ring.take();
    if (next && !message) message = receiveMessageOnPort(records)?.message as Posted | undefined;
    if (message && (!next || olderSeq(message[0], next.seq))) {
      posted(message[1]);
      message = undefined;
    } else if (next) {
      chunk(next);
      next = undefined;
    } else return;
  }
}
