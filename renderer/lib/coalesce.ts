/**
 * A refresh that collapses bursts: while one run is in flight, further calls ask for exactly one
 * more run, which then reads the state as it is by that time. Used by every state class that
 * reloads from the engine on events, so a flood of events costs two requests, not a flood.
 */
import { friendly } from './format.ts';
export interface Coalesced {
  (): Promise<void>;
  /** True while a run is in flight. */
  readonly busy: boolean;
}

export function coalesce(work: () => Promise<void>, report: (error: string | undefined) => void, onBusy: (busy: boolean) => void = () => {}): Coalesced {
  let inFlight = false;
  let again = false;
  const run = async (): Promise<void> => {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    onBusy(true);
    try {
      do {
        again = false;
        await work();
      } while (again);
      report(undefined);
    } catch (error) {
      report(friendly((error as Error).message));
    } finally {
      inFlight = false;
      onBusy(false);
    }
  };
  return Object.defineProperty(run, 'busy', { get: () => inFlight }) as Coalesced;
}
