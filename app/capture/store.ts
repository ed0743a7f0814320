/**
 * The capture store of one lab: tap events in, pages of the packet list out (SPEC §8).
 *
 *   TapEvent ──► PacketSynth ──► packets ──► dissection per connection ──► summaries (columns,
 *                                   │             (eager, incremental)        fields, layers)
 *                                   └──► bounded deques: all / per point / per connection
 *
 * Bounded: past `maxPackets`, or past the byte budget it shares with the lab's tap log
 * (budget.ts: a packet's payload is a view on its tap record's bytes, so a message is counted and
 * kept once), the oldest packets go, counted per capture point in packets and bytes.
 * Dissection runs as packets arrive, so a filter over 100,000 packets only evaluates stored
 * fields; matching packet numbers are cached per (point, filter) and extended as packets come.
 * Toggling decryption, or keys arriving late, re-dissects the connections concerned on the next
 * query. Detail trees are never stored: `detail(no)` dissects that packet's connection again.
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
import { Subject, held, resetSummary, rowOf, summarise } from './summary.ts';
import type { ConnView, PacketRow, PageQuery, PageResult, StoreOptions, StreamHit } from './store-types.ts';
import { Deque } from './deque.ts';
import { CaptureBudget, DEFAULT_CAPTURE_BYTES } from './budget.ts';
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

interface MatchCache {
  upTo: number;
  nos: number[];
  filter: CompiledFilter;
}

const MAX_CACHES = 8;

const FINISHED: StreamDissector = { feed: () => [], end: () => [] };

export class CaptureStore {
  readonly #maxPackets: number;
  readonly #budget: CaptureBudget;
  /** Tap records whose bytes packets held here carry, oldest first, with how many such packets. */
  readonly #records = new Map<number, { bytes: Buffer; packets: number }>();
  readonly #synth: PacketSynth;
  readonly #all = new Deque<Held>();
  readonly #conns = new Map<string, ConnView>();
  readonly #points = new Map<string, PointView>();
  readonly #keys = new Map<string, ConnectionKeys>();
  readonly #keySource: ReadonlyMap<string, ConnectionKeys> | undefined;
  readonly #hits = new Map<string, Record<Direction, ByteRange[]>>();
  readonly #dirty = new Set<ConnView>();
  #caches = new Map<string, MatchCache>();
  #streams = 0;
  #decrypt: boolean;
  #firstT: number | undefined;
  #subject = new Subject();

  constructor(opts: StoreOptions = {}) {
    this.#maxPackets = opts.maxPackets ?? 1_000_000;
    this.#budget = opts.budget ?? new CaptureBudget(opts.maxBytes ?? DEFAULT_CAPTURE_BYTES);
    this.#budget.register({ oldestSeq: () => this.#records.keys().next().value, dropOldest: () => this.#dropOldestRecord() });
    this.#synth = new PacketSynth({ mss: opts.mss });
    this.#decrypt = opts.decrypt ?? false;
    this.#keySource = opts.keys;
  }

  get decrypt(): boolean {
    return this.#decrypt;
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
    let carried = 0;
    for (const p of this.#synth.push(ev)) if (this.#add(p) && p.recordSeq !== undefined) carried++;
    // The packets' payloads are views on the record's bytes: the store holds that one buffer.
    if (ev.kind === 'data' && carried > 0) {
      this.#records.set(ev.record.seq, { bytes: ev.record.bytes, packets: carried });
      this.#budget.hold(ev.record.seq, ev.record.bytes);
    }
    if (ev.kind === 'close') {
      const view = this.#conns.get(connKey(ev.connection.point, ev.connection.conn));
      if (view && !view.closed) {
        view.closed = true;
        const last = view.held.last();
        if (last && !view.dirty) {
          const pdus = [...view.session.end('c2s'), ...view.session.end('s2c')];
          summarise(last, pdus);
          if (pdus.length > 0) this.#caches.clear();
        }
        // A closed connection gets no more bytes: its dissection state can go (a re-dissection
        // starts a fresh one).
        if (!view.dirty) view.session = FINISHED;
      }
    }
    this.#enforceLimits();
  }

  ingestAll(events: Iterable<TapEvent>): void {
    for (const ev of events) this.ingest(ev);
  }

  /** Key hand-off for a connection (all capture points of it); re-dissects when decrypting. */
  setKeys(conn: string, keys: ConnectionKeys): void {
    this.#keys.set(conn, keys);
    if (!this.#decrypt) return;
    for (const view of this.#conns.values()) if (view.c.conn === conn) this.#markDirty(view);
  }

  keysFor(conn: string): ConnectionKeys | undefined {
    return this.#keys.get(conn) ?? this.#keySource?.get(conn);
  }

  /** Every connection's keys known to the store, for exports. */
  allKeys(): ConnectionKeys[] {
    const conns = new Set([...this.#keys.keys(), ...(this.#keySource?.keys() ?? [])]);
    return [...conns].map((c) => this.keysFor(c)).filter((k): k is ConnectionKeys => k !== undefined);
  }

  setDecrypt(on: boolean): void {
    if (on === this.#decrypt) return;
    this.#decrypt = on;
    for (const view of this.#conns.values()) this.#markDirty(view);
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
    this.#catchUp();
    const list = q.point === undefined ? this.#all : this.#points.get(q.point)?.held;
    const counted = q.point === undefined ? [...this.#points.values()] : [this.#points.get(q.point)].filter((p) => p !== undefined);
    const dropped = counted.reduce((n, p) => n + p.dropped, 0);
    const droppedBytes = counted.reduce((n, p) => n + p.droppedBytes, 0);
    if (!list) return { total: 0, matched: 0, dropped, droppedBytes, rows: [] };
    const from = Math.max(0, Math.floor(q.from ?? 0));
    const limit = Math.max(0, Math.floor(q.limit ?? 100));
    const firstT = this.#firstTime(q.point);
    const parsed = parseFilter(q.filter ?? '');
    if (!parsed.ok) return { total: list.length, matched: 0, dropped, droppedBytes, rows: [], error: parsed.error };
    if (parsed.filter.all && !q.leaksOnly) {
      const rows: PacketRow[] = [];
      for (let i = from; i < Math.min(list.length, from + limit); i++) rows.push(rowOf(list.at(i)!, firstT));
      return { total: list.length, matched: list.length, dropped, droppedBytes, rows };
    }
    const nos = this.#matches(list, q, parsed.filter, firstT);
    const rows = nos.slice(from, from + limit).map((no) => rowOf(this.#get(no)!, firstT));
    return { total: list.length, matched: nos.length, dropped, droppedBytes, rows };
  }

  detail(no: number): PacketDetail | undefined {
    this.#catchUp();
    const h = this.#get(no);
    const view = h && this.#conns.get(connKey(h.p.point, h.p.conn));
    if (!h || !view) return undefined;
    return detailOf(h, view, this.#context(view), this.#firstTime(h.p.point));
  }

  /** Client and server parts of a connection in order (Follow TCP/TLS Stream). */
  follow(conn: string, opts: FollowOptions = {}): FollowResult | undefined {
    const view = opts.point !== undefined
      ? this.#conns.get(connKey(opts.point, conn))
      : [...this.#conns.values()].find((v) => v.c.conn === conn);
    if (!view) return undefined;
    return followOf(view, { ...this.#context(view), decrypt: opts.decrypted ?? false }, opts.decrypted ?? false);
  }

  /** Packet numbers that carry bytes of a tap record (links from transcripts and bounces). */
  packetsOfRecord(recordSeq: number): number[] {
    const out: number[] = [];
    for (const h of this.#all) if (h.p.recordSeq === recordSeq) out.push(h.p.no);
    return out;
  }

  // ---- internals ----

  #point(id: string): PointView {
    let p = this.#points.get(id);
    if (!p) this.#points.set(id, (p = { id, meta: undefined, held: new Deque(), dropped: 0, droppedBytes: 0, firstT: undefined }));
    return p;
  }

  #context(view: ConnView): SessionContext {
    const conn = view.c.conn;
    return { depth: 0, decrypt: this.#decrypt, serverPort: view.c.server.port, keys: () => this.keysFor(conn) };
  }

  #open(c: TapConnection): void {
    const key = connKey(c.point, c.conn);
    if (this.#conns.has(key)) return;
    const view: ConnView = { key, c, stream: this.#streams++, session: undefined as unknown as StreamDissector, held: new Deque(), closed: false, truncated: false, dirty: false };
    view.session = openConnection(this.#context(view));
    this.#conns.set(key, view);
    this.#point(c.point);
  }

  /** Keep a packet; false when its connection is unknown (its head was dropped). */
  #add(p: Packet): boolean {
    const view = this.#conns.get(connKey(p.point, p.conn));
    if (!view) return false;
    const h = held(p, view.stream);
    if (p.payload.length > 0) {
      if (!view.dirty) summarise(h, view.session.feed(p.dir, p.payload, p.streamOffset));
      const hits = this.#hits.get(view.key)?.[p.dir];
      if (hits?.some((r) => overlaps(p, r))) h.leak = true;
    }
    const point = this.#point(p.point);
    point.firstT ??= p.t;
    this.#firstT ??= p.t;
    this.#all.push(h);
    point.held.push(h);
    view.held.push(h);
    // The payload is counted with its record's buffer; the synthesized headers are the store's own.
    this.#budget.add(frameLength(p) - p.payload.length);
    return true;
  }

  #enforceLimits(): void {
    while (this.#all.length > this.#maxPackets) this.#dropHead();
    this.#budget.enforce();
  }

  /** The budget's call: drop packets from the front up to the last one carrying the oldest record. */
  #dropOldestRecord(): void {
    const seq = this.#records.keys().next().value;
    while (seq !== undefined && this.#records.has(seq) && this.#all.length > 0) this.#dropHead();
  }

  #dropHead(): void {
    const h = this.#all.shift();
    if (!h) return;
    const length = frameLength(h.p);
    this.#budget.add(-(length - h.p.payload.length));
    const record = h.p.recordSeq === undefined ? undefined : this.#records.get(h.p.recordSeq);
    if (record && h.p.payload.length > 0 && --record.packets === 0) {
      this.#records.delete(h.p.recordSeq!);
      this.#budget.release(record.bytes);
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
        this.#dirty.delete(view);
      }
    }
  }

  #markDirty(view: ConnView): void {
    view.dirty = true;
    this.#dirty.add(view);
    this.#caches.clear();
  }

  /** Re-dissect connections whose keys or decryption setting changed. */
  #catchUp(): void {
    for (const view of this.#dirty) {
      view.session = openConnection(this.#context(view));
      for (const h of view.held) {
        resetSummary(h);
        if (h.p.payload.length > 0) summarise(h, view.session.feed(h.p.dir, h.p.payload, h.p.streamOffset));
      }
      const last = view.held.last();
      if (view.closed && last) for (const dir of ['c2s', 's2c'] as const) summarise(last, view.session.end(dir));
      if (view.closed) view.session = FINISHED;
      view.dirty = false;
    }
    this.#dirty.clear();
  }

  #get(no: number): Held | undefined {
    const first = this.#all.first();
    if (!first) return undefined;
    const h = this.#all.at(no - first.p.no);
    return h?.p.no === no ? h : undefined;
  }

  #firstTime(point: string | undefined): number {
    return (point === undefined ? this.#firstT : this.#points.get(point)?.firstT) ?? 0;
  }

  /** Matching packet numbers, cached and extended incrementally as packets arrive or go. */
  #matches(list: Deque<Held>, q: PageQuery, filter: CompiledFilter, firstT: number): number[] {
    const key = `${q.point ?? ''}\u0000${q.leaksOnly ? 1 : 0}\u0000${filter.text}`;
    let cache = this.#caches.get(key);
    if (!cache) {
      if (this.#caches.size >= MAX_CACHES) this.#caches.delete(this.#caches.keys().next().value!);
      this.#caches.set(key, (cache = { upTo: 0, nos: [], filter }));
    }
    const oldest = list.first()?.p.no ?? Infinity;
    if (cache.nos.length > 0 && cache.nos[0] < oldest) {
      let cut = 0;
      while (cut < cache.nos.length && cache.nos[cut] < oldest) cut++;
      cache.nos.splice(0, cut);
    }
    const upTo = cache.upTo;
    const start = list.lowerBound((h) => h.p.no <= upTo);
    const s = this.#subject;
    for (let i = start; i < list.length; i++) {
      const h = list.at(i)!;
      if ((!q.leaksOnly || h.leak) && filter.match(s.bind(h, firstT))) cache.nos.push(h.p.no);
      cache.upTo = h.p.no;
    }
    return cache.nos;
  }
}

function overlaps(p: Packet, r: ByteRange): boolean {
  return p.streamOffset < r.end && r.start < p.streamOffset + p.payload.length;
}
