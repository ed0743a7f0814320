/**
 * A view the engine's answers keep fresh while it is on screen (the packet view, the topology,
 * the firewall view, the server logs): its panel calls `activate()` when it mounts and the returned
 * function when it unmounts; a lab event reloads it only while it is active; and reloads collapse
 * into one in flight and at most one after (lib/coalesce.ts), so a flood of events costs two
 * requests. A subclass says what to load, and keeps the last answer in its own fields.
 */
import { coalesce } from '../lib/coalesce.ts';

export abstract class LiveView {
  #active = false;
  /** The last load's error, in words; cleared by the next load that succeeds. */
  error = $state<string | undefined>(undefined);
  /** A load is in flight. */
  loading = $state(false);

  /** The panel is on screen: keep it fresh until the returned function is called. */
  activate(): () => void {
    this.#active = true;
    void this.refresh();
    return () => {
      this.#active = false;
      this.deactivated();
    };
  }

  protected get active(): boolean {
    return this.#active;
  }

  /** The panel left the screen (a subclass stops what it was doing for it). */
  protected deactivated(): void {}

  /** Something happened in the lab: reload what is on screen. */
  onLabEvent(): void {
    if (this.#active) void this.refresh();
  }

  refresh(): Promise<void> {
    return this.#refresh();
  }

  #refresh = coalesce(() => this.load(), (error) => (this.error = error), (busy) => (this.loading = busy));

  /** Ask the engine and keep its answer. */
  protected abstract load(): Promise<void>;
}
