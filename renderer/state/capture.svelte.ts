/**
 * The packet view (docs/packet-view.md): which capture point, the display filter, a window of rows around what
 * the list shows, the selected packet's detail and its connection's stream. The engine holds the
 * capture; this class holds one window of it at a time (never the whole capture), each answer
 * replacing the last whole. The list is virtualised (docs/packet-view.md): it renders the rows on
 * screen and asks for the window that holds them (`want`).
 *
 *   intent (point, filter, toggles, scroll) ─► refresh() ─► listCapturePoints + pagePackets
 *   select(no) ─► packetDetail          follow() ─► followStream          lab events ─► refresh()
 *
 * "Decrypt with lab keys" is sent with every request: it is a parameter of the engine's reads, so
 * each window keeps its own choice (docs/packet-view.md).
 */
import { friendly } from '../lib/format.ts';
import type { CapturePointView, FollowView, PacketDetailView, PacketPage, PostcardApi } from '../../app/api/contract.ts';
import { LiveView } from './live.svelte.ts';

/**
 * Rows fetched per request: a few screens' worth around the visible rows, so scrolling a little
 * needs no request and a window never grows with the capture.
 */
export const WINDOW = 200;

/** The point a trainee should see first: the wire (what crosses the Internet) where there is one. */
function defaultPoint(points: CapturePointView[]): string | undefined {
  return (points.find((p) => p.id.endsWith('/wire')) ?? points[0])?.id;
}

export class CaptureState extends LiveView {
  #api: PostcardApi;
  #detailSeq = 0;
  #streamSeq = 0;
  /**
   * The point, filter or leak toggle changed: the next page decides whether the selection stays.
   * Wireshark keeps a selected packet that is still displayed and clears one that is not; a
   * refresh for new packets or a scroll never clears it (docs/packet-view.md).
   */
  #recheckSelection = false;
  /** A row chosen by its index (keyboard End, PageDown) whose window is still on its way. */
  #pendingIndex: number | undefined;
  /** A filter applied (Enter) and not yet known to parse: the next load tries it. */
  #candidate: string | undefined;

  points = $state.raw<CapturePointView[]>([]);
  point = $state<string | undefined>(undefined);
  /** The display filter as last applied (the text box keeps its own draft until Enter), valid or not. */
  filter = $state('');
  /**
   * The filter the list shows: the last one applied that parsed. While `filter` does not parse,
   * the list and the selection stay as this one left them (Wireshark keeps its display too).
   */
  shownFilter = $state('');
  /** Why `filter` does not parse (the engine's message and position), while it does not. */
  filterError = $state<{ message: string; position: number } | undefined>(undefined);
  leaksOnly = $state(false);
  /** Off by default: the view shows what an eavesdropper without the lab's keys reads. */
  decrypt = $state(false);
  /** Index of the first row fetched, among the packets that match (not a packet number). */
  from = $state(0);
  /** The selected packet's index among the packets that match, when known. */
  selectedIndex = $state<number | undefined>(undefined);
  /** Bumped when the list should scroll the selected row into view (a link, a filter that kept it). */
  reveals = $state(0);
  /** Bumped when the list becomes another one (point, filter, "Leaks only"): it scrolls to its top. */
  restarts = $state(0);
  page = $state.raw<PacketPage | undefined>(undefined);
  /** Packets of this point that carry canaries in clear, whatever the filter. */
  leakCount = $state(0);

  selected = $state<number | undefined>(undefined);
  detail = $state.raw<PacketDetailView | undefined>(undefined);
  detailError = $state<string | undefined>(undefined);
  stream = $state.raw<FollowView | undefined>(undefined);
  streamError = $state<string | undefined>(undefined);

  rows = $derived(this.page?.rows ?? []);
  current = $derived(this.points.find((p) => p.id === this.point));
  /**
   * The points offered: every path's, and a listener's "from outside" point once a session came
   * (a lab has one per listener; empty ones would only crowd the bar).
   */
  shown = $derived(this.points.filter((p) => p.kind !== 'outside' || p.packets > 0 || p.id === this.point));
  /** More than one point saw packets: the file of the open point alone differs from the whole capture. */
  severalWithPackets = $derived(this.points.filter((p) => p.packets > 0).length > 1);

  constructor(api: PostcardApi) {
    super();
    this.#api = api;
  }

  /** Something happened in the lab (new packets, most likely): the page, and the stream followed. */
  override onLabEvent(): void {
    super.onLabEvent();
    if (this.active && this.stream) void this.#loadStream(this.stream.conn, this.stream.point);
  }

  /**
   * Capture points and the current page (`refresh()`: a burst of events or clicks collapses into
   * one request at a time plus at most one more, which reads the intents as they are by then).
   */
  protected async load(): Promise<void> {
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
    const base = { point, limit: WINDOW, leaksOnly: this.leaksOnly, decrypt: this.decrypt };
    let page: PacketPage | undefined;
    // A filter just applied: its first page, which says whether it parses. One that does not
    // leaves the list, its place and the selection as the last valid filter left them.
    const candidate = this.#candidate;
    if (candidate !== undefined) {
      this.#candidate = undefined;
      const tried = await this.#api.pagePackets({ ...base, filter: candidate.trim() ? candidate : undefined, from: 0, locate: this.selected });
      if (tried.error) {
        this.filterError = tried.error;
      } else {
        this.shownFilter = candidate;
        this.filterError = undefined;
        this.from = 0;
        this.restarts++;
        this.#recheckSelection = true;
        page = tried;
      }
    }
    const filter = this.shownFilter.trim() ? this.shownFilter : undefined;
    // After a change of filter or "Leaks only", the page also says where the selected packet now
    // sits (the engine searches its matches; the window may not hold it).
    const locate = this.#recheckSelection ? this.selected : undefined;
    const ask = { ...base, filter, locate };
    page ??= await this.#api.pagePackets({ ...ask, from: this.from });
    // The capture is bounded and filters change: a window past the end steps back to the last one.
    if (page.rows.length === 0 && page.matched > 0 && this.from > 0) {
      this.from = Math.max(0, page.matched - WINDOW);
      page = await this.#api.pagePackets({ ...ask, from: this.from });
    }
    this.page = page;
    if (this.#recheckSelection) {
      this.#recheckSelection = false;
      this.#recheck(page);
    } else if (this.selected !== undefined) {
      const i = page.rows.findIndex((r) => r.no === this.selected);
      if (i >= 0) this.selectedIndex = this.from + i;
    }
    const pending = this.#pendingIndex;
    if (pending !== undefined && pending >= this.from && pending < this.from + page.rows.length) {
      this.#pendingIndex = undefined;
      this.select(page.rows[pending - this.from].no, pending);
    }
    this.leakCount = this.leaksOnly && !ask.filter
      ? page.matched
      : (await this.#api.pagePackets({ point, leaksOnly: true, limit: 1, decrypt: this.decrypt })).matched;
  }

  /**
   * After a change of filter or "Leaks only": keep the selected packet if the new list still shows
   * it, at its new index (Wireshark does the same); otherwise clear it. The page was asked to
   * locate it, so its index comes with the page whether or not the window holds it.
   */
  #recheck(page: PacketPage): void {
    const no = this.selected;
    if (no === undefined) return;
    if (page.located?.no !== no) {
      // Another packet was picked (from the old list) while the page was on its way: that one is
      // the selection to check against the new list, on the next page.
      this.#recheckSelection = true;
      void this.refresh();
      return;
    }
    // Null when the new list does not show it.
    const index = page.located.index;
    if (index === null) return this.clearSelection();
    this.selectedIndex = index;
    this.reveals++;
  }

  /**
   * The list shows rows `start` to `end` (indices among the matches, end excluded): fetch the window
   * around them when the one held does not cover them.
   */
  want(start: number, end: number): void {
    const page = this.page;
    if (!page || page.error) return;
    const last = Math.min(end, page.matched);
    if (start >= this.from && last <= this.from + page.rows.length) return;
    const from = Math.max(0, Math.min(start - Math.floor((WINDOW - (end - start)) / 2), page.matched - WINDOW));
    if (from === this.from) return;
    this.from = from;
    void this.refresh();
  }

  /**
   * Select the row at `index` among the matches (keyboard Home, End, PageDown…): at once when the
   * window holds it, else once the window around it arrives.
   */
  selectIndex(index: number): void {
    const matched = this.page?.matched ?? 0;
    if (matched === 0) return;
    const i = Math.max(0, Math.min(matched - 1, index));
    const rows = this.page?.rows ?? [];
    if (i >= this.from && i < this.from + rows.length) {
      this.#pendingIndex = undefined;
      this.select(rows[i - this.from].no, i);
      return;
    }
    this.#pendingIndex = i;
    this.selectedIndex = i;
    this.from = Math.max(0, Math.min(i - WINDOW / 2, matched - WINDOW));
    void this.refresh();
  }

  setPoint(id: string): void {
    if (id === this.point) return;
    this.point = id;
    this.from = 0;
    this.restarts++;
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
    this.#pendingIndex = undefined;
    this.selectedIndex = undefined;
    this.selected = undefined;
    this.detail = undefined;
    this.detailError = undefined;
  }

  /**
   * Apply a display filter (Enter in the box). Sent as typed, so the position of a mistake in
   * `filterError` points into the text the user sees. The list changes only once the engine has
   * parsed it (`load`): one that does not parse keeps the list of `shownFilter`.
   */
  applyFilter(text: string): void {
    this.filter = text;
    this.#candidate = text;
    void this.refresh();
  }

  setLeaksOnly(on: boolean): void {
    this.leaksOnly = on;
    this.from = 0;
    this.restarts++;
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

  /**
   * Show one packet a link points at (a transcript line's packet): its capture point, the window
   * that holds it (`index` in the point's unfiltered list, so filter and "Leaks only" are cleared),
   * selected with its detail. The list scrolls the selected row into view.
   */
  reveal(point: string, no: number, index: number): void {
    if (this.stream && this.stream.point !== point) this.closeStream();
    this.point = point;
    this.filter = '';
    this.shownFilter = '';
    this.filterError = undefined;
    this.#candidate = undefined;
    this.leaksOnly = false;
    this.from = Math.max(0, index - WINDOW / 2);
    this.#recheckSelection = false;
    this.#pendingIndex = undefined;
    this.selected = undefined;
    this.select(no, index);
    this.reveals++;
    void this.refresh();
  }

  /**
   * Select a packet of the current point by its frame number within that point (numbers are per
   * point), at `index` among the matches: its detail loads; the selection survives refreshes and
   * scrolling. A stream followed closes: it stood in the lower pane where this packet now shows.
   */
  select(no: number, index?: number): void {
    if (index !== undefined) this.selectedIndex = index;
    if (no === this.selected) return;
    this.selected = no;
    if (this.stream || this.streamError) this.closeStream();
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
    this.shownFilter = '';
    this.filterError = undefined;
    this.#candidate = undefined;
    this.leaksOnly = false;
    this.decrypt = false;
    this.from = 0;
    this.restarts++;
    this.page = undefined;
    this.leakCount = 0;
    this.error = undefined;
    this.#pendingIndex = undefined;
    this.selectedIndex = undefined;
    this.selected = undefined;
    this.detail = undefined;
    this.detailError = undefined;
    this.stream = undefined;
    this.streamError = undefined;
    if (this.active) void this.refresh();
  }
}
