// The classroom pages (docs/classroom.md): join, a learner's seat (the app itself, on the seat's
// socket), and the trainer's board. main.ts hands over here when the URL fragment asks for one.
import { mount, unmount } from 'svelte';
import App from './App.svelte';
import Board from './views/Board.svelte';
import JoinClass from './views/JoinClass.svelte';
import SeatBar from './views/SeatBar.svelte';
import { AppState } from './state/app.svelte.ts';
import { BoardState } from './state/board.svelte.ts';
import { ThemeState } from './state/theme.svelte.ts';
import { SeatStatus, followSeat } from './state/classroom.svelte.ts';
import { boardApi, closableApi, forgetSeat, heldSeat, holdSeat, joinApi, seatApi, type PageMode } from './lib/classroom.ts';

const BOARD_KEY = 'postcard-lab.classroom.board';

/** `theme`: the join page's, when the learner just joined (one theme per page, following the system or their choice). */
function startSeat(target: HTMLElement, token: string, theme?: ThemeState): void {
  history.replaceState(null, '', '#/seat');
  // The packet view's downloads are plain links: the seat's token rides along in a cookie sent only to /export/ of this server.
  document.cookie = `postcard-seat=${token}; path=/export/; SameSite=Strict`;
  const status = new SeatStatus();
  const api = closableApi(seatApi(token), () => status.closed);
  const state = new AppState(api, theme);
  // Back to this class's join form for a new seat (the join code is the one this seat was taken with).
  const code = heldSeat()?.code;
  const rejoin = code === undefined ? undefined : () => {
    forgetSeat();
    history.replaceState(null, '', `#/join?code=${encodeURIComponent(code)}`);
    location.reload();
  };
  // A freed seat's token opens nothing: forget it, or the join link would lead back to it.
  followSeat(state, status, (listener) => api.onEvent(listener), () => {
    forgetSeat();
    status.rejoin = rejoin;
  });
  const bar = document.createElement('div');
  target.before(bar);
  // The bar and the app share the window's height (styles.css), as the app alone does elsewhere.
  document.body.classList.add('seat-mode');
  mount(SeatBar, { target: bar, props: { status } });
  mount(App, { target, props: { state } });
  void state.start().then(() => {
    // The page's errors are capitalised (lib/format.ts friendly): "Cannot reach the lab server at …".
    if (!/^cannot reach/i.test(state.scenario.error ?? '')) return;
    status.message = 'Cannot reach your seat: the class may have ended, or the trainer freed it.';
    status.rejoin = rejoin;
  });
}

function startJoin(target: HTMLElement, code: string): void {
  const held = heldSeat();
  // This browser already holds a seat in this class: back to it (a reload, a laptop's sleep).
  if (held && held.code === code) return startSeat(target, held.token);
  const api = joinApi(code);
  // Light or dark as every other page: the system's unless the learner picks one.
  const theme = new ThemeState();
  const page = mount(JoinClass, {
    target,
    props: {
      theme,
      onJoin: async (name: string) => {
        try {
          const seat = await api.join({ name });
          holdSeat({ code, ...seat });
        } catch (error) {
          return (error as Error).message;
        }
        void unmount(page);
        startSeat(target, heldSeat()!.token, theme);
        return undefined;
      },
    },
  });
}

export function startClassroom(mode: Exclude<PageMode, { kind: 'app' }>, target: HTMLElement): void {
  switch (mode.kind) {
    case 'join':
      return startJoin(target, mode.code);
    case 'seat': {
      const held = heldSeat();
      if (held) return startSeat(target, held.token);
      forgetSeat();
      new ThemeState().apply(); // light or dark, as on every page
      target.textContent = 'This browser holds no seat in a class. Open the join link the trainer shows.';
      return;
    }
    case 'board': {
      // The token leaves the address bar at once (the board may be on the projector); the tab keeps it for a reload.
      const token = mode.token || sessionStorage.getItem(BOARD_KEY) || '';
      sessionStorage.setItem(BOARD_KEY, token);
      history.replaceState(null, '', '#/board');
      document.body.classList.add('board-mode');
      const board = new BoardState(boardApi(token));
      mount(Board, { target, props: { board } });
      void board.start();
      return;
    }
    default: {
      const never: never = mode;
      void never;
    }
  }
}
