/** The signals that ask a command to stop. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The status a shell gives a process that signal ended, 128 + its number: what an interrupted `run` exits with. */
export const SIGNAL_EXIT: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/** Where CLI commands write: injected so tests can run a command in-process and read its output. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Resolves when the user interrupts (SIGINT/SIGTERM) — for `up`. */
  interrupted(): Promise<void>;
  /**
   * For `run`, which must not be ended by the first signal: `first` is called at the first SIGINT
   * or SIGTERM instead; at the next, `second` runs (synchronously: its last chance) and the signal
   * ends the process at once, as if nothing had caught it (a shell shows 130 or 143). Returns what
   * takes the handlers off again. Absent where nothing can send a signal (a command run in-process
   * by a test).
   */
  onInterrupt?(first: (signal: StopSignal) => void, second: (signal: StopSignal) => void): () => void;
}

// A reader that stops early (`postcard-lab policy … | head`) closes the pipe: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

/**
 * A line as a terminal should show it: C0 and C1 control characters (but tab and newline) and DEL
 * written as `\xNN`. Errors and reports quote what a file holds; an ESC or C1 byte there begins an
 * ECMA-48 control sequence (ECMA-48 §5.3–5.4) that could retitle, clear or recolour the user's
 * terminal. Idempotent: what it writes is printable.
 */
export function printable(line: string): string {
  return line.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  // Everything on stderr is for a reader, and much of it quotes files: never raw control characters.
  err: (line) => process.stderr.write(`${printable(line)}\n`),
  interrupted: () => new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  }),
  onInterrupt: (first, second) => {
    let seen = false;
    const off = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
    const on = (signal: StopSignal) => {
      if (!seen) {
        seen = true;
        first(signal);
        return;
      }
      second(signal);
      // The signal again, with no listener left: its default action ends the process there and
      // then. Not process.exit(), which waits for the threads of Node's pool — and one of them may
      // be what is stuck (a report written to a pipe nobody reads, a hung network file system).
      off();
      process.kill(process.pid, signal);
    };
    const onInt = () => on('SIGINT'), onTerm = () => on('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    return off;
  },
};

/**
 * How long `serve`, `up` and `classroom` give their labs to stop after Ctrl+C before they exit
 * regardless. What got `250` is on disk already: a stop cut short costs what a kill would.
 */
export const STOP_LIMIT_MS = 15_000;

/**
 * Run a long-running command's shutdown, but never let it keep the process: after `limitMs` the
 * command says what it was still waiting for (the handles Node still holds) and exits anyway. A
 * user pressed Ctrl+C; a lab that cannot stop is a bug to report, not a reason to ignore them
 * (a second Ctrl+C ends the process at once: the first one's listener is gone by then).
 */
export async function stopWithin(what: string, stop: () => Promise<void>, io: CliIo, limitMs = STOP_LIMIT_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), limitMs);
  });
  const done = await Promise.race([stop().then(() => true as const), late]);
  clearTimeout(timer);
  if (!done) io.err(`${what}: stopping took longer than ${limitMs / 1000} s; exiting anyway (still open: ${openResources()})`);
  return done;
}

/** The kinds of handle still keeping the event loop alive, counted: `TCPSocketWrap ×2, Timeout`. */
export function openResources(): string {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, n]) => (n > 1 ? `${r} ×${n}` : r)).join(', ') || 'nothing';
}

/** Exit codes (docs/cli.md, "Exit codes"); an interrupted `run` exits with SIGNAL_EXIT's. */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;
