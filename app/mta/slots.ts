/**
 * Delivery concurrency, as a real MTA's queue manager limits it (docs/decisions.md, "Delivery
 * concurrency"): at most `perDestination` sessions at once from one server to one destination
 * domain (Postfix's `default_destination_concurrency_limit`, 20) and at most `total` outbound
 * sessions in the whole lab (Postfix's `default_process_limit`, 100). An entry that finds no free
 * slot waits in arrival order; when a session ends the first waiter whose destination has room
 * goes next, so one slow destination never holds up mail to the others.
 */
export interface SlotLimits {
  perDestination: number;
  total: number;
}

export const defaultSlotLimits: SlotLimits = { perDestination: 20, total: 100 };

interface Waiter {
  seq: number;
  grant: () => void;
}

export class DeliverySlots {
  readonly limits: SlotLimits;
  #active = new Map<string, number>();
  #total = 0;
  /** Waiters per destination, each in arrival order. */
  #waiting = new Map<string, Waiter[]>();
  #waitingCount = 0;
  #seq = 0;
  #drained: (() => void)[] = [];
  /** The most sessions ever open at once (what `bench` and the tests report). */
  peak = 0;

  constructor(limits: Partial<SlotLimits> = {}) {
    this.limits = { ...defaultSlotLimits, ...limits };
    if (!(this.limits.perDestination >= 1 && this.limits.total >= 1)) throw new RangeError('delivery limits must be at least 1');
  }

  /** Sessions open now. */
  get active(): number {
    return this.#total;
  }

  /** Entries waiting for a slot. */
  get waiting(): number {
    return this.#waitingCount;
  }

  /** Wait for a slot towards `destination`; resolves with the function that gives it back. */
  acquire(destination: string): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.#take(destination);
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.#release(destination);
        });
      };
      if (this.#free(destination)) return grant();
      const queue = this.#waiting.get(destination) ?? [];
      queue.push({ seq: this.#seq++, grant });
      this.#waiting.set(destination, queue);
      this.#waitingCount++;
    });
  }

  /**
   * Back-pressure for whoever accepts new mail (Postfix's `in_flow_delay`): resolves when fewer
   * than `below` entries wait for a slot, or after `maxMs` at most, whichever is first.
   */
  whenWaitingBelow(below: number, maxMs: number, setTimer: (fn: () => void, ms: number) => () => void): Promise<void> {
    if (this.#waitingCount < below) return Promise.resolve();
    return new Promise((resolve) => {
      let cancel = () => {};
      const done = () => {
        cancel();
        this.#drained = this.#drained.filter((f) => f !== check);
        resolve();
      };
      const check = () => {
        if (this.#waitingCount < below) done();
      };
      this.#drained.push(check);
      cancel = setTimer(done, maxMs);
    });
  }

  #free(destination: string): boolean {
    return this.#total < this.limits.total && (this.#active.get(destination) ?? 0) < this.limits.perDestination;
  }

  #take(destination: string): void {
    this.#total++;
    this.#active.set(destination, (this.#active.get(destination) ?? 0) + 1);
    this.peak = Math.max(this.peak, this.#total);
  }

  #release(destination: string): void {
    this.#total--;
    const n = (this.#active.get(destination) ?? 1) - 1;
    if (n > 0) this.#active.set(destination, n);
    else this.#active.delete(destination);
    // The earliest waiter whose destination has room goes next (destinations are few).
    while (this.#total < this.limits.total) {
      let next: { destination: string; queue: Waiter[] } | undefined;
      for (const [d, queue] of this.#waiting) {
        if (this.#free(d) && (!next || queue[0].seq < next.queue[0].seq)) next = { destination: d, queue };
      }
      if (!next) break;
      const w = next.queue.shift()!;
      if (next.queue.length === 0) this.#waiting.delete(next.destination);
      this.#waitingCount--;
      w.grant();
    }
    for (const check of [...this.#drained]) check();
  }
}
