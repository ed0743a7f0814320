/**
 * A typed event channel (docs/architecture.md, "Events"): a subscription returns its own
 * unsubscribe, and the emitter knows nothing of who listens (a transport, the UI, a test).
 */
export class Emitter<E> {
  #listeners = new Set<(event: E) => void>();

  subscribe(fn: (event: E) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  emit(event: E): void {
    for (const fn of this.#listeners) fn(event);
  }
}
