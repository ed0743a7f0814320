#!/usr/bin/env node
// The `postcard-lab` command. The engine is TypeScript run through tsx's loader, so the installed
// package needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../app/cli/main.ts');
const { openResources } = await import('../app/cli/io.ts');
process.exitCode = await main(process.argv.slice(2));
// A command that has returned is finished: the process ends when nothing holds it. Should a handle
// outlive its command (a bug), say which kind and end anyway rather than hang the user's shell.
// Output still on its way to a slow reader (`| less` on a platform where pipes are asynchronous)
// is not a leak: it is waited for.
const LINGER_MS = 3000;
const linger = () => {
  if (process.stdout.writableLength > 0 || process.stderr.writableLength > 0) {
    setTimeout(linger, LINGER_MS).unref();
    return;
  }
  process.stderr.write(`postcard-lab: still open ${LINGER_MS / 1000} s after the command finished: ${openResources()}; exiting\n`);
  process.exit();
};
setTimeout(linger, LINGER_MS).unref();
