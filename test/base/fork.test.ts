/** forkTypeScript (app/base/fork.ts): a TypeScript child runs whatever the current directory. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { describe, expect, it, onTestFinished } from 'vitest';
import { forkTypeScript, TSX_LOADER } from '../../app/base/fork.ts';
import { ROOT } from '../helpers/cli.ts';

describe('forkTypeScript', () => {
  it('runs a .ts file in a folder with no tsx in reach, where `--import tsx` died with ERR_MODULE_NOT_FOUND', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-fork-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const entry = path.join(dir, 'child.ts');
    // Type annotations: only a TypeScript loader runs this file.
    fs.writeFileSync(entry, "const answer: number = 6 * 7;\nprocess.send!({ answer, cwd: process.cwd() }, () => process.exit(0));\n");
    const child = forkTypeScript(entry, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const messages: unknown[] = [];
    child.on('message', (m) => messages.push(m));
    const [code] = await once(child, 'exit');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(messages).toEqual([{ answer: 42, cwd: fs.realpathSync(dir) }]);
  });

  it('names tsx as this package resolves it, as a file URL', () => {
    expect(TSX_LOADER).toMatch(/^file:\/\/.*\/tsx\/dist\/loader\.mjs$/);
    expect(fs.existsSync(new URL(TSX_LOADER))).toBe(true);
    expect(fs.realpathSync(new URL(TSX_LOADER))).toBe(fs.realpathSync(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')));
  });
});
