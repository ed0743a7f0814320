/**
 * The renderer bundle for `postcard-lab serve`: built with vite's JS API the first time it is
 * missing. The build goes to a private folder and is renamed into place, so two servers starting
 * at once never serve a half-written bundle (the rename is atomic on one file system).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface BuildReport {
  dir: string;
  built: boolean;
}

export async function ensureRendererBuilt(projectRoot: string, log: (line: string) => void = () => {}): Promise<BuildReport> {
  const dir = path.join(projectRoot, 'out', 'renderer');
  if (fs.existsSync(path.join(dir, 'index.html'))) return { dir, built: false };
  await buildRenderer(projectRoot, dir, log);
  return { dir, built: true };
}

/** Build the renderer into `target`, replacing what is there. */
export async function buildRenderer(projectRoot: string, target: string, log: (line: string) => void = () => {}): Promise<void> {
  const configFile = path.join(projectRoot, 'vite.config.ts');
  if (!fs.existsSync(configFile)) throw new Error(`cannot build the UI: ${configFile} is missing`);
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    throw new Error('the UI is not built (out/renderer is missing) and vite is not installed to build it; run `npm install` and `npm run build:renderer`');
  }
  log('Building the UI (first run)…');
  const tmp = `${target}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  await vite.build({ configFile, logLevel: 'warn', build: { outDir: tmp, emptyOutDir: true } });
  fs.rmSync(target, { recursive: true, force: true });
  try {
    fs.renameSync(tmp, target);
  } catch (error) {
    // Another process put a bundle there first: theirs is as good as ours.
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(path.join(target, 'index.html'))) throw error;
  }
}
