// The relay thread's entry in the source tree (app/path/relay-thread.ts starts it): the thread
// runs TypeScript through tsx's loader, registered here because a worker's own `--import` comes
// too late for its entry module. A built app starts its bundled relay-worker.js instead.
import { register } from 'tsx/esm/api';

register();
await import('./relay-worker.ts');
