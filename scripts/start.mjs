#!/usr/bin/env node
// `npm start`: the desktop app when the Electron binary is installed, otherwise the same UI in the
// browser (docs/lab.md, "Command line"). The binary is looked for the way electron's own index.js does — path.txt,
// then dist/<that> — without ever loading `electron`, whose first require downloads the binary.
//
//   node scripts/start.mjs [--dry-run] [serve options…]
//     --dry-run   say which way it would start, and stop there (used by the tests)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The Electron executable, or undefined when it is not installed. */
export function electronBinary(projectRoot = root) {
  const dir = path.join(projectRoot, 'node_modules', 'electron');
  let rel;
  try {
    rel = fs.readFileSync(path.join(dir, 'path.txt'), 'utf8').trim();
  } catch {
    return undefined;
  }
  const full = path.join(dir, 'dist', rel);
  return rel && fs.existsSync(full) ? full : undefined;
}

/** Run a child with our stdio until it exits. Ctrl+C reaches it through the terminal's process
 *  group, so we only wait for it; a SIGTERM sent to us alone is passed on. */
function run(command, args, env = process.env) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', env });
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

/** Build what Electron loads: the renderer into out/renderer, main and preload into out/main. */
export async function buildApp(projectRoot = root) {
  const { register } = await import('tsx/esm/api');
  register();
  const { buildRenderer } = await import('../app/bridge/build.ts');
  const { buildMain } = await import('../main/build.ts');
  await buildRenderer(projectRoot, path.join(projectRoot, 'out', 'renderer'));
  await buildMain();
}

async function startElectron(binary) {
  await buildApp();
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  run(binary, [root], env);
}

async function main(argv) {
  const dry = argv.includes('--dry-run');
  const rest = argv.filter((a) => a !== '--dry-run');
  const binary = electronBinary();
  if (binary) {
    console.log(`Starting Postcard Lab in Electron (${path.relative(root, binary)}).`);
    if (!dry) await startElectron(binary);
    return;
  }
  console.log('The Electron binary is not installed here, so Postcard Lab serves the same UI in your browser instead.');
  if (!dry) run(process.execPath, [path.join(root, 'bin', 'postcard-lab.mjs'), 'serve', '--open', ...rest]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(`npm start: ${error.message}`);
    process.exit(1);
  });
}
