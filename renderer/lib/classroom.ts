/**
 * Classroom mode in the page (docs/classroom.md): which page the URL fragment asks for, where a
 * learner's seat token is kept between visits, and the sockets of each door.
 *
 *   #/join?code=C     the join form (or straight back to the seat this browser already holds)
 *   #/seat            the learner's lab: the same app as `serve`, on the seat's socket
 *   #/board?token=T   the trainer's board
 *   (anything else)   the app of `postcard-lab serve`
 *
 * Secrets stay in the fragment, which the browser never sends to a server or in a Referer.
 */
import type { PostcardApi } from '../../app/api/contract.ts';
import type { BoardApi, BoardEventMessage } from '../../app/api/classroom.ts';
import { createSocketApi } from './socket.ts';

export type PageMode =
  | { kind: 'app' }
  | { kind: 'join'; code: string }
  | { kind: 'seat' }
  | { kind: 'board'; token: string };

export function pageMode(hash: string): PageMode {
  const m = /^#\/(join|seat|board)(?:\?(.*))?$/.exec(hash);
  if (!m) return { kind: 'app' };
  const query = new URLSearchParams(m[2] ?? '');
  if (m[1] === 'join') return { kind: 'join', code: query.get('code') ?? '' };
  if (m[1] === 'board') return { kind: 'board', token: query.get('token') ?? '' };
  return { kind: 'seat' };
}

export interface HeldSeat {
  code: string;
  seat: string;
  name: string;
  token: string;
}

const KEY = 'postcard-lab.classroom.seat';

/** The seat this browser holds (per origin: one class server), if any. */
export function heldSeat(): HeldSeat | undefined {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? 'null') as HeldSeat | null;
    return value && typeof value.token === 'string' && typeof value.code === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export function holdSeat(seat: HeldSeat): void {
  localStorage.setItem(KEY, JSON.stringify(seat));
}

export function forgetSeat(): void {
  localStorage.removeItem(KEY);
}

function socketUrl(query: string): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws?${query}`;
}

/** The join door: one command. */
export function joinApi(code: string): { join(request: { name: string }): Promise<{ seat: string; name: string; token: string }> } {
  return createSocketApi(socketUrl(`join=${encodeURIComponent(code)}`)) as unknown as { join(request: { name: string }): Promise<{ seat: string; name: string; token: string }> };
}

/** The learner's seat: the app's own API, on the seat's socket (events include `seat.*`). */
export function seatApi(token: string): PostcardApi {
  return createSocketApi(socketUrl(`seat=${encodeURIComponent(token)}`));
}

/**
 * The seat's API once `closed()` holds (the trainer freed the seat): every call fails, saying so,
 * instead of opening the socket again with a token that opens nothing (and naming it in the error).
 */
export function closableApi(api: PostcardApi, closed: () => boolean): PostcardApi {
  return new Proxy(api, {
    get(target, name) {
      if (typeof name !== 'string' || name === 'onEvent' || name === 'then' || !closed()) return Reflect.get(target, name) as unknown;
      return () => Promise.reject(new Error('this seat is closed: join the class again for a new seat and lab'));
    },
  });
}

export function boardApi(token: string): BoardApi {
  // The socket client makes a call of any name; the board's allow-list answers the rest.
  return createSocketApi(socketUrl(`board=${encodeURIComponent(token)}`)) as unknown as BoardApi;
}

/**
 * One seat's lab through the board, read-only: every app call becomes `viewSeat`, and the seat's
 * events (`seat.event`, while the board watches it) arrive as the app's own events. The server
 * refuses any command that would change the lab.
 */
export function seatViewApi(board: BoardApi, seat: string): { api: PostcardApi; close(): void } {
  const offs: (() => void)[] = [];
  const onEvent: PostcardApi['onEvent'] = (listener) => {
    const off = board.onEvent((e: BoardEventMessage) => {
      if (e.event === 'seat.event' && e.payload.seat === seat) listener(e.payload.event);
    });
    offs.push(off);
    return off;
  };
  const api = new Proxy({} as PostcardApi, {
    get(_target, name) {
      if (name === 'onEvent') return onEvent;
      if (typeof name !== 'string' || name === 'then') return undefined;
      return (payload: unknown) => board.viewSeat({ seat, command: name as never, payload });
    },
  });
  // The view's states subscribe for as long as they live; closing the view ends every subscription.
  return { api, close: () => offs.splice(0).forEach((off) => off()) };
}
