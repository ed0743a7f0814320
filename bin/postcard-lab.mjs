#!/usr/bin/env node
// The `postcard-lab` command. The engine is TypeScript run through tsx's loader, so the installed
// package needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../app/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
