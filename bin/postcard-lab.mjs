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
const linger = setTimeout(() => {
  process.stderr.write(`postcard-lab: still open 3 s after the command finished: ${openResources()}; exiting\n`);
  process.exit();
}, 3000);
linger.unref();
