// The renderer's entry: pick the transport, build the state, mount the UI.
import { mount } from 'svelte';
import App from './App.svelte';
import { connectApi } from './lib/api.ts';
import { AppState } from './state/app.svelte.ts';
import { readPlace } from './lib/place.ts';
import './styles.css';

const state = new AppState(connectApi());
mount(App, { target: document.getElementById('app')!, props: { state } });
void state.start(readPlace());
