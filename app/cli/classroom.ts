/**
 * `postcard-lab classroom [--listen ADDR:PORT] [--seats N] [--scenario ID ...] [--idle MINUTES]
 *  [--capture MIB] [--scenarios DIR] [--seed N] [--no-qr]`: one trainer machine serves an
 * isolated lab to every learner's browser, and a live board to the trainer (docs/classroom.md).
 *
 * Listens on 127.0.0.1 unless --listen names another address, and then says in one line that the
 * class network can reach it. Prints the join link (and its QR code) and the trainer link, once.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import QRCode from 'qrcode';
import { ensureRendererBuilt } from '../bridge/build.ts';
import { Classroom, MAX_SEATS } from '../classroom/room.ts';
import { startClassroomServer } from '../classroom/server.ts';
import { intFlag, parseArgs, stringFlag, UsageError } from './args.ts';
import { EXIT, stopWithin, type CliIo } from './io.ts';
import { scenariosFolder } from './paths.ts';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_CLASS_PORT = 5318;

/** `ADDR:PORT` or `ADDR` (default port) — IPv4 only, as the links a class types are. */
export function parseListen(value: string | undefined): { host: string; port: number } {
  if (value === undefined) return { host: '127.0.0.1', port: DEFAULT_CLASS_PORT };
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(value);
  if (!m) throw new UsageError(`--listen takes an IPv4 address and port, such as 0.0.0.0:${DEFAULT_CLASS_PORT} or 192.168.1.10:${DEFAULT_CLASS_PORT}, not ${JSON.stringify(value)}`);
  if (m[1].split('.').some((n) => Number(n) > 255)) throw new UsageError(`--listen: ${m[1]} is not an IPv4 address`);
  const port = m[2] === undefined ? DEFAULT_CLASS_PORT : Number(m[2]);
  if (port > 65535) throw new UsageError(`--listen: port ${port} is above 65535`);
  return { host: m[1], port };
}

/** Every `--scenario ID` (the flag may repeat; the strict parser takes each flag once). */
function takeScenarios(argv: string[]): { ids: string[]; rest: string[] } {
  const ids: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--scenario' || a.startsWith('--scenario=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined || v === '' || v.startsWith('--')) throw new UsageError('--scenario needs a scenario id');
      ids.push(...v.split(',').filter(Boolean));
    } else rest.push(a);
  }
  return { ids, rest };
}

function bounded(value: number | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (value < min || value > max) throw new UsageError(`--${name} takes ${min} to ${max}, not ${value}`);
  return value;
}

export async function classroomCommand(argv: string[], io: CliIo): Promise<number> {
  const { ids, rest } = takeScenarios(argv);
  const args = parseArgs(rest, {
    listen: { type: 'value' }, seats: { type: 'value' }, idle: { type: 'value' }, capture: { type: 'value' },
    // Taken above, every time it is given (the parser takes a flag once); listed so that the
    // answer to an unknown flag names it among the known ones.
    scenario: { type: 'value' },
    scenarios: { type: 'value' }, seed: { type: 'value' }, 'no-qr': { type: 'boolean' },
  });
  if (args.positional.length > 0) throw new UsageError(`classroom takes no file arguments (got ${args.positional.join(' ')}); name scenarios with --scenario ID`);
  const { host, port } = parseListen(stringFlag(args, 'listen'));
  const seats = bounded(intFlag(args, 'seats'), 'seats', 20, 1, MAX_SEATS);
  const idleMinutes = bounded(intFlag(args, 'idle'), 'idle', 30, 1, 24 * 60);
  // --capture is in MiB: the byte budget of each seat's lab, tap log and packet view together.
  const capturePerLab = bounded(intFlag(args, 'capture'), 'capture', 32, 1, 4096) * 1024 * 1024;
  const scenariosDir = scenariosFolder('scenarios', stringFlag(args, 'scenarios') ?? path.join(PROJECT_ROOT, 'scenarios'));

  let room: Classroom;
  try {
    room = new Classroom({ scenariosDir, scenarios: ids, seats, idleMinutes, capturePerLab, seed: intFlag(args, 'seed') });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { dir } = await ensureRendererBuilt(PROJECT_ROOT, (line) => io.err(line));
  let server;
  try {
    server = await startClassroomServer({ room, rendererDir: dir, host, port });
  } catch (error) {
    await room.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL') {
      io.err(`postcard-lab classroom: cannot listen on ${host}:${port} (${code === 'EADDRINUSE' ? 'in use' : 'not an address of this machine'}); pick another with --listen ADDR:PORT`);
      return EXIT.badInput;
    }
    throw error;
  }
  if (server.exposed) io.err(`warning: listening on ${host}:${server.port} — every machine on the class network can reach this server (learners need only the join link; the trainer link stays with you)`);
  io.out(`Postcard Lab classroom: ${seats} seats, ${room.scenarios().length} scenarios, idle labs stop after ${idleMinutes} min`);
  io.out(`Join link (for learners): ${server.joinUrl}`);
  if (!args.flags.has('no-qr')) io.out(await QRCode.toString(server.joinUrl, { type: 'utf8', errorCorrectionLevel: 'L' }));
  io.out(`Trainer link (yours alone; shown once): ${server.trainerUrl}`);
  io.out(`Serving on ${host}${host === '127.0.0.1' ? ' only' : ''}. Press Ctrl+C to end the class.`);
  await io.interrupted();
  const stopped = await stopWithin('postcard-lab classroom', async () => {
    await server.close();
    await room.close();
  }, io);
  return stopped ? EXIT.ok : EXIT.failed;
}
