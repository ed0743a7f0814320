// The renderer's entry: pick the transport, build the state, mount the UI.
import { mount } from 'svelte';
import App from './App.svelte';
import { connectApi } from './lib/api.ts';
import { AppState } from './state/app.svelte.ts';
import { pageMode } from './lib/classroom.ts';
import { startClassroom } from './classroom.ts';
import './styles.css';

const target = document.getElementById('app')!;
const mode = pageMode(location.hash);
if (mode.kind !== 'app') {
  // Classroom pages: join, a learner's seat, the trainer's board (docs/classroom.md).
  startClassroom(mode, target);
} else {
  const state = new AppState(connectApi());
  mount(App, { target, props: { state } });
  void state.start();
}
