/**
 * A folder with one file that does not load: the others run, and the broken one is an error in
 * every report (JUnit, JSON, HTML, stdout) with the position validate gives, and the exit code is
 * 2 (docs/cli.md, "`postcard-lab run`").
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cli, cliChild, ROOT } from '../helpers/cli.ts';

const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-run-invalid-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const postcard = fs.readFileSync(path.join(ROOT, 'scenarios/postcard.yaml'), 'utf8');

/** A folder of three: two copies of the postcard scenario around one whose YAML ends in an open `[`. */
function folder(): { dir: string; broken: string } {
  const dir = path.join(tmp(), 'suite');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'a.yaml'), postcard.replace('id: postcard', 'id: first'));
  const broken = path.join(dir, 'b.yaml');
  fs.writeFileSync(broken, 'title: Broken\nlab:\n  orgs: []\nsteps: [\n');
  fs.writeFileSync(path.join(dir, 'c.yaml'), postcard.replace('id: postcard', 'id: third'));
  return { dir, broken };
}

describe('postcard-lab run with a file that does not load', () => {
  it('runs the others, reports the broken one everywhere with its file:line:column, and exits 2', async () => {
    const { dir, broken } = folder();
    const out = path.join(path.dirname(dir), 'reports');
    // The words validate uses for the same file: run says the same, and puts them in the reports.
    const validate = await cli('validate', broken);
    expect(validate.code).toBe(2);
    const error = validate.err.split('\n')[0];
    expect(error).toMatch(new RegExp(`^${broken.replace(/[.]/g, '\\.')}:4:9: \\(yaml\\): .*, but the file ends here$`));

    const r = await cliChild(['run', dir, '--junit', path.join(out, 'run.xml'), '--json', path.join(out, 'run.json'), '--html', path.join(out, 'run.html')]).exited;
    expect(r.code, r.err).toBe(2);
    expect(r.err.split('\n')).toContain(error);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^PASS first \(.*a\.yaml\) \d+ ms$/);
    expect(lines[1]).toBe(`ERROR b (${broken}) — does not load: ${error}`);
    expect(lines[2]).toMatch(/^PASS third \(.*c\.yaml\) \d+ ms$/);
    expect(lines[3]).toBe('2 passed, 0 failed, 1 invalid');

    const junit = fs.readFileSync(path.join(out, 'run.xml'), 'utf8');
    expect(junit).toContain('<testsuites name="postcard-lab" tests="5" failures="0" errors="1" skipped="0">');
    expect(junit).toContain(`<testsuite name="b" tests="1" failures="0" errors="1" skipped="0" time="0.000" file="${broken}">`);
    const xmlText = error.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    expect(junit).toContain(`<testcase classname="b" name="scenario"><error message="does not load: ${xmlText}">${xmlText}</error></testcase>`);
    expect(junit).toMatch(/<testsuite name="first" tests="2" failures="0" errors="0"/);
    expect(junit).toMatch(/<testsuite name="third" tests="2" failures="0" errors="0"/);

    const json = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(json.scenarios.map((s: { id: string; status: string }) => [s.id, s.status])).toEqual([['first', 'passed'], ['b', 'error'], ['third', 'passed']]);
    expect(json.scenarios[1]).toMatchObject({ file: broken, seed: null, steps: [], invalid: [{ line: 4, column: 9, path: '(yaml)', text: error }] });

    const page = fs.readFileSync(path.join(out, 'run.html'), 'utf8');
    expect(page).toContain('<h1>Postcard Lab: 2 passed, 0 failed, 1 invalid</h1>');
    const section = page.slice(page.indexOf('<section id="scenario-b"'), page.indexOf('</section>', page.indexOf('<section id="scenario-b"')));
    expect(section).toContain('<span class="status">! invalid</span>');
    expect(section).toContain(`<li><code>${error.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</code></li>`);
    expect(section).toContain(`Check it: <code>postcard-lab validate ${broken}</code>`);
  }, 60_000);

  it('each file belongs to one shard, the broken one too: only its shard reports it and exits 2', async () => {
    const { dir, broken } = folder();
    const second = await cli('run', dir, '--shard', '2/3');
    expect(second.code).toBe(2);
    expect(second.out).toBe(`ERROR b (${broken}) — does not load: ${broken}:4:9: (yaml): Flow sequence in block collection must be sufficiently indented and end with a ], but the file ends here\n0 passed, 0 failed, 1 invalid`);
    const first = await cli('run', dir, '--shard', '1/3');
    expect([first.code, first.out.split('\n').at(-1)]).toEqual([0, '1 passed, 0 failed']);
  }, 60_000);

  it('still refuses to start when no file at all would run', async () => {
    const empty = tmp();
    const r = await cli('run', empty);
    expect(r.code).toBe(2);
    expect([r.out, r.err]).toEqual(['', `${empty}:0:0: (file): is a folder with no scenario files (*.yaml, *.yml) in it`]);
  });
});
