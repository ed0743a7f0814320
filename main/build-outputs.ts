/**
 * What `npm run build` writes for the desktop app, as paths from the package root. main/build.ts
 * writes the main-side names; vite.config.ts the renderer's (its assets carry a content hash, shown
 * here as HASH). test/main/builder-config.test.ts checks that electron-builder's `files` globs take
 * exactly these into app.asar. No electron import: tests and scripts share it.
 */
export const MAIN_OUT = {
  /** Electron's main process (package.json `main`). */
  main: 'out/main/main.js',
  /** The engine, run by main as an Electron utilityProcess (main/engine-host.ts). */
  engine: 'out/main/engine.js',
  /** The engine's relay thread: the lab's paths run there (app/path/relay-thread.ts). */
  relayWorker: 'out/main/relay-worker.js',
  /** The sandboxed preload: one CommonJS file. */
  preload: 'out/main/preload.cjs',
} as const;

export const BUILT_FILES: readonly string[] = [
  MAIN_OUT.main,
  MAIN_OUT.engine,
  MAIN_OUT.relayWorker,
  MAIN_OUT.preload,
  'out/renderer/index.html',
  'out/renderer/favicon.svg',
  'out/renderer/assets/index-HASH.js',
  'out/renderer/assets/index-HASH.css',
];
