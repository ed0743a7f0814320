/**
 * The capture store of one lab: tap events in, pages of the packet list out (docs/packet-view.md).
 *
 *   TapEvent ──► PacketSynth ──► packets ──► dissection per connection ──► summaries (columns,
 *                                   │             (eager, incremental)        fields, layers)
 *                                   └──► bounded deques: all / per point / per connection
 *
 * Bounded: past `maxPackets`, or past the byte budget it shares with the lab's tap log
 * (budget.ts: a packet's payload is a view on its tap record's bytes, so a message is counted and
 * kept once), the oldest packets go, counted per capture point in packets and bytes.
 * Dissection runs as packets arrive, so a filter over 100,000 packets only evaluates stored
 * fields; matching packet numbers are cached per (point, filter, decrypt) and extended as packets
 * come. "Decrypt with lab keys" is a parameter of every read, not a setting of the store: the
 * eavesdropper's view is dissected eagerly; the decrypted view of a connection that carries TLS or
 * a sealed layer is built on the first read that asks for it, kept, extended as packets come, and
 * rebuilt when the connection's keys change. Two readers with different choices never disturb each
 * other. Detail trees are never stored: `detail(point, no)` dissects that packet's connection again.
 */
import type { CapturePoint, ConnectionKeys, Direction, TapConnection, TapEvent } from './tap.ts';
import type { Packet } from './packets.ts';
import { PacketSynth, connKey } from './packets.ts';
import { frameLength } from './frame.ts';
import type { ByteRange, SessionContext, StreamDissector } from './dissect/types.ts';
import { openConnection } from './dissect/registry.ts';
import type { CompiledFilter } from './filter.ts';
import { parseFilter } from './filter.ts';
import type { Held } from './summary.ts';
import { Subject, held, rowOf, summarise } from './summary.ts';
import type { ConnView, PacketRow, PageQuery, PageResult, StoreOptions, StreamHit } from './store-types.ts';
import { Deque, lowerBound } from './deque.ts';
import { CaptureBudget, DEFAULT_CAPTURE_BYTES, PACKET_OBJECT_BYTES } from './budget.ts';
import type { FollowOptions, FollowResult, PacketDetail } from './inspect.ts';
import { detailOf, followOf } from './inspect.ts';

export type { ConnView, PacketRow, PageQuery, PageResult, StoreOptions, StreamHit } from './store-types.ts';
export type { FollowOptions, FollowPart, FollowResult, PacketDetail } from './inspect.ts';

interface PointView {
  id: string;
  meta: CapturePoint | undefined;
  held: Deque<Held>;
  dropped: number;
  /** Frame bytes of the dropped packets (what they would take in a pcapng). */
  droppedBytes: number;
  firstT: number | undefined;
}

/** A connection's decrypted view: its own dissector and a summary per packet (docs/packet-view.md). */
interface OpenView {
  session: StreamDissector;
  /** The last packet summarised, and whether the close was fed. */
  last: Held | undefined;
  ended: boolean;
  /** What the keys were when the view was built (a change rebuilds it). */
  keyStamp: string;
}

interface MatchCache {
  /** Synthesis order (`Packet.order`) of the last packet looked at, and of the matches. */
  upTo: number;
  nos: number[];
  filter: CompiledFilter;
}

const MAX_CACHES = 8;

const FINISHED: StreamDissector = { feed: () => [], end: () => [] };

export class CaptureStore {
  readonly #maxPackets: number;
  readonly #budget: CaptureBudget;
  /**
   * Tap records whose bytes packets held here carry, oldest first, with those packets (oldest
   * first): a record goes with its last packet. Also the answer to "which packets carry this
   * record", which the replay and the firewall's view ask for every event (a walk over every
   * packet held made that cost events × packets; docs/packet-view.md, "Links").
   */
  readonly #records = new Map<number, { bytes: Buffer; held: Held[] }>();
  /**
   * The same records' numbers in the order they came, the oldest at the front once those already
   * let go are taken off it (`#oldestRecord`). The map alone answered "which is oldest" by stepping
   * over every entry deleted since its last rehash — up to half its size, at each record the budget
   * let go once full (docs/bench.md, `load`).
   */
  readonly #recordOrder = new Deque<number>();
  readonly #synth: PacketSynth;
  readonly #all = new Deque<Held>();
  readonly #conns = new Map<string, ConnView>();
  readonly #points = new Map<string, PointView>();
  readonly #keys = new Map<string, ConnectionKeys>();
  readonly #keySource: ReadonlyMap<string, ConnectionKeys> | undefined;
  readonly #hits = new Map<string, Record<Direction, ByteRange[]>>();
  /** Connections that carry TLS or a sealed layer: the only ones whose decrypted view differs. */
  readonly #wrapped = new Map<ConnView, OpenView | undefined>();
  /** A packet's summary in the decrypted view, for packets of wrapped connections. */
  #opened = new WeakMap<Held, Held>();
  #caches = new Map<string, MatchCache>();
  #streams = 0;
  /** The decryption a read gets when it does not say. */
  readonly #decrypt: boolean;
  #firstT: number | undefined;
  #subject = new Subject();

  constructor(opts: StoreOptions = {}) {
    this.#maxPackets = opts.maxPackets ?? 1_000_000;
    this.#budget = opts.budget ?? new CaptureBudget(opts.maxBytes ?? DEFAULT_CAPTURE_BYTES);
    this.#budget.register({ oldestSeq: () => this.#oldestRecord(), dropOldest: () => this.#dropOldestRecord() });
    this.#synth = new PacketSynth({ mss: opts.mss });
    this.#decrypt = opts.decrypt ?? false;
    this.#keySource = opts.keys;
  }

  /** Labels for capture points (pcapng interface descriptions, UI titles). */
  addPoint(point: CapturePoint): void {
    this.#point(point.id).meta = point;
  }

  points(): { id: string; label: string; packets: number; dropped: number; droppedBytes: number }[] {
    return [...this.#points.values()].map((p) => ({ id: p.id, label: p.meta?.label ?? p.id, packets: p.held.length, dropped: p.dropped, droppedBytes: p.droppedBytes }));
  }

  /** The byte budget this store counts against (shared with the lab's tap log). */
  get budget(): CaptureBudget {
    return this.#budget;
  }

  capturePoint(id: string): CapturePoint | undefined {
    return this.#points.get(id)?.meta;
  }

  ingest(ev: TapEvent): void {
    if (ev.kind === 'open') this.#open(ev.connection);
    const carrying: Held[] = [];
    for (const p of this.#synth.push(ev)) {
      const h = this.#add(p);
      if (h && p.recordSeq !== undefined) carrying.push(h);
    }
    // The packets' payloads are views on the record's bytes: the store holds that one buffer.
    if (ev.kind === 'data' && carrying.length > 0) {
      this.#records.set(ev.record.seq, { bytes: ev.record.bytes, held: carrying });
      this.#recordOrder.push(ev.record.seq);
      this.#budget.hold(ev.record.seq, ev.record.bytes);
    }
    if (ev.kind === 'close') {
      const view = this.#conns.get(connKey(ev.connection.point, ev.connection.conn));
      if (view && !view.closed) {
        view.closed = true;
        const last = view.held.last();
        if (last) {
          const pdus = [...view.session.end('c2s'), ...view.session.end('s2c')];
          summarise(last, pdus);
          this.#noteWrapped(view, last);
          if (pdus.length > 0) this.#caches.clear();
        }
        // A closed connection gets no more bytes: its dissection state can go.
        view.session = FINISHED;
      }
    }
    this.#enforceLimits();
  }

  ingestAll(events: Iterable<TapEvent>): void {
    for (const ev of events) this.ingest(ev);
  }

  /** Key hand-off for a connection (all capture points of it); its decrypted view is rebuilt when next read. */
  setKeys(conn: string, keys: ConnectionKeys): void {
    this.#keys.set(conn, keys);
  }

  keysFor(conn: string): ConnectionKeys | undefined {
    return this.#keys.get(conn) ?? this.#keySource?.get(conn);
  }

  /** Every connection's keys known to the store, for exports. */
  allKeys(): ConnectionKeys[] {
    const conns = new Set([...this.#keys.keys(), ...(this.#keySource?.keys() ?? [])]);
    return [...conns].map((c) => this.keysFor(c)).filter((k): k is ConnectionKeys => k !== undefined);
  }

  /** Flag the packets whose payload holds bytes of a canary hit (offsets in the reassembled stream). */
  markLeaks(hits: StreamHit[]): void {
    for (const hit of hits) {
      const key = connKey(hit.point, hit.conn);
      let byDir = this.#hits.get(key);
      if (!byDir) this.#hits.set(key, (byDir = { c2s: [], s2c: [] }));
      const range = { start: hit.offset, end: hit.offset + Math.max(1, hit.length) };
      byDir[hit.dir].push(range);
      const view = this.#conns.get(key);
      if (view) for (const h of view.held) if (h.p.dir === hit.dir && overlaps(h.p, range)) h.leak = true;
    }
    this.#caches.clear();
  }

  get size(): number {
    return this.#all.length;
  }

  /** Packets held, in capture order (optionally of one point): what an export writes. */
  *packets(point?: string): Iterable<Packet> {
    const list = point === undefined ? this.#all : this.#points.get(point)?.held;
    if (list) for (const h of list) yield h.p;
  }

  page(q: PageQuery = {}): PageResult {
    // Frame numbers are per capture point: without one, `locate` could name a packet of any point.
    if (q.locate !== undefined && q.point === undefined) throw new RangeError('page: locate needs a point (frame numbers are per capture point)');
    const decrypt = q.decrypt ?? this.#decrypt;
    if (decrypt) this.#openAll();
    const shown = (h: Held) => (decrypt ? this.#shown(h) : h);
    const list = q.point === undefined ? this.#all : this.#points.get(q.point)?.held;
    const counted = q.point === undefined ? [...this.#points.values()] : [this.#points.get(q.point)].filter((p) => p !== undefined);
    const dropped = counted.reduce((n, p) => n + p.dropped, 0);
    const droppedBytes = counted.reduce((n, p) => n + p.droppedBytes, 0);
    const missing = q.locate === undefined ? {} : { located: { no: q.locate, index: null } };
    if (!list) return { total: 0, matched: 0, dropped, droppedBytes, rows: [], ...missing };
    const from = Math.max(0, Math.floor(q.from ?? 0));
    const limit = Math.max(0, Math.floor(q.limit ?? 100));
    const firstT = this.#firstTime(q.point);
    const parsed = parseFilter(q.filter ?? '');
    if (!parsed.ok) return { total: list.length, matched: 0, dropped, droppedBytes, rows: [], error: parsed.error, ...missing };
    if (parsed.filter.all && !q.leaksOnly) {
      const rows: PacketRow[] = [];
      for (let i = from; i < Math.min(list.length, from + limit); i++) rows.push(rowOf(shown(list.at(i)!), firstT));
      return { total: list.length, matched: list.length, dropped, droppedBytes, rows, ...this.#locate(q, undefined) };
    }
    const orders = this.#matches(list, q, parsed.filter, firstT, decrypt);
    const rows = orders.slice(from, from + limit).map((order) => rowOf(shown(this.#get(order)!), firstT));
    return { total: list.length, matched: orders.length, dropped, droppedBytes, rows, ...this.#locate(q, orders) };
  }

  /** One packet by its frame number within its capture point (`Packet.no`, as the list shows it). */
  detail(point: string, no: number, opts: { decrypt?: boolean } = {}): PacketDetail | undefined {
    const decrypt = opts.decrypt ?? this.#decrypt;
    const h = this.#atPoint(point, no);
    const view = h && this.#conns.get(connKey(h.p.point, h.p.conn));
    if (!h || !view) return undefined;
    if (decrypt) this.#openView(view);
    return detailOf(h, view, this.#context(view, decrypt), this.#firstTime(h.p.point), decrypt ? this.#shown(h) : h);
  }

  /** Client and server parts of a connection in order (Follow TCP/TLS Stream). */
  follow(conn: string, opts: FollowOptions = {}): FollowResult | undefined {
    const view = opts.point !== undefined
      ? this.#conns.get(connKey(opts.point, conn))
      : [...this.#conns.values()].find((v) => v.c.conn === conn);
    if (!view) return undefined;
    return followOf(view, this.#context(view, opts.decrypted ?? false), opts.decrypted ?? false);
  }

  /**
   * The packets that carry bytes of a tap record (links from transcripts and bounces), each as
   * its capture point and its frame number within that point. A record belongs to one point.
   */
  packetsOfRecord(recordSeq: number): { point: string; no: number }[] {
    return (this.#records.get(recordSeq)?.held ?? []).map((h) => ({ point: h.p.point, no: h.p.no }));
  }

  /** Where a packet's payload sits: its capture point, connection, direction and stream offset. */
  position(point: string, no: number): { point: string; conn: string; dir: Direction; offset: number; length: number } | undefined {
    const p = this.#atPoint(point, no)?.p;
    return p && { point: p.point, conn: p.conn, dir: p.dir, offset: p.streamOffset, length: p.payload.length };
  }

  /** The packet at `point` whose payload holds byte `offset` of the connection's stream in `dir`. */
  packetAt(point: string, conn: string, dir: Direction, offset: number): number | undefined {
    const view = this.#conns.get(connKey(point, conn));
    if (!view) return undefined;
    for (const h of view.held) {
      const p = h.p;
      if (p.dir === dir && p.payload.length > 0 && offset >= p.streamOffset && offset < p.streamOffset + p.payload.length) return p.no;
    }
    return undefined;
  }

  /** A packet's index in its capture point's list (unfiltered), so a view can page to it. */
  indexOf(point: string, no: number): number | undefined {
    const list = this.#points.get(point)?.held;
    if (!list) return undefined;
    const i = list.lowerBound((h) => h.p.no < no);
    return list.at(i)?.p.no === no ? i : undefined;
  }

  // ---- internals ----

  #point(id: string): PointView {
    let p = this.#points.get(id);
    if (!p) this.#points.set(id, (p = { id, meta: undefined, held: new Deque(), dropped: 0, droppedBytes: 0, firstT: undefined }));
    return p;
  }

  #context(view: ConnView, decrypt: boolean): SessionContext {
    const conn = view.c.conn;
    return { depth: 0, decrypt, serverPort: view.c.server.port, keys: () => this.keysFor(conn) };
  }

  #open(c: TapConnection): void {
    const key = connKey(c.point, c.conn);
    if (this.#conns.has(key)) return;
    const view: ConnView = { key, c, stream: this.#streams++, session: undefined as unknown as StreamDissector, held: new Deque(), closed: false, truncated: false };
    // The eavesdropper's view, dissected as packets come; the decrypted one only when read.
    view.session = openConnection(this.#context(view, false));
    this.#conns.set(key, view);
    this.#point(c.point);
  }

  /** Keep a packet: the held packet, or undefined when its connection is unknown (its head was dropped). */
  #add(p: Packet): Held | undefined {
    const view = this.#conns.get(connKey(p.point, p.conn));
    if (!view) return undefined;
    const h = held(p, view.stream);
    if (p.payload.length > 0) {
      summarise(h, view.session.feed(p.dir, p.payload, p.streamOffset));
      this.#noteWrapped(view, h);
      const hits = this.#hits.get(view.key)?.[p.dir];
      if (hits?.some((r) => overlaps(p, r))) h.leak = true;
    }
    const point = this.#point(p.point);
    point.firstT ??= p.t;
    this.#firstT ??= p.t;
    this.#all.push(h);
    point.held.push(h);
    view.held.push(h);
    // The payload is counted with its record's buffer; the synthesized headers and the packet's
    // objects are the store's own (budget.ts, PACKET_OBJECT_BYTES).
    this.#budget.add(frameLength(p) - p.payload.length + PACKET_OBJECT_BYTES);
    return h;
  }

  #enforceLimits(): void {
    while (this.#all.length > this.#maxPackets) this.#dropHead();
    this.#budget.enforce();
  }

  /** The oldest record still held (the map's first entry), each number taken off the order once. */
  #oldestRecord(): number | undefined {
    let seq = this.#recordOrder.first();
    while (seq !== undefined && !this.#records.has(seq)) {
      this.#recordOrder.shift();
      seq = this.#recordOrder.first();
    }
    return seq;
  }

  /** The budget's call: drop packets from the front up to the last one carrying the oldest record. */
  #dropOldestRecord(): void {
    const seq = this.#oldestRecord();
    while (seq !== undefined && this.#records.has(seq) && this.#all.length > 0) this.#dropHead();
  }

  #dropHead(): void {
    const h = this.#all.shift();
    if (!h) return;
    const length = frameLength(h.p);
    this.#budget.add(-(length - h.p.payload.length + PACKET_OBJECT_BYTES));
    const record = h.p.recordSeq === undefined ? undefined : this.#records.get(h.p.recordSeq);
    // Packets go oldest first: a record's oldest held packet is the one going.
    if (record?.held[0] === h) {
      record.held.shift();
      if (record.held.length === 0) {
        this.#records.delete(h.p.recordSeq!);
        this.#budget.release(record.bytes);
      }
    }
    const point = this.#points.get(h.p.point)!;
    point.held.shift();
    point.dropped++;
    point.droppedBytes += length;
    const view = this.#conns.get(connKey(h.p.point, h.p.conn));
    if (view) {
      view.held.shift();
      view.truncated = true;
      if (view.closed && view.held.length === 0) {
        this.#conns.delete(view.key);
        this.#wrapped.delete(view);
      }
    }
  }

  /** Once a packet shows TLS or a sealed layer, its connection has a decrypted view of its own. */
  #noteWrapped(view: ConnView, h: Held): void {
    if (this.#wrapped.has(view) || !h.layers?.some((l) => l === 'tls' || l === 'sasl')) return;
    this.#wrapped.set(view, undefined);
  }

  /** What the keys of a connection are now: a change rebuilds its decrypted view. */
  #keyStamp(view: ConnView): string {
    const k = this.keysFor(view.c.conn);
    return k ? `${k.tlsKeyLog.length}/${k.ntlm ? 1 : 0}` : '';
  }

  /** Bring a wrapped connection's decrypted view up to date: built once, extended, rebuilt on new keys. */
  #openView(view: ConnView): boolean {
    if (!this.#wrapped.has(view)) return false;
    let open = this.#wrapped.get(view);
    const stamp = this.#keyStamp(view);
    let changed = false;
    if (!open || open.keyStamp !== stamp) {
      open = { session: openConnection(this.#context(view, true)), last: undefined, ended: false, keyStamp: stamp };
      this.#wrapped.set(view, open);
      changed = true;
    }
    let seen = open.last === undefined;
    for (const h of view.held) {
      if (!seen) {
        seen = h === open.last;
        continue;
      }
      const copy = held(h.p, h.stream);
      if (h.p.payload.length > 0) summarise(copy, open.session.feed(h.p.dir, h.p.payload, h.p.streamOffset));
      this.#opened.set(h, copy);
      open.last = h;
      changed = true;
    }
    if (view.closed && !open.ended && open.last) {
      open.ended = true;
      const pdus = [...open.session.end('c2s'), ...open.session.end('s2c')];
      summarise(this.#opened.get(open.last)!, pdus);
      open.session = FINISHED;
      if (pdus.length > 0) changed = true;
    }
    return changed;
  }

  /** Every wrapped connection's decrypted view, before a read that decrypts; stale caches go. */
  #openAll(): void {
    let changed = false;
    for (const view of this.#wrapped.keys()) if (this.#openView(view)) changed = true;
    if (changed) for (const key of [...this.#caches.keys()]) if (key.startsWith('1')) this.#caches.delete(key);
  }

  /** A packet as the decrypted view shows it (its own summary, the leak flag of the packet). */
  #shown(h: Held): Held {
    const copy = this.#opened.get(h);
    if (!copy) return h;
    copy.leak = h.leak;
    return copy;
  }

  /** A held packet by its synthesis order (the key of the match caches). */
  #get(order: number): Held | undefined {
    const first = this.#all.first();
    if (!first) return undefined;
    const h = this.#all.at(order - first.p.order);
    return h?.p.order === order ? h : undefined;
  }

  /**
   * `located` for a page that asked for it: packet `q.locate` of `q.point` among the matches
   * (`orders`, the match cache's synthesis orders, ascending), or among every packet of the point
   * when all match (`undefined`). The cache is searched, not the list filtered again: a kept
   * selection costs a binary search however long the capture.
   */
  #locate(q: PageQuery, orders: number[] | undefined): Pick<PageResult, 'located'> {
    if (q.locate === undefined || q.point === undefined) return {};
    const no = q.locate;
    if (!orders) return { located: { no, index: this.indexOf(q.point, no) ?? null } };
    // Dropped from the bounded store, or never captured: not among the matches either.
    const order = this.#atPoint(q.point, no)?.p.order;
    if (order === undefined) return { located: { no, index: null } };
    const i = lowerBound(orders.length, (k) => orders[k] < order);
    return { located: { no, index: orders[i] === order ? i : null } };
  }

  /** A held packet by point and frame number: numbers within a point have no gaps. */
  #atPoint(point: string, no: number): Held | undefined {
    const list = this.#points.get(point)?.held;
    const first = list?.first();
    if (!list || !first) return undefined;
    const h = list.at(no - first.p.no);
    return h?.p.no === no ? h : undefined;
  }

  #firstTime(point: string | undefined): number {
    return (point === undefined ? this.#firstT : this.#points.get(point)?.firstT) ?? 0;
  }

  /** Matching packet numbers, cached and extended incrementally as packets arrive or go. */
  #matches(list: Deque<Held>, q: PageQuery, filter: CompiledFilter, firstT: number, decrypt: boolean): number[] {
    // Keyed by the decryption first (`#openAll` drops the decrypted ones when a view is rebuilt).
    const key = `${decrypt ? 1 : 0}\u0000${q.point ?? ''}\u0000${q.leaksOnly ? 1 : 0}\u0000${filter.text}`;
    let cache = this.#caches.get(key);
    if (!cache) {
      if (this.#caches.size >= MAX_CACHES) this.#caches.delete(this.#caches.keys().next().value!);
      this.#caches.set(key, (cache = { upTo: 0, nos: [], filter }));
    }
    // Keyed by synthesis order, which is monotonic in every list (one point's, or all points').
    const oldest = list.first()?.p.order ?? Infinity;
    if (cache.nos.length > 0 && cache.nos[0] < oldest) {
      let cut = 0;
      while (cut < cache.nos.length && cache.nos[cut] < oldest) cut++;
      cache.nos.splice(0, cut);
    }
    const upTo = cache.upTo;
    const start = list.lowerBound((h) => h.p.order <= upTo);
    const s = this.#subject;
    for (let i = start; i < list.length; i++) {
      const h = list.at(i)!;
      if ((!q.leaksOnly || h.leak) && filter.match(s.bind(decrypt ? this.#shown(h) : h, firstT))) cache.nos.push(h.p.order);
      cache.upTo = h.p.order;
    }
    return cache.nos;
  }
}

function overlaps(p: Packet, r: ByteRange): boolean {
  return p.streamOffset < r.end && r.start < p.streamOffset + p.payload.length;
}
