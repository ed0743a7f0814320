/**
 * A learner's seat in the page: the class server's `seat.*` messages, and how the app adopts the
 * lab the trainer assigned (or the one it finds again after a reload or a laptop's sleep) without
 * starting it anew — the cursor and step results come from the seat's own snapshot.
 */
import type { EventMessage } from '../../app/api/contract.ts';
import type { SeatEventMessage, SeatWelcome } from '../../app/api/classroom.ts';
import type { AppState } from './app.svelte.ts';

export class SeatStatus {
  seat = $state<string | undefined>(undefined);
  name = $state('');
  message = $state<string | undefined>(undefined);
  /** The trainer freed the seat: its token opens nothing any more, its lab has stopped. */
  closed = $state(false);
  /** Back to the join form for a new seat, when the seat is gone or cannot be reached (the page offers it then). */
  rejoin = $state.raw<(() => void) | undefined>(undefined);
}

/** Show the seat's scenario and lab as they are on the server. */
export function adopt(state: AppState, welcome: SeatWelcome): void {
  const s = state.scenario;
  if (welcome.scenario) {
    s.current = welcome.scenario;
    const table: typeof s.results = [];
    for (const r of welcome.snapshot.results) table[r.index] = r;
    s.results = table;
    s.next = welcome.snapshot.nextStep;
    s.verdict = undefined;
  }
  state.mail.clear();
  state.transcript.clear();
  state.capture.clear();
  state.tab = 'topology';
  void state.lab.refresh();
}

/**
 * Route the class server's messages to a learner's page; the app's own events go to the app.
 * `onClosed`: the seat was freed (the page forgets its token and offers to join again).
 */
export function followSeat(state: AppState, status: SeatStatus, onEvent: (listener: (e: EventMessage) => void) => void, onClosed?: () => void): void {
  onEvent((event) => {
    const e = event as unknown as SeatEventMessage;
    switch (e.event) {
      case 'seat.welcome':
      case 'seat.assigned':
        status.seat = e.payload.seat;
        status.name = e.payload.name;
        status.message = e.event === 'seat.assigned' ? 'The trainer started a lab for you.' : undefined;
        adopt(state, e.payload);
        break;
      case 'seat.closed':
        // The lab went with the seat: the header says "Lab closed" and its controls are off.
        status.closed = true;
        status.message = `This seat is closed: ${e.payload.reason}, and its lab has stopped.`;
        state.close(e.payload.reason);
        onClosed?.();
        break;
      default:
        break;
    }
  });
}
