// Builds the renderer (Svelte 5) into out/renderer: `npm run build:renderer`, or on first use by
// `postcard-lab serve`. Relative asset paths, so the same bundle loads from postcard://app/ in
// Electron and from http://127.0.0.1:P/ in a browser; no inline script (the CSPs forbid it).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  base: './',
  plugins: [svelte({ configFile: false })],
  build: {
    outDir: fileURLToPath(new URL('./out/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
