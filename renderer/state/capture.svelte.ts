/**
 * The packet view (docs/packet-view.md): which capture point, the display filter, one page of packets, the
 * selected packet's detail and its connection's stream. The engine holds the capture; this class
 * holds one page of it at a time (never the whole capture), each answer replacing the last whole.
 *
 *   intent (point, filter, toggles, paging) ─► refresh() ─► listCapturePoints + pagePackets
 *   select(no) ─► packetDetail          follow() ─► followStream          lab events ─► refresh()
 *
 * "Decrypt with lab keys" is sent with every request: it is a parameter of the engine's reads, so
 * each window keeps its own choice (docs/packet-view.md).
 */
import { friendly } from '../lib/format.ts';
import type { CapturePointView, FollowView, PacketDetailView, PacketPage, PostcardApi } from '../../app/api/contract.ts';
import { coalesce } from '../lib/coalesce.ts';

/** Rows per page: enough to read a whole SMTP session, small enough to render at once. */
export const PAGE_SIZE = 100;

/** The point a trainee should see first: the wire (what crosses the Internet) where there is one. */
function defaultPoint(points: CapturePointView[]): string | undefined {
  return (points.find((p) => p.id.endsWith('/wire')) ?? points[0])?.id;
}

export class CaptureState {
  #api: PostcardApi;
  #active = false;
  #detailSeq = 0;
  #streamSeq = 0;
  /**
   * The point, filter or leak toggle changed: the next page decides whether the selection stays.
   * Wireshark keeps a selected packet that is still displayed and clears one that is not; a
   * refresh for new packets or a page turn never clears it (docs/packet-view.md).
   */
  #recheckSelection = false;

  points = $state.raw<CapturePointView[]>([]);
  point = $state<string | undefined>(undefined);
  /** The display filter as last applied (the text box keeps its own draft until Enter). */
  filter = $state('');
  leaksOnly = $state(false);
  /** Off by default: the view shows what an eavesdropper without the lab's keys reads. */
  decrypt = $state(false);
  /** Index of the first row shown, among the packets that match (not a packet number). */
  from = $state(0);
  page = $state.raw<PacketPage | undefined>(undefined);
  /** Packets of this point that carry canaries in clear, whatever the filter. */
  leakCount = $state(0);
  loading = $state(false);
  error = $state<string | undefined>(undefined);

  selected = $state<number | undefined>(undefined);
  detail = $state.raw<PacketDetailView | undefined>(undefined);
  detailError = $state<string | undefined>(undefined);
  stream = $state.raw<FollowView | undefined>(undefined);
  streamError = $state<string | undefined>(undefined);

  rows = $derived(this.page?.rows ?? []);
  filterError = $derived(this.page?.error);
  canPrevious = $derived(this.from > 0);
  canNext = $derived(this.page !== undefined && this.from + PAGE_SIZE < this.page.matched);
  current = $derived(this.points.find((p) => p.id === this.point));
  /**
   * The points offered: every path's, and a listener's "from outside" point once a session came
   * (a lab has one per listener; empty ones would only crowd the bar).
   */
  shown = $derived(this.points.filter((p) => p.kind !== 'outside' || p.packets > 0 || p.id === this.point));

  constructor(api: PostcardApi) {
    this.#api = api;
  }

  /** The panel is on screen: keep it fresh until the returned function is called. */
  activate(): () => void {
    this.#active = true;
    void this.refresh();
    return () => {
      this.#active = false;
    };
  }

  /** Something happened in the lab (new packets, most likely): refresh what is on screen. */
  onLabEvent(): void {
    if (!this.#active) return;
    void this.refresh();
    if (this.stream) void this.#loadStream(this.stream.conn, this.stream.point);
  }

  /**
   * Capture points and the current page. A burst of events or clicks collapses into one request
   * at a time plus at most one more, which reads the intents as they are by then.
   */
  refresh(): Promise<void> {
    return this.#refresh();
  }

  #refresh = coalesce(() => this.#fetch(), (error) => (this.error = error), (busy) => (this.loading = busy));

  async #fetch(): Promise<void> {
    const { points } = await this.#api.listCapturePoints({});
    this.points = points;
    if (!this.point || !points.some((p) => p.id === this.point)) {
      this.point = defaultPoint(points);
      this.from = 0;
    }
    const point = this.point;
    if (!point) {
      this.page = undefined;
      this.leakCount = 0;
      return;
    }
    const ask = { point, filter: this.filter.trim() ? this.filter : undefined, limit: PAGE_SIZE, leaksOnly: this.leaksOnly, decrypt: this.decrypt };
    let page = await this.#api.pagePackets({ ...ask, from: this.from });
    // The capture is bounded and filters change: a page past the end steps back to the last one.
    if (page.rows.length === 0 && page.matched > 0 && this.from > 0) {
      this.from = Math.floor((page.matched - 1) / PAGE_SIZE) * PAGE_SIZE;
      page = await this.#api.pagePackets({ ...ask, from: this.from });
    }
    this.page = page;
    if (this.#recheckSelection) {
      this.#recheckSelection = false;
      const kept = this.selected !== undefined && !page.error && page.rows.some((r) => r.no === this.selected);
      if (!kept) this.clearSelection();
    }
    this.leakCount = this.leaksOnly && !ask.filter
      ? page.matched
      : (await this.#api.pagePackets({ point, leaksOnly: true, limit: 1, decrypt: this.decrypt })).matched;
  }

  setPoint(id: string): void {
    if (id === this.point) return;
    this.point = id;
    this.from = 0;
    // Frame numbers are per point: another point is another capture, and no packet of this one
    // is in it (the same bytes there are another frame, with its own number).
    this.clearSelection();
    // A stream followed at another point is another view of the connection: it goes with its point.
    if (this.stream && this.stream.point !== id) this.closeStream();
    void this.refresh();
  }

  /** No packet selected: the detail and bytes panes empty. */
  clearSelection(): void {
    this.#detailSeq++;
    this.selected = undefined;
    this.detail = undefined;
    this.detailError = undefined;
  }

  /**
   * Apply a display filter (Enter in the box). Sent as typed, so the position of a mistake in
   * `filterError` points into the text the user sees.
   */
  applyFilter(text: string): void {
    this.filter = text;
    this.from = 0;
    this.#recheckSelection = true;
    void this.refresh();
  }

  setLeaksOnly(on: boolean): void {
    this.leaksOnly = on;
    this.from = 0;
    this.#recheckSelection = true;
    void this.refresh();
  }

  /** Switch between the eavesdropper's view and the lab's keys: list, detail and stream follow. */
  setDecrypt(on: boolean): void {
    this.decrypt = on;
    void this.refresh();
    if (this.selected !== undefined) void this.#loadDetail(this.selected);
    if (this.stream) void this.#loadStream(this.stream.conn, this.stream.point);
  }

  first(): void {
    this.#goto(0);
  }

  previous(): void {
    this.#goto(Math.max(0, this.from - PAGE_SIZE));
  }

  next(): void {
    if (this.canNext) this.#goto(this.from + PAGE_SIZE);
  }

  last(): void {
    const matched = this.page?.matched ?? 0;
    this.#goto(matched > 0 ? Math.floor((matched - 1) / PAGE_SIZE) * PAGE_SIZE : 0);
  }

  #goto(from: number): void {
    if (from === this.from) return;
    this.from = from;
    void this.refresh();
  }

  /**
   * Show one packet a link points at (a transcript line's packet): its capture point, the page
   * that holds it (`index` in the point's unfiltered list, so filter and "Leaks only" are cleared),
   * selected with its detail. The list scrolls the selected row into view.
   */
  reveal(point: string, no: number, index: number): void {
    if (this.stream && this.stream.point !== point) this.closeStream();
    this.point = point;
    this.filter = '';
    this.leaksOnly = false;
    this.from = Math.floor(index / PAGE_SIZE) * PAGE_SIZE;
    this.#recheckSelection = false;
    this.selected = undefined;
    this.select(no);
    void this.refresh();
  }

  /**
   * Select a packet of the current point by its frame number within that point (numbers are per
   * point): its detail loads; the selection survives refreshes and paging.
   */
  select(no: number): void {
    if (no === this.selected) return;
    this.selected = no;
    void this.#loadDetail(no);
  }

  async #loadDetail(no: number): Promise<void> {
    const seq = ++this.#detailSeq;
    const point = this.point;
    try {
      if (!point) throw new Error('no capture point is selected');
      const detail = await this.#api.packetDetail({ point, no, decrypt: this.decrypt });
      if (seq !== this.#detailSeq) return;
      this.detail = detail;
      this.detailError = undefined;
    } catch (error) {
      if (seq !== this.#detailSeq) return;
      this.detail = undefined;
      this.detailError = friendly((error as Error).message);
    }
  }

  /** Follow the selected packet's connection at its capture point (Wireshark's "Follow TCP Stream"). */
  async follow(): Promise<void> {
    const d = this.detail;
    if (d) await this.#loadStream(d.conn, d.point);
  }

  closeStream(): void {
    this.#streamSeq++;
    this.stream = undefined;
    this.streamError = undefined;
  }

  async #loadStream(conn: string, point: string): Promise<void> {
    const seq = ++this.#streamSeq;
    try {
      const stream = await this.#api.followStream({ conn, point, decrypt: this.decrypt });
      if (seq !== this.#streamSeq) return;
      this.stream = stream;
      this.streamError = undefined;
    } catch (error) {
      if (seq === this.#streamSeq) this.streamError = friendly((error as Error).message);
    }
  }

  /** A new lab (another scenario, or a restart): nothing of the old capture applies. */
  clear(): void {
    this.#detailSeq++;
    this.#streamSeq++;
    this.points = [];
    this.point = undefined;
    this.filter = '';
    this.leaksOnly = false;
    this.decrypt = false;
    this.from = 0;
    this.page = undefined;
    this.leakCount = 0;
    this.error = undefined;
    this.selected = undefined;
    this.detail = undefined;
    this.detailError = undefined;
    this.stream = undefined;
    this.streamError = undefined;
    if (this.#active) void this.refresh();
  }
}
