// The Electron entry point (built to out/main/main.js). Starting is a side effect kept out of
// main.ts, so tests can import the composition root without launching anything.
import { start } from './main.ts';

start();
