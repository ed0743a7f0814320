/**
 * Scenario files are user input and the loader fails closed (app/scenario/input.ts): every bad
 * file gets an error with file:line:col and exit 2, the other files are still checked, and
 * nothing hangs, balloons or crashes.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { cli, ROOT } from '../helpers/cli.ts';
import { loadScenarioFile, parseScenario, type Loaded } from '../../app/scenario/load.ts';
import { MAX_SCENARIO_BYTES } from '../../app/scenario/input.ts';

const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-input-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const good = fs.readFileSync(path.join(ROOT, 'scenarios/postcard.yaml'), 'utf8');

function errors(loaded: Loaded): string[] {
  if (loaded.ok) throw new Error('expected errors');
  return loaded.errors.map((e) => `${e.line}:${e.column}: ${e.message}`);
}

describe('YAML that is not plain data', () => {
  it('names an alias without an anchor, also as a merge key, at its position', () => {
    expect(errors(parseScenario('title: t\nlab: *nope\n', 'a.yaml'))).toEqual(['2:6: alias *nope has no anchor &nope before it']);
    expect(errors(parseScenario('title: t\nlab:\n  <<: *x\n', 'b.yaml'))).toEqual(['3:7: alias *x has no anchor &x before it']);
  });

  it('places an error found only at the end of the file after its last character, not on a line past it', () => {
    // The `{` is never closed: the parser notices at the end of the input, two blank lines later.
    expect(errors(parseScenario('title: t\nsteps:\n  - send: { id: m1, from: a@b\n\n\n', 'open.yaml'))).toEqual([
      '3:30: Flow map in block collection must be sufficiently indented and end with a }, but the file ends here']);
  });

  it('stops an alias bomb at the first alias instead of expanding it', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`), 'title: t'].join('\n');
    expect(errors(parseScenario(bomb, 'bomb.yaml'))).toEqual(['2:8: aliases expand beyond 100 copies (an alias bomb?)']);
  });

  it('refuses !!binary and other tags a scenario has no use for', () => {
    expect(errors(parseScenario('title: t\nlab: !!binary AAAA\n', 'c.yaml'))).toEqual([
      '2:15: tag !!binary is not allowed: a scenario holds only strings, numbers, booleans, null, mappings and lists']);
    expect(errors(parseScenario('title: t\nlab: !foo bar\n', 'g.yaml'))[0]).toMatch(/^2:\d+: .*!foo/);
  });

  it('refuses NUL and other control characters, and bytes that are not UTF-8, with their position', () => {
    expect(errors(parseScenario('title: t\u0000\nlab: x\n', 'e.yaml'))).toEqual(['1:9: control character U+0000 is not allowed in a scenario']);
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'f.yaml'), Buffer.concat([Buffer.from('title: Café\nlab: t'), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]));
    expect(errors(loadScenarioFile(path.join(dir, 'f.yaml')))).toEqual(['2:7: byte 0xff at offset 19 is not UTF-8 (a scenario is UTF-8 text)']);
  });
});

describe('files that are not scenario files', () => {
  it('refuses a FIFO and a device without reading them, and a file over the size cap', () => {
    const dir = tmp();
    const fifo = path.join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    expect(errors(loadScenarioFile(fifo))).toEqual(['0:0: is not a regular file (a scenario is a YAML file)']);
    expect(errors(loadScenarioFile('/dev/zero'))).toEqual(['0:0: is not a regular file (a scenario is a YAML file)']);
    const big = path.join(dir, 'big.yaml');
    fs.writeFileSync(big, `title: t\nstory: "${'x'.repeat(MAX_SCENARIO_BYTES)}"\n`);
    expect(errors(loadScenarioFile(big))[0]).toMatch(/^0:0: is \d+ bytes; a scenario may be at most 1048576 bytes$/);
  });
});

describe('the command line', () => {
  it('validate checks every file: a bad one exits 2 with file:line:col, the good one after it is still checked', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'a-bad.yaml'), 'title: t\nlab: *nope\n');
    fs.writeFileSync(path.join(dir, 'b-good.yaml'), good);
    const r = await cli('validate', dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${path.join(dir, 'a-bad.yaml')}:2:6: (yaml): alias *nope has no anchor &nope before it`);
    expect(r.out).toContain(`ok ${path.join(dir, 'b-good.yaml')}`);
  });

  it('validate and run on no scenario at all exit 2 and say so', async () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'empty'));
    fs.mkdirSync(path.join(dir, 'notes'));
    fs.writeFileSync(path.join(dir, 'notes', 'readme.txt'), 'no yaml here');
    fs.mkdirSync(path.join(dir, 'x.yaml'));
    for (const target of ['empty', 'notes', 'x.yaml']) {
      const r = await cli('validate', path.join(dir, target));
      expect(r.code, target).toBe(2);
      expect(r.err, target).toContain('is a folder with no scenario files (*.yaml, *.yml) in it');
    }
    const none = await cli('validate');
    expect(none.code).toBe(2);
    const run = await cli('run', path.join(dir, 'empty'));
    expect(run.code).toBe(2);
    expect(run.err).toContain('is a folder with no scenario files');
  });
});
