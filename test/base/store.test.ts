// The workspace's reads (app/base/store.ts): an absent file is an answer, a corrupt or unreadable
// one is reported — in recovery.corrupt, or as an error naming it — never silently dropped.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../app/base/store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function workspace(): Workspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-ws-'));
  dirs.push(dir);
  return new Workspace(dir);
}

describe('Workspace reads', () => {
  it('answers undefined and [] for what is not there, with nothing to report', () => {
    const ws = workspace();
    expect(ws.read('lab.json')).toBeUndefined();
    expect(ws.readJson('lab.json')).toBeUndefined();
    expect(ws.list('orgs')).toEqual([]);
    expect(ws.recovery.corrupt).toEqual([]);
  });

  it('reads back what it wrote, and lists files without temporary ones', () => {
    const ws = workspace();
    ws.writeJson('orgs/a/cache.json', { at: 1 });
    expect(ws.readJson('orgs/a/cache.json')).toEqual({ at: 1 });
    expect(ws.list('orgs/a')).toEqual(['cache.json']);
  });

  it('reports a JSON file that does not parse, and goes on without it', () => {
    const ws = workspace();
    fs.writeFileSync(ws.path('lab.json'), '{"labTime": 17');
    expect(ws.readJson('lab.json')).toBeUndefined();
    expect(ws.recovery.corrupt).toEqual([{ file: 'lab.json', reason: expect.stringMatching(/^not JSON \(/) }]);
  });

  it('fails, naming the file, on one that is there but cannot be read or listed', () => {
    const ws = workspace();
    fs.mkdirSync(ws.path('lab.json'));
    expect(() => ws.read('lab.json')).toThrow(/cannot read lab\.json: .*EISDIR/);
    fs.writeFileSync(ws.path('orgs'), 'a file, not a folder');
    expect(() => ws.list('orgs')).toThrow(/cannot list orgs: .*ENOTDIR/);
  });
});
