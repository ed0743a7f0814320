/**
 * `postcard-lab serve [--port N] [--open] [--scenarios DIR] [--seed N] [--time-scale N]`: the app's
 * UI in a browser (docs/lab.md, "Command line"), for machines without the Electron binary. With `--time-scale N` the lab
 * clock runs in real time, N times as fast (`--time-scale 60`: a minute per second), so queued mail is retried and expires
 * by itself; without it the lab keeps the virtual clock, moved only by steps and the Rehearse tab's "advance the clock"
 * (docs/lab.md, "Time"). Listens on 127.0.0.1 only, prints the URL
 * with this run's token (`/?token=…`, docs/security.md), and runs until interrupted. `--open` asks the desktop to open the URL and never fails for want
 * of one (a server, a container, CI): the URL is printed either way.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiSession } from '../api/session.ts';
import { ensureRendererBuilt } from '../bridge/build.ts';
import { startUiServer } from '../bridge/ui-server.ts';
import { intFlag, parseArgs, stringFlag, timeScaleFlag, UsageError } from './args.ts';
import { EXIT, stopWithin, type CliIo } from './io.ts';
import { scenariosFolder } from './paths.ts';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The desktop's "open this URL" command, when there is a desktop to ask. */
export function openerFor(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): { command: string; args: string[] } | undefined {
  if (platform === 'darwin') return { command: 'open', args: [] };
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] };
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  return { command: 'xdg-open', args: [] };
}

function openBrowser(url: string, io: CliIo): void {
  const opener = openerFor(process.platform, process.env);
  if (!opener) {
    io.err('(--open: no display here; open the URL above in a browser)');
    return;
  }
  try {
    const child = spawn(opener.command, [...opener.args, url], { detached: true, stdio: 'ignore' });
    child.on('error', () => io.err(`(--open: could not run ${opener.command}; open the URL above in a browser)`));
    child.unref();
  } catch {
    io.err(`(--open: could not run ${opener.command}; open the URL above in a browser)`);
  }
}

export async function serveCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, { port: { type: 'value' }, open: { type: 'boolean' }, scenarios: { type: 'value' }, seed: { type: 'value' }, 'time-scale': { type: 'value' } });
  if (args.positional.length > 0) throw new UsageError(`serve takes no file arguments (got ${args.positional.join(' ')})`);
  const port = intFlag(args, 'port') ?? 5317;
  if (port < 0 || port > 65535) throw new UsageError(`--port takes 0 to 65535, not ${port}`);
  const seed = intFlag(args, 'seed');
  const scenariosDir = scenariosFolder('scenarios', stringFlag(args, 'scenarios') ?? path.join(PROJECT_ROOT, 'scenarios'));

  const { dir } = await ensureRendererBuilt(PROJECT_ROOT, (line) => io.err(line));
  const timeScale = timeScaleFlag(args);
  const session = new ApiSession({ scenariosDir, seed, timeScale });
  let server;
  try {
    server = await startUiServer({ port, rendererDir: dir, session });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      io.err(`postcard-lab serve: port ${port} on 127.0.0.1 is in use; pick another with --port N (0: any free port)`);
      return EXIT.badInput;
    }
    throw error;
  }
  io.out(`Postcard Lab UI: ${server.url}`);
  io.out('Serving on 127.0.0.1 only, to whoever has this address: its token is new each run. Press Ctrl+C to stop.');
  if (args.flags.has('open')) openBrowser(server.url, io);
  await io.interrupted();
  const stopped = await stopWithin('postcard-lab serve', async () => {
    await server.close();
    await session.close();
  }, io);
  return stopped ? EXIT.ok : EXIT.failed;
}
