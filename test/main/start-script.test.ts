// `npm start` (scripts/start.mjs) decides between Electron and the browser without loading
// `electron` (whose first require downloads the binary): it reads path.txt and checks dist/.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function binaryInstalled(): boolean {
  const dir = path.join(root, 'node_modules', 'electron');
  try {
    return fs.existsSync(path.join(dir, 'dist', fs.readFileSync(path.join(dir, 'path.txt'), 'utf8').trim()));
  } catch {
    return false;
  }
}

describe('npm start', () => {
  it('says in one line which way it starts (the browser, where there is no Electron binary)', () => {
    const out = execFileSync(process.execPath, [path.join(root, 'scripts', 'start.mjs'), '--dry-run'], { cwd: root, encoding: 'utf8' });
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    if (binaryInstalled()) expect(lines[0]).toMatch(/^Starting Postcard Lab in Electron/);
    else expect(lines[0]).toBe('The Electron binary is not installed here, so Postcard Lab serves the same UI in your browser instead.');
  });

  it('never requires electron to find out', () => {
    const source = fs.readFileSync(path.join(root, 'scripts', 'start.mjs'), 'utf8');
    expect(source).not.toMatch(/require\(['"]electron['"]\)|import\(['"]electron['"]\)|from ['"]electron['"]/);
  });
});
