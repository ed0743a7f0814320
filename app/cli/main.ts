/**
 * `postcard-lab`: the command line (docs/cli.md, every command, flag, output and exit code; the
 * rules in docs/lab.md, "Command line"). Exit codes: 0 all passed, 1 an expectation failed, 2 bad
 * input (unreadable or invalid file, bad flag, duplicate scenario ids); an interrupted `run` 130
 * (SIGINT) or 143 (SIGTERM).
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from './args.ts';
import { EXIT, processIo, type CliIo } from './io.ts';
import { runCommand } from './run.ts';
import { upCommand } from './up.ts';
import { validateCommand } from './validate.ts';
import { policyCommand, VOCABULARIES } from './policy.ts';

type Command = (argv: string[], io: CliIo) => number | Promise<number>;

/**
 * Every command: what runs it, and its synopsis, the lines `postcard-lab --help` lists for it (in
 * this order) and all that `postcard-lab NAME --help` prints (as git's commands answer). A bad
 * flag is followed by the failing command's synopsis, not the whole list.
 */
const commands: Record<string, { run: Command; synopsis: string[] }> = {
  run: { run: runCommand, synopsis: [
    'postcard-lab run <scenario.yaml|dir>... [--junit FILE] [--json FILE] [--html FILE] [--pcap DIR]',
    '                 [--export DIR] [--workspace DIR [--resume]] [--seed N] [--shard I/N] [--firewall-config FILE]',
  ] },
  up: { run: upCommand, synopsis: ['postcard-lab up <scenario.yaml> [--json] [--workspace DIR] [--record FILE] [--time-scale N] [--firewall-config FILE]'] },
  queue: { run: (argv, io) => import('./queue.ts').then((m) => m.queueCommand(argv, io)), synopsis: ['postcard-lab queue <workspace> [--json] [--all] [--eml ID]'] },
  serve: { run: (argv, io) => import('./serve.ts').then((m) => m.serveCommand(argv, io)), synopsis: ['postcard-lab serve [--port N] [--open] [--scenarios DIR] [--seed N] [--time-scale N]'] },
  classroom: { run: (argv, io) => import('./classroom.ts').then((m) => m.classroomCommand(argv, io)), synopsis: [
    'postcard-lab classroom [--listen ADDR:PORT] [--seats N] [--scenario ID ...] [--idle MINUTES]',
    '                 [--capture MIB] [--scenarios DIR] [--seed N] [--no-qr]',
  ] },
  validate: { run: validateCommand, synopsis: ['postcard-lab validate <file>...'] },
  // The products come from the registry (app/products/), so a new one is listed without an edit here.
  policy: { run: policyCommand, synopsis: [`postcard-lab policy <scenario.yaml> --org ID --as ${VOCABULARIES.join('|')}`] },
  bench: { run: (argv, io) => import('./bench.ts').then((m) => m.benchCommand(argv, io)), synopsis: ['postcard-lab bench [--json] [--quick]'] },
  grid: { run: (argv, io) => import('./grid.ts').then((m) => m.gridCommand(argv, io)), synopsis: [
    'postcard-lab grid [--senders L] [--receivers L] [--firewalls L] [--methods L] [--firewall-config FILE]',
    '                  [--shard I/N] [--jobs N] [--concurrency N] [--seed N] [--timeout D]',
    '                  [--csv FILE] [--json FILE] [--html FILE] [--export DIR]',
  ] },
  firewall: { run: (argv, io) => import('./firewall-config.ts').then((m) => m.firewallCommand(argv, io)), synopsis: [
    'postcard-lab firewall import <config.txt> [--json]',
    'postcard-lab firewall export <profile|scenario.yaml> [--path N] [--dialect pix|asa]',
  ] },
  infer: { run: (argv, io) => import('./infer.ts').then((m) => m.inferCommand(argv, io)), synopsis: [
    'postcard-lab infer --sent A.pcapng --wire B.pcapng [--path P] [--sent-interface NAME] [--wire-interface NAME]',
    '                   [--out scenario.yaml] [--json]',
  ] },
};

/** Notes after the synopses, each with the commands it is about (their `--help` shows it too). */
const NOTES = [{ commands: ['run', 'up'], text: '(--firewall-config FILE of run and up: a PIX/ASA configuration for every firewall path)' }];

/** What the command line itself answers, before any command (`main` below); the last line of the list. */
const GLOBAL = ['postcard-lab --help | help [COMMAND] | --version', '(every command, flag, output and exit code: docs/cli.md)'];

const usage = (lines: string[]) => ['usage:', ...lines.map((l) => `  ${l}`)].join('\n');
const USAGE = usage([...Object.values(commands).flatMap((c) => c.synopsis), ...NOTES.map((n) => n.text), ...GLOBAL]);
const usageOf = (name: string) => `${usage([...commands[name].synopsis, ...NOTES.filter((n) => n.commands.includes(name)).map((n) => n.text)])}\n(postcard-lab --help lists every command)`;

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h' || arg === 'help';

/** The package's version, read from package.json beside app/ (the installed package has it too). */
function version(): string {
  const file = fileURLToPath(new URL('../../package.json', import.meta.url));
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  // `--help` asked for the usage (stdout, exit 0); no command at all is a usage error (stderr, exit 2).
  if (!name) {
    io.err(USAGE);
    return EXIT.badInput;
  }
  // `postcard-lab help run` is `postcard-lab run --help`.
  if (isHelp(name)) {
    const about = rest[0];
    io.out(about !== undefined && Object.hasOwn(commands, about) ? usageOf(about) : USAGE);
    return EXIT.ok;
  }
  // The version a bug report names: package.json's, beside Node's.
  if (name === '--version' || name === '-V') {
    io.out(`postcard-lab ${version()} (Node ${process.versions.node})`);
    return EXIT.ok;
  }
  const command = Object.hasOwn(commands, name) ? commands[name].run : undefined;
  if (!command) {
    io.err(`postcard-lab: unknown command "${name}"\n${USAGE}`);
    return EXIT.badInput;
  }
  // `--help` (or -h) anywhere after the command asks for its synopsis and exits 0, whatever else
  // is on the line (`postcard-lab run scenarios --help`): nothing runs.
  if (rest.some((a) => a === '--help' || a === '-h')) {
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
