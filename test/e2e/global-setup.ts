// Build the renderer from the current sources before any spec runs, so the browser tests never
// exercise a stale out/renderer (serve only builds when the folder is missing).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRenderer } from '../../app/bridge/build.ts';

export default async function globalSetup(): Promise<void> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  await buildRenderer(root, path.join(root, 'out', 'renderer'));
}
