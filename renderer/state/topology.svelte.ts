/**
 * The topology picture's data and the replay: each link's state for its last session, and the
 * lab's event timeline with a cursor that steps or plays at a chosen speed (Packet Tracer's
 * simulation mode, on the recorded traffic). Both come from the engine (getLinks, getTimeline);
 * this class only holds the last answer and the cursor.
 */
import type { LinkStateView, PostcardApi, TimelineEventView } from '../../app/api/contract.ts';
import { LiveView } from './live.svelte.ts';

/** Real milliseconds between two replay steps at speed 1. */
const STEP_MS = 900;

export class TopologyState extends LiveView {
  #api: PostcardApi;
  #timer: ReturnType<typeof setTimeout> | undefined;

  links = $state.raw<LinkStateView[]>([]);
  events = $state.raw<TimelineEventView[]>([]);
  total = $state(0);
  /** The replayed event; undefined when the picture shows the lab as it is now. */
  cursor = $state<number | undefined>(undefined);
  playing = $state(false);
  speed = $state(1);

  current = $derived(this.cursor === undefined ? undefined : this.events[this.cursor]);

  constructor(api: PostcardApi) {
    super();
    this.#api = api;
  }

  /** Off screen, the replay stops where it is. */
  protected override deactivated(): void {
    this.pause();
  }

  protected async load(): Promise<void> {
    const [links, timeline] = await Promise.all([this.#api.getLinks({}), this.#api.getTimeline({})]);
    this.links = links.links;
    this.events = timeline.events;
    this.total = timeline.total;
    if (this.cursor !== undefined && this.cursor >= this.events.length) this.cursor = this.events.length ? this.events.length - 1 : undefined;
  }

  link(point: string): LinkStateView | undefined {
    return this.links.find((l) => l.point === point);
  }

  /** Step to event `i` (clamped); the picture follows. */
  goto(i: number): void {
    if (!this.events.length) return;
    this.cursor = Math.max(0, Math.min(this.events.length - 1, i));
  }

  first(): void {
    this.pause();
    this.goto(0);
  }

  step(by: number): void {
    this.pause();
    this.goto((this.cursor ?? (by > 0 ? -1 : this.events.length)) + by);
  }

  /** Back to the lab as it is now. */
  live(): void {
    this.pause();
    this.cursor = undefined;
  }

  play(): void {
    if (!this.events.length) return;
    if (this.cursor === undefined || this.cursor >= this.events.length - 1) this.cursor = 0;
    this.playing = true;
    this.#schedule();
  }

  pause(): void {
    this.playing = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  setSpeed(speed: number): void {
    this.speed = speed;
    if (this.playing) {
      if (this.#timer) clearTimeout(this.#timer);
      this.#schedule();
    }
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      if (!this.playing) return;
      if (this.cursor === undefined || this.cursor >= this.events.length - 1) {
        this.pause();
        return;
      }
      this.cursor++;
      this.#schedule();
    }, STEP_MS / this.speed);
  }

  clear(): void {
    this.pause();
    this.links = [];
    this.events = [];
    this.total = 0;
    this.cursor = undefined;
    this.error = undefined;
    if (this.active) void this.refresh();
  }
}
