/**
 * The learner's place in the address: `#scenario=ntlm-one-way&step=2` (step counted from 1). A
 * reload or a bookmark comes back to the same scenario; the session (app/api/session.ts) still
 * holds its lab and cursor, so the step is the session's, and the address only follows it.
 *
 * The classroom pages (`#/join`, `#/seat`, `#/board`: lib/classroom.ts) own their fragment: there
 * the place is neither read nor written. A seat needs no place in its address: its session on the
 * class server keeps the scenario and the step, and `#/seat` brings a reload back to that seat.
 */
import { pageMode } from './classroom.ts';

export interface Place {
  scenario?: string;
  step?: number;
}

function isClassroomRoute(hash: string): boolean {
  return pageMode(hash).kind !== 'app';
}

export function readPlace(hash: string = location.hash): Place {
  if (isClassroomRoute(hash)) return {};
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const scenario = params.get('scenario') ?? undefined;
  const step = Number(params.get('step'));
  return { ...(scenario ? { scenario } : {}), ...(Number.isInteger(step) && step > 0 ? { step } : {}) };
}

export function placeHash(place: Place): string {
  if (!place.scenario) return '';
  const params = new URLSearchParams({ scenario: place.scenario, ...(place.step ? { step: String(place.step) } : {}) });
  return `#${params.toString()}`;
}

/** Replace (never push) the address: Back still leaves the app rather than stepping through it. */
export function writePlace(place: Place): void {
  if (isClassroomRoute(location.hash)) return;
  const hash = placeHash(place);
  if (hash === location.hash) return;
  history.replaceState(null, '', hash || location.pathname + location.search);
}
