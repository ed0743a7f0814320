/** Where CLI commands write: injected so tests can run a command in-process and read its output. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Resolves when the user interrupts (SIGINT/SIGTERM) — for `up`. */
  interrupted(): Promise<void>;
}

// A reader that stops early (`postcard-lab policy … | head`) closes the pipe: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  interrupted: () => new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  }),
};

/** Exit codes (docs/lab.md, "Command line"). */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;
