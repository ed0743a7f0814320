#!/usr/bin/env node
// The static checks of `npm test` — lint and the three type checks — run side by side, as many at
// a time as the machine has cores, each one's output printed whole when it ends (not interleaved).
// Each is one single-threaded process, so on CI's two cores two at a time take about half as long
// as one after another (docs/decisions.md, "Tests"). Exit 1 if any failed, naming which.
//
//   node scripts/checks.mjs lint typecheck typecheck:main typecheck:renderer
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

const scripts = process.argv.slice(2);
if (scripts.length === 0) {
  console.error('usage: node scripts/checks.mjs <npm script>...');
  process.exit(2);
}
const known = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).scripts ?? {};
const unknown = scripts.filter((s) => !(s in known));
if (unknown.length) {
  console.error(`checks: no npm script ${unknown.join(', ')} in package.json`);
  process.exit(2);
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Run one npm script; its output, stdout and stderr in the order they came, and how it ended. */
function run(script) {
  return new Promise((resolve) => {
    const child = spawn(npm, ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.on('error', (error) => resolve({ script, code: 1, output: `${script}: ${error.message}\n` }));
    child.on('close', (code, signal) => resolve({ script, code: code ?? (signal ? 1 : 0), output: Buffer.concat(chunks).toString() }));
  });
}

const queue = [...scripts];
const failed = [];
async function worker() {
  for (let script = queue.shift(); script; script = queue.shift()) {
    const started = Date.now();
    const { code, output } = await run(script);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(`${code === 0 ? '✓' : '✗'} ${script} (${seconds} s)\n${output}`);
    if (code !== 0) failed.push(script);
  }
}
await Promise.all(Array.from({ length: Math.max(1, Math.min(os.availableParallelism(), scripts.length)) }, worker));
if (failed.length) {
  console.error(`failed: ${failed.join(', ')}`);
  process.exit(1);
}
