/**
 * `postcard-lab`: the command line (docs/lab.md, "Command line"). Exit codes: 0 all passed, 1 an expectation failed,
 * 2 bad input (unreadable or invalid file, bad flag, duplicate scenario ids).
 */
import { UsageError } from './args.ts';
import { EXIT, processIo, type CliIo } from './io.ts';
import { runCommand } from './run.ts';
import { upCommand } from './up.ts';
import { validateCommand } from './validate.ts';
import { policyCommand } from './policy.ts';

const USAGE = `usage:
  postcard-lab run <scenario.yaml|dir>... [--junit FILE] [--json FILE] [--html FILE] [--pcap DIR]
                   [--export DIR] [--workspace DIR] [--seed N] [--shard I/N]
  postcard-lab up <scenario.yaml> [--json] [--workspace DIR] [--record FILE] [--time-scale N] [--firewall-config FILE]
  postcard-lab queue <workspace> [--json] [--all] [--eml ID]
  postcard-lab serve [--port N] [--open] [--scenarios DIR] [--seed N] [--time-scale N]
  postcard-lab classroom [--listen ADDR:PORT] [--seats N] [--scenario ID ...] [--idle MINUTES]
                   [--capture MIB] [--scenarios DIR] [--seed N] [--no-qr]
  postcard-lab validate <file>...
  postcard-lab policy <scenario.yaml> --org ID --as exchange-5.5|exchange-2019|postfix|mta-sts|dane
  postcard-lab bench [--json] [--quick]
  postcard-lab grid [--senders L] [--receivers L] [--firewalls L] [--methods L] [--firewall-config FILE]
                    [--shard I/N] [--jobs N] [--concurrency N] [--seed N] [--timeout D]
                    [--csv FILE] [--json FILE] [--html FILE] [--export DIR]
  postcard-lab firewall import <config.txt> [--json]
  postcard-lab firewall export <profile|scenario.yaml> [--path N] [--dialect pix|asa]
  postcard-lab infer --sent A.pcapng --wire B.pcapng [--out scenario.yaml] [--json]
  (run and up also take --firewall-config FILE: a PIX/ASA configuration for every firewall path)`;

const commands: Record<string, (argv: string[], io: CliIo) => number | Promise<number>> = {
  run: runCommand,
  up: upCommand,
  serve: (argv, io) => import('./serve.ts').then((m) => m.serveCommand(argv, io)),
  classroom: (argv, io) => import('./classroom.ts').then((m) => m.classroomCommand(argv, io)),
  validate: validateCommand,
  queue: (argv, io) => import('./queue.ts').then((m) => m.queueCommand(argv, io)),
  policy: policyCommand,
  bench: (argv, io) => import('./bench.ts').then((m) => m.benchCommand(argv, io)),
  grid: (argv, io) => import('./grid.ts').then((m) => m.gridCommand(argv, io)),
  firewall: (argv, io) => import('./firewall-config.ts').then((m) => m.firewallCommand(argv, io)),
  infer: (argv, io) => import('./infer.ts').then((m) => m.inferCommand(argv, io)),
};

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h' || arg === 'help';

/**
 * One command's lines of USAGE (its first line and the lines indented under it), and the closing
 * note where it names the command: what `postcard-lab NAME --help` prints, and what follows a bad
 * flag, so the answer to a mistyped `bench` flag is bench's synopsis, not the whole list (as git's
 * commands answer).
 */
function usageOf(name: string): string {
  const lines = USAGE.split('\n');
  const own: string[] = [];
  let inside = false;
  for (const line of lines.slice(1)) {
    if (line.startsWith('  postcard-lab ')) inside = line.startsWith(`  postcard-lab ${name} `) || line === `  postcard-lab ${name}`;
    // A note names its commands before "also": `(run and up also take …)`.
    else if (line.startsWith('  (')) inside = (/^ {2}\(([\w ]+?) also /.exec(line)?.[1].split(' and ') ?? []).includes(name);
    if (inside) own.push(line);
  }
  return `usage:\n${own.join('\n')}\n(postcard-lab --help lists every command)`;
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || isHelp(name)) {
    io.out(USAGE);
    return name ? EXIT.ok : EXIT.badInput;
  }
  const command = commands[name];
  if (!command) {
    io.err(`postcard-lab: unknown command "${name}"\n${USAGE}`);
    return EXIT.badInput;
  }
  // `postcard-lab bench --help` (or -h) alone asks for the command's synopsis, and exits 0.
  if (rest.length === 1 && isHelp(rest[0]) && rest[0] !== 'help') {
    io.out(usageOf(name));
    return EXIT.ok;
  }
  try {
    return await command(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`postcard-lab ${name}: ${error.message}\n${usageOf(name)}`);
      return EXIT.badInput;
    }
    io.err(`postcard-lab ${name}: ${(error as Error).message}`);
    return EXIT.failed;
  }
}
