/**
 * The trainer's board: every seat's view, replaced seat by seat as `board.seat` events arrive
 * (never polled), the class's facts, the trainer's actions, and the seat shown read-only.
 */
import type { BoardApi, ClassView, SeatView } from '../../app/api/classroom.ts';
import { ThemeState } from './theme.svelte.ts';

export class BoardState {
  readonly api: BoardApi;
  /** Light or dark, as in the app (a projected board in a dimmed room wants dark); the seat view shares it. */
  readonly theme = new ThemeState();
  klass = $state.raw<ClassView | undefined>(undefined);
  seats = $state.raw<SeatView[]>([]);
  error = $state<string | undefined>(undefined);
  notice = $state<string | undefined>(undefined);
  busy = $state(false);
  /** The seat open in the read-only view. */
  viewing = $state<string | undefined>(undefined);
  /** Wall-clock ms, ticking once a second for "time on the step". */
  now = $state(Date.now());

  constructor(api: BoardApi) {
    this.api = api;
    api.onEvent((e) => {
      if (e.event === 'board.seat') this.#put(e.payload);
      else if (e.event === 'board.removed') {
        this.seats = this.seats.filter((s) => s.seat !== e.payload.seat);
        if (this.viewing === e.payload.seat) this.viewing = undefined;
      }
    });
  }

  async start(): Promise<void> {
    await this.#guard(async () => {
      const board = await this.api.getBoard({});
      this.klass = board.class;
      this.seats = board.seats;
    });
  }

  tick(): void {
    this.now = Date.now();
  }

  async assign(scenario: string, seat?: string): Promise<void> {
    await this.#guard(async () => {
      const r = await this.api.assignScenario(seat ? { scenario, seat } : { scenario });
      this.notice = `${scenario} started on ${r.seats.length} seat${r.seats.length === 1 ? '' : 's'}${r.failed.length ? `; not on ${r.failed.map((f) => `${f.seat} (${f.message})`).join(', ')}` : ''}.`;
    });
  }

  async reset(seat: string): Promise<void> {
    await this.#guard(async () => {
      this.#put(await this.api.resetSeat({ seat }));
      this.notice = `${seat}: a fresh lab, from step 1.`;
    });
  }

  async remove(seat: string): Promise<void> {
    await this.#guard(async () => {
      await this.api.removeSeat({ seat });
      this.notice = `${seat} is free again.`;
    });
  }

  async view(seat: string | undefined): Promise<void> {
    await this.#guard(async () => {
      await this.api.watchSeat({ seat: seat ?? null });
      this.viewing = seat;
    });
  }

  /** The results as a file the browser saves. */
  async export(format: 'csv' | 'json'): Promise<{ filename: string; type: string; text: string } | undefined> {
    let file: { filename: string; type: string; text: string } | undefined;
    await this.#guard(async () => {
      file = await this.api.exportResults({ format });
    });
    return file;
  }

  #put(view: SeatView): void {
    const i = this.seats.findIndex((s) => s.seat === view.seat);
    this.seats = i < 0 ? [...this.seats, view].sort((a, b) => a.seat.localeCompare(b.seat)) : this.seats.with(i, view);
  }

  async #guard(fn: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.error = undefined;
    this.notice = undefined;
    try {
      await fn();
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.busy = false;
    }
  }
}
