/**
 * Build the Electron side with vite's JS API (no Electron binary needed):
 *   main/entry.ts   → out/main/main.js      ESM for Electron's Node; the engine (app/) bundled in,
 *                                           npm dependencies and node:* left as imports
 *   main/engine-entry.ts → out/main/engine.js  the engine, run by main as an Electron utilityProcess
 *   app/path/relay-worker.ts → out/main/relay-worker.js  the engine's relay thread (app/path/relay-thread.ts)
 *   main/preload.ts → out/main/preload.cjs  one CommonJS file, as a sandboxed preload must be
 * The renderer is built by vite.config.ts (`npm run build:renderer`). Run: `tsx main/build.ts`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'out', 'main');

export async function buildMain(): Promise<void> {
  await build({
    configFile: false, root, logLevel: 'warn',
    build: {
      ssr: true, outDir, emptyOutDir: true, target: 'node22', minify: false, sourcemap: true,
      rolldownOptions: {
        input: {
          main: path.join(root, 'main', 'entry.ts'), engine: path.join(root, 'main', 'engine-entry.ts'),
          'relay-worker': path.join(root, 'app', 'path', 'relay-worker.ts'),
        },
        external: ['electron'],
        output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  });
  await build({
    configFile: false, root, logLevel: 'warn',
    build: {
      outDir, emptyOutDir: false, target: 'chrome140', minify: false, sourcemap: false,
      lib: { entry: path.join(root, 'main', 'preload.ts'), formats: ['cjs'], fileName: () => 'preload.cjs' },
      // The contract module comes along whole (zod included, ~200 kB); the preload uses only its names.
      rolldownOptions: { external: ['electron'] },
    },
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildMain();
