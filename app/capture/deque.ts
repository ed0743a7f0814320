/** An array with O(1) removal at the front (amortised), for bounded packet lists. */
export class Deque<T> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** Item `i` counted from the front, or undefined. */
  at(i: number): T | undefined {
    return i >= 0 && i < this.length ? this.#items[this.#head + i] : undefined;
  }

  first(): T | undefined {
    return this.at(0);
  }

  last(): T | undefined {
    return this.at(this.length - 1);
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined as T;
    this.#head++;
    // Compact once the dead prefix dominates, so memory follows the live length.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = this.#head; i < this.#items.length; i++) yield this.#items[i];
  }

  /** Index of the first item for which `below` is false, items being sorted by it (binary search). */
  lowerBound(below: (item: T) => boolean): number {
    return lowerBound(this.length, (i) => below(this.#items[this.#head + i]));
  }
}

/** Index of the first of `length` sorted positions for which `below(i)` is false (binary search). */
export function lowerBound(length: number, below: (i: number) => boolean): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (below(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
