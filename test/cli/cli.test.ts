import { describe, expect, it, onTestFinished } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, ROOT } from '../helpers/cli.ts';
import { PRODUCT_NAMES } from '../../app/products/index.ts';

const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-cli-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const postcard = path.join(ROOT, 'scenarios/postcard.yaml');

function scenarioFile(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const failing = `
id: expects-too-much
title: Expects encryption where there is none
lab:
  orgs:
    - { id: a, domain: a.example, users: [ann], hosts: [{ name: mail.a.example, address: 192.0.2.1 }] }
    - { id: b, domain: b.example, users: [bob], hosts: [{ name: mail.b.example, address: 198.51.100.1 }] }
steps:
  - send: { id: m1, from: ann@a.example, to: bob@b.example, subject: Hello, body: Hi }
  - expect: { message: m1, outcome: delivered, wire: no-leak }
`;

describe('postcard-lab run', () => {
  it('runs the postcard scenario, prints one line and a closing count, writes JUnit and JSON', async () => {
    const dir = tmp();
    const r = await cli('run', postcard, '--junit', path.join(dir, 'out.xml'), '--json', path.join(dir, 'out.json'), '--html', path.join(dir, 'out.html'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^PASS postcard \(.*postcard\.yaml\) \d+ ms$/m);
    expect(r.out.split('\n').at(-1)).toBe('1 passed, 0 failed');
    const junit = fs.readFileSync(path.join(dir, 'out.xml'), 'utf8');
    expect(junit).toContain('<testsuite name="postcard" tests="2" failures="0"');
    expect(junit.match(/<testcase /g)).toHaveLength(2);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8'));
    expect(json).toMatchObject({ version: 1, scenarios: [{ id: 'postcard', status: 'passed', steps: [{ index: 0, kind: 'send', status: 'passed' }, { kind: 'expect' }, { kind: 'expect' }] }] });
    expect(typeof json.scenarios[0].durationMs).toBe('number');
    expect(fs.readFileSync(path.join(dir, 'out.html'), 'utf8')).toContain('1 passed, 0 failed');
  });

  it('exits 1 and names the failed expectation when a scenario fails', async () => {
    const dir = tmp();
    const file = scenarioFile(dir, 'fails.yaml', failing);
    const r = await cli('run', file, '--junit', path.join(dir, 'j.xml'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^FAIL expects-too-much/m);
    expect(r.err).toMatch(/expected no cleartext on any tap, but the (subject|header|body) canary of m1 crossed a-b in clear/);
    expect(fs.readFileSync(path.join(dir, 'j.xml'), 'utf8')).toMatch(/<failure message="expected no cleartext/);
    // What a tester pastes to see it again: the same file with the seed it ran with.
    expect(r.err.split('\n').at(-1)).toBe(`    run it again: postcard-lab run ${file} --seed 1`);
    expect(r.out.split('\n').at(-1)).toBe('0 passed, 1 failed');
  });

  it('a checkpoint whose solution does not hold says why, in the words the window uses', async () => {
    const dir = tmp();
    const file = scenarioFile(dir, 'cp.yaml', `
id: cp-why
title: Encrypt to a partner without STARTTLS
lab:
  orgs:
    - { id: a, domain: a.example, profile: postfix, users: [ann], hosts: [{ name: mail.a.example, address: 192.0.2.1 }] }
    - { id: b, domain: b.example, profile: postfix, users: [bob], hosts: [{ name: mail.b.example, address: 198.51.100.1 }] }
steps:
  - checkpoint:
      id: cp
      ask: Make it TLS
      when: { org: a, security: { domain: b.example, method: tls, level: encrypt } }
      solution:
        - action: { org: a, setSecurity: { domain: b.example, method: tls, level: encrypt } }
`);
    const r = await cli('run', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain('step 1 checkpoint cp: failed: the solution steps did not make "Make it TLS" true: b.example\'s server does not offer STARTTLS');
  });

  it('a scenario in error: the JUnit root counts it, the steps it never ran are skipped, not missing', async () => {
    const dir = tmp();
    // The lab clock cannot pass 9999-12-31: the second step's wait for the bounce is an error.
    const file = scenarioFile(dir, 'end-of-time.yaml', `
id: end-of-time
title: The clock runs out
lab:
  clock: { start: "9999-12-30T00:00:00Z" }
  orgs:
    - { id: a, domain: a.example, users: [ann], hosts: [{ name: mail.a.example, address: 192.0.2.1 }], security: [{ domain: b.example, method: tls, level: encrypt }], queue: { lifetime: 5d, retry: [1d] } }
    - { id: b, domain: b.example, users: [bob], hosts: [{ name: mail.b.example, address: 198.51.100.1 }] }
steps:
  - send: { id: m1, from: ann@a.example, to: bob@b.example, subject: Hello, body: Hi }
  - expect: { message: m1, outcome: bounced }
  - advance: 1d
  - expect: { message: m1, wire: no-leak }
`);
    const r = await cli('run', file, '--junit', path.join(dir, 'j.xml'), '--json', path.join(dir, 'j.json'));
    expect(r.code).toBe(1);
    const junit = fs.readFileSync(path.join(dir, 'j.xml'), 'utf8');
    // One error, counted once, at the suite and at the root that CI summaries read.
    expect(junit).toContain('<testsuites name="postcard-lab" tests="2" failures="0" errors="1" skipped="1">');
    expect(junit).toContain('<testsuite name="end-of-time" tests="2" failures="0" errors="1" skipped="1"');
    expect(junit).not.toContain('name="scenario"');
    expect(junit).toMatch(/<testcase classname="end-of-time" name="4\. expect m1 no-leak"><skipped message="not run: step 2 ended the scenario with an error"\/><\/testcase>/);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'j.json'), 'utf8'));
    expect(json.scenarios[0].steps.map((s: { status: string }) => s.status)).toEqual(['passed', 'error', 'skipped', 'skipped']);
  });

  it('exits 2 on bad input: invalid file, unknown flag, bad seed, duplicate ids, missing file', async () => {
    const dir = tmp();
    const broken = scenarioFile(dir, 'broken.yaml', 'title: x\nlab:\n  orgs: []\nsteps: []\n');
    const r1 = await cli('run', broken);
    expect(r1.code).toBe(2);
    expect(r1.err).toMatch(/broken\.yaml:3:\d+: lab\.orgs: /);
    expect((await cli('run', postcard, '--colour')).code).toBe(2);
    expect((await cli('run', postcard, '--seed', 'seven')).err).toMatch(/--seed takes a whole number/);
    // A seed a double cannot hold was run as 1e+23, and the printed rerun hint was then refused.
    const huge = await cli('run', postcard, '--seed', '99999999999999999999999');
    expect([huge.code, huge.err.split('\n')[0], huge.out]).toEqual([2, 'postcard-lab run: --seed takes a whole number of at most 9007199254740991 (2^53-1), not 99999999999999999999999', '']);
    scenarioFile(dir, 'one.yaml', failing);
    scenarioFile(dir, 'two.yaml', failing);
    fs.rmSync(broken);
    const dup = await cli('run', dir);
    expect(dup.code).toBe(2);
    expect(dup.err).toMatch(/scenario id expects-too-much is also the id of/);
    expect((await cli('run', path.join(dir, 'missing.yaml'))).err).toMatch(/missing\.yaml:0:0: \(file\): no such file/);
    expect((await cli('frobnicate')).code).toBe(2);
  });

  it('writes an HTML report that lists the failure first and the command that runs it again, which fails the same way', async () => {
    const dir = tmp();
    // A title with markup and a file name with a space: both must come out as text, the name quoted.
    const file = scenarioFile(dir, 'my case.yaml', failing.replace('title: Expects encryption where there is none', 'title: "Expects <b>encryption</b> where there is none"'));
    const report = path.join(dir, 'run.html');
    const r = await cli('run', file, postcard, '--seed', '42', '--html', report);
    expect(r.code).toBe(1);
    const page = fs.readFileSync(report, 'utf8');
    expect(page).toContain('<h1>Postcard Lab: 1 passed, 1 failed</h1>');
    const failedList = page.slice(page.indexOf('<nav'), page.indexOf('</nav>'));
    expect(failedList).toContain('<a href="#scenario-expects-too-much">Expects &lt;b&gt;encryption&lt;/b&gt; where there is none</a>');
    expect(failedList).toMatch(/step 2 expect m1 delivered no-leak: expected no cleartext on any tap, but the (subject|header|body) canary of m1 crossed a-b in clear/);
    expect(failedList).not.toContain('postcard');
    expect(page).not.toContain('<b>encryption</b>');
    // Status is a mark and a word, not colour alone; each scenario names its seed and its file.
    expect(page).toMatch(/<li class="failed"><span class="mark" aria-hidden="true">✗<\/span> <b>expect<\/b> m1 delivered no-leak — expected no cleartext[^<]*<span class="word">\(failed\)<\/span><\/li>/);
    expect(page).toContain(`seed 42 · <code>${file}</code>`);
    const rerun = /Run it again: <code>([^<]+)<\/code>/.exec(page)![1].replace(/&#39;/g, "'");
    expect(rerun).toBe(`postcard-lab run '${file}' --seed 42`);
    expect(page.match(/Run it again/g)).toHaveLength(1);
    // The command, split into words as a shell would (single quotes keep the space), fails the same way.
    const [program, ...words] = [...rerun.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
    expect(program).toBe('postcard-lab');
    const again = await cli(...words);
    expect(again.code).toBe(1);
    expect(again.err).toContain(/step 2 expect m1 delivered no-leak: failed: ([^\n]+)/.exec(r.err)![1]);
  });

  it('checks output and workspace paths before any lab runs: exit 2 naming the flag and the path', async () => {
    const dir = tmp();
    const folder = path.join(dir, 'adir'), file = path.join(dir, 'afile');
    fs.mkdirSync(folder);
    fs.writeFileSync(file, 'x');
    const cases: [string[], string][] = [
      [['--junit', folder], `--junit: ${folder} is a folder; give a file name`],
      [['--json', path.join(file, 'x.json')], `--json: ${file} is a file, not a folder`],
      [['--html', '/proc/nope/x.html'], '--html: cannot create /proc/nope: no such file or folder'],
      [['--pcap', file], `--pcap: ${file} is a file, not a folder`],
      [['--export', file], `--export: ${file} is a file, not a folder`],
      [['--workspace', file], `--workspace: ${file} is a file, not a folder`],
    ];
    for (const [flags, message] of cases) {
      const r = await cli('run', postcard, ...flags);
      expect([r.code, r.err.split('\n')[0]], flags.join(' ')).toEqual([2, `postcard-lab run: ${message}`]);
      expect(r.out, flags.join(' ')).toBe(''); // no scenario ran
    }
  });

  it('a capture that cannot be written is said, exit 1, but the scenario that passed stays passed', async () => {
    const dir = tmp();
    // The folder is fine; the file inside it is in the way (a folder by that name) only when the export is written.
    fs.mkdirSync(path.join(dir, 'postcard.pcapng'));
    const r = await cli('run', postcard, '--pcap', dir);
    expect(r.code).toBe(1);
    expect(r.out.split('\n')[0]).toMatch(/^PASS postcard /);
    expect(r.out.split('\n').at(-1)).toBe('1 passed, 0 failed');
    expect(r.err).toContain(`postcard-lab run: --pcap: could not write ${path.join(dir, 'postcard.pcapng')}: EISDIR`);
    expect(r.err).not.toContain('run it again');
  });

  it('runs only its shard of a folder', async () => {
    const dir = tmp();
    for (const n of ['a', 'b', 'c']) scenarioFile(dir, `${n}.yaml`, fs.readFileSync(postcard, 'utf8').replace('id: postcard', `id: p-${n}`));
    const r = await cli('run', dir, '--shard', '2/2');
    expect(r.out.match(/^PASS p-(\w)/gm)).toEqual(['PASS p-b']);
    expect((await cli('run', dir, '--shard', '3/2')).code).toBe(2);
  });
});

describe('postcard-lab validate', () => {
  it('refuses what run refuses across files (two scenarios with one id), takes a file named twice once, and warns of a scenario that checks nothing', async () => {
    const dir = tmp();
    scenarioFile(dir, 'one.yaml', failing);
    scenarioFile(dir, 'two.yaml', failing);
    const dup = await cli('validate', dir);
    expect(dup.code).toBe(2);
    expect(dup.err).toContain(`${path.join(dir, 'two.yaml')}: scenario id expects-too-much is also the id of ${path.join(dir, 'one.yaml')}; ids must be unique within a run`);
    fs.rmSync(path.join(dir, 'two.yaml'));
    // The folder and the file in it: one scenario, not a duplicate of itself.
    expect((await cli('validate', dir, path.join(dir, 'one.yaml'))).code).toBe(0);
    const twice = await cli('run', dir, path.join(dir, 'one.yaml'));
    expect(twice.out.split('\n').at(-1)).toBe('0 passed, 1 failed');
    const idle = scenarioFile(dir, 'idle.yaml', failing.replace('id: expects-too-much', 'id: idle').replace(/\n {2}- expect:.*\n/, '\n'));
    const v = await cli('validate', idle);
    expect([v.code, v.err.trim()]).toEqual([0, `${idle}: warning: no expect or checkpoint step, so this scenario passes whatever happens`]);
  });

  it('prints every error with file:line:col and key path, and exits 2', async () => {
    const dir = tmp();
    const file = scenarioFile(dir, 'bad.yaml', `title: Broken
lab:
  orgs:
    - id: intellinet
      domain: intellinet.example
      users: [alice]
      hosts:
        - { name: mail.intellinet.example, address: 192.0.2.10 }
      security:
        - { domain: ntsol.example, method: tls, levle: verify }
steps:
  - advance: soon
  - teleport: {}
`);
    const r = await cli('validate', file);
    expect(r.code).toBe(2);
    const lines = r.err.split('\n');
    expect(lines).toContain(`${file}:10:49: lab.orgs[0].security[0].levle: unknown key "levle"`);
    expect(lines).toContain(`${file}:10:11: lab.orgs[0].security[0].level: method tls needs a level: may, encrypt, verify, secure, dane, dane-only or mta-sts`);
    expect(lines).toContain(`${file}:12:14: steps[0].advance: expected a duration such as 90s, 15m, 2h or 2d`);
    expect(lines).toContain(`${file}:13:5: steps[1]: a step is one of send, action, advance, expect, checkpoint (found "teleport")`);
    expect(r.err).not.toMatch(/at .*\.ts:\d+/); // never a stack trace
  });

  it('reports broken references in the same pass as schema errors, in file order', async () => {
    const dir = tmp();
    const file = scenarioFile(dir, 'both.yaml', `title: Both kinds
lab:
  orgs:
    - { id: a, domain: a.example, users: [ann], hosts: [{ name: mail.a.example, address: 192.0.2.1 }], inbound: { starttls: maybe } }
  paths:
    - { between: [a, nowhere] }
steps:
  - send: { id: m1, from: ann@elsewhere.example, to: bob@b.example }
`);
    const r = await cli('validate', file);
    expect(r.err.split('\n')).toEqual([
      `${file}:4:125: lab.orgs[0].inbound.starttls: expected true or false, found the text "maybe"`,
      `${file}:6:22: lab.paths[0].between[1]: no organisation nowhere (known: a)`,
      `${file}:8:27: steps[0].send.from: no organisation has the domain elsewhere.example`,
    ]);
  });

  it('refuses a duration beyond its bound (an advance of 99999999999w), exit 2, at its place; run refuses it too', async () => {
    const dir = tmp();
    const text = fs.readFileSync(postcard, 'utf8').replace('  - expect: { message: m1, outcome: delivered', '  - advance: 99999999999w\n  - expect: { message: m1, outcome: delivered');
    const file = scenarioFile(dir, 'far.yaml', text);
    const line = text.split('\n').findIndex((l) => l.includes('99999999999w')) + 1;
    const r = await cli('validate', file);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`${file}:${line}:14: steps[1].advance: at most 36500d (100 years), not "99999999999w"`);
    const run = await cli('run', file);
    expect(run.code).toBe(2);
    expect(run.err).toBe(r.err);
  });

  it('refuses what run used to fail on only at run time: an action on a path or host that is not there (exit 2)', async () => {
    const dir = tmp();
    const text = fs.readFileSync(postcard, 'utf8').replace('  - expect: { message: m1, outcome: delivered',
      '  - action: { org: ntsol, setConnections: { host: mail.other.example, authentication: true, encryption: true } }\n  - action: { org: ntsol, setFirewall: { path: nonexistent-path, firewall: asa } }\n  - expect: { message: m1, outcome: delivered');
    const file = scenarioFile(dir, 'refs.yaml', text);
    const line = text.split('\n').findIndex((l) => l.includes('mail.other.example')) + 1;
    const r = await cli('validate', file);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toEqual([
      `${file}:${line}:51: steps[1].action.setConnections.host: ntsol has no host mail.other.example (hosts: mail.ntsol.example)`,
      `${file}:${line + 1}:48: steps[2].action.setFirewall.path: no path nonexistent-path (paths: intellinet-ntsol)`,
    ]);
    expect((await cli('run', file)).code).toBe(2);
  });

  it('reports references a schema cannot see, and YAML syntax errors with positions', async () => {
    const dir = tmp();
    const refs = scenarioFile(dir, 'refs.yaml', fs.readFileSync(postcard, 'utf8').replace('message: m1, outcome', 'message: m9, outcome'));
    const r = await cli('validate', refs);
    expect(r.err).toMatch(/refs\.yaml:\d+:\d+: steps\[1\]\.expect\.message: no message m9 was sent before this step/);
    const yaml = scenarioFile(dir, 'syntax.yaml', 'title: [unclosed\n');
    expect((await cli('validate', yaml)).err).toMatch(/syntax\.yaml:\d+:\d+: \(yaml\): /);
    expect((await cli('validate', postcard)).code).toBe(0);
  });
});

describe('postcard-lab up (readable output)', () => {
  it('prints hosts and paths as aligned tables, the workspace and the lab CA, and stops cleanly when interrupted', async () => {
    const { main } = await import('../../app/cli/main.ts');
    const out: string[] = [];
    const ws = tmp();
    const code = await main(['up', path.join(ROOT, 'scenarios/content-scanner.yaml'), '--workspace', ws], { out: (l) => out.push(l), err: () => {}, interrupted: async () => {} });
    expect(code).toBe(0);
    expect(out[0]).toBe('Postcard Lab: A content scanner ends the session — and with it your policy');
    expect(out).toContainEqual(expect.stringMatching(/^scanner\.ntsol\.example +scanner@intellinet-ntsol +scanner +127\.0\.0\.1:\d+$/));
    expect(out).toContainEqual(expect.stringMatching(/^intellinet → ntsol +content-scanner \(scanner\.ntsol\.example\) +127\.0\.0\.1:\d+ +mail\.ntsol\.example$/));
    expect(out).toContain(`Lab CA:    ${path.join(ws, 'lab-ca.pem')}`);
  });
});

describe('postcard-lab usage', () => {
  it('answers `COMMAND --help` with that command\'s synopsis alone, exit 0', async () => {
    const run = await cli('run', '--help');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^usage:\n {2}postcard-lab run <scenario\.yaml\|dir>\.\.\./);
    expect(run.out).toContain('--shard I/N');
    // The note about --firewall-config names run and up, so it is part of run's answer...
    expect(run.out).toContain('(--firewall-config FILE of run and up: ');
    expect(run.out).not.toMatch(/postcard-lab (up|grid|bench|serve) /);
    expect(run.out.split('\n').at(-1)).toBe('(postcard-lab --help lists every command)');
    // ...and not of the firewall command's, whose name only appears inside `--firewall-config`.
    const firewall = await cli('firewall', '-h');
    expect(firewall.code).toBe(0);
    expect(firewall.out).toContain('postcard-lab firewall import <config.txt>');
    expect(firewall.out).toContain('postcard-lab firewall export <profile|scenario.yaml>');
    expect(firewall.out).not.toContain('of run and up');
    // A command's continuation lines come with it.
    const grid = await cli('grid', '--help');
    expect(grid.out).toContain('[--csv FILE] [--json FILE] [--html FILE] [--export DIR]');
  });

  it('lists every flag infer takes, as docs/infer.md documents them, in infer --help and --help', async () => {
    const infer = await cli('infer', '--help');
    expect(infer.code).toBe(0);
    expect(infer.out).toBe([
      'usage:',
      '  postcard-lab infer --sent A.pcapng --wire B.pcapng [--path P] [--sent-interface NAME] [--wire-interface NAME]',
      '                     [--out scenario.yaml] [--json]',
      '(postcard-lab --help lists every command)',
    ].join('\n'));
    expect((await cli('--help')).out).toContain(infer.out.split('\n').slice(1, 3).join('\n'));
  });

  it('no command at all is a usage error: the list on stderr, exit 2; --help prints it on stdout, exit 0', async () => {
    const none = await cli();
    expect([none.code, none.out]).toEqual([2, '']);
    expect(none.err).toMatch(/^usage:\n {2}postcard-lab run /);
    const help = await cli('--help');
    expect([help.code, help.err, help.out]).toEqual([0, '', none.err]);
  });

  it('lists for policy --as every product the command takes, from the registry', async () => {
    const synopsis = (await cli('policy', '--help')).out.split('\n')[1];
    expect(synopsis).toBe(`  postcard-lab policy <scenario.yaml> --org ID --as ${[...PRODUCT_NAMES, 'mta-sts', 'dane'].join('|')}`);
    expect(synopsis).toContain('|generic|');
    const r = await cli('policy', postcard, '--org', 'intellinet', '--as', 'generic');
    expect(r.code, r.err).toBe(0);
  });

  it('follows a bad flag with the failing command\'s synopsis, not the whole list, exit 2', async () => {
    const r = await cli('bench', '--rounds', '3');
    expect(r.code).toBe(2);
    expect(r.err).toBe('postcard-lab bench: unknown option --rounds (known: --json, --quick)\nusage:\n  postcard-lab bench [--json] [--quick]\n(postcard-lab --help lists every command)');
    // `--help` among other arguments asks for the synopsis too (as git's commands answer), and
    // nothing runs half-parsed: the missing x.yaml is never read.
    const mixed = await cli('validate', 'x.yaml', '--help');
    expect([mixed.code, mixed.err]).toEqual([0, '']);
    expect(mixed.out).toBe('usage:\n  postcard-lab validate <file>...\n(postcard-lab --help lists every command)');
    expect((await cli('help', 'validate')).out).toBe(mixed.out);
    // The version a bug report names.
    const version = await cli('--version');
    expect([version.code, version.out]).toEqual([0, `postcard-lab ${JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version} (Node ${process.versions.node})`]);
    // The whole list stays the answer to no command, an unknown one, and --help itself.
    expect((await cli('--help')).out).toContain('postcard-lab infer --sent');
    const unknown = await cli('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('postcard-lab infer --sent');
    // A name every object has is no command either (it once reached Object.prototype and crashed).
    for (const name of ['constructor', 'toString', '__proto__']) expect((await cli(name)).err).toMatch(new RegExp(`^postcard-lab: unknown command "${name}"`));
  });
});

describe('postcard-lab queue on what run --workspace keeps', () => {
  it('a bounce says why, as a deferred message does; the folder of several workspaces names them', async () => {
    const dir = tmp();
    const r = await cli('run', path.join(ROOT, 'scenarios/pix-mailguard.yaml'), path.join(ROOT, 'scenarios/asa-strips-starttls.yaml'), '--workspace', dir);
    expect(r.code, r.err).toBe(0);
    const pix = await cli('queue', path.join(dir, 'pix-mailguard'), '--all');
    expect(pix.code).toBe(0);
    // m2 bounced after ten tries: the line under it is the reason Alice's bounce gives.
    expect(pix.out).toMatch(/alice@intellinet\.example\n\(bounced: host mail\.ntsol\.example\[198\.51\.100\.25\] answered AUTH NTLM with "250 OK" instead of 334/);
    expect(pix.out).toMatch(/bob@intellinet\.example\n\(delivered\)\n/);
    const asa = await cli('queue', path.join(dir, 'asa-strips-starttls'));
    expect(asa.out).toMatch(/\(TLS is required, but was not offered by host mail\.ntsol\.example\)/);
    // The folder given to --workspace is not one workspace but holds one per scenario.
    const parent = await cli('queue', dir);
    expect(parent.code).toBe(2);
    expect(parent.err).toContain(`it holds the workspaces of 2 scenarios (run --workspace keeps one per scenario): ${path.join(dir, 'asa-strips-starttls')}, ${path.join(dir, 'pix-mailguard')}`);
  }, 60_000);

  it('says when a journal is damaged or unreadable (exit 2), and only notes a record cut short at the end', async () => {
    const dir = tmp();
    expect((await cli('run', postcard, '--workspace', dir)).code).toBe(0);
    const ws = path.join(dir, 'postcard');
    const journal = path.join(ws, 'orgs', 'intellinet', 'journal.log');
    const whole = fs.readFileSync(journal);
    const good = await cli('queue', ws, '--all');
    expect([good.code, good.err]).toEqual([0, '']);

    // A record cut short at the end (a kill mid-write, or one being written now): every whole record shows.
    fs.writeFileSync(journal, whole.subarray(0, whole.length - 3));
    const torn = await cli('queue', ws, '--all');
    expect(torn.code).toBe(0);
    expect(torn.err).toMatch(new RegExp(`^postcard-lab queue: ${journal.replace(/[.]/g, '\\.')} ends in \\d+ octets of a record not yet whole \\(a record of \\d+ octets cut short at offset \\d+\\); shown: every whole record$`));

    // Bytes that are no record at all: said, exit 2 — never "No mail has been queued" alone.
    fs.writeFileSync(journal, Buffer.alloc(5000, 0x5a));
    const damaged = await cli('queue', ws, '--all');
    expect(damaged.code).toBe(2);
    expect(damaged.err).toBe(`postcard-lab queue: ${journal} is damaged: 5000 octets from there on are not records (no valid record at offset 0); what they held is not shown`);

    // A journal that cannot be read at all names its file.
    fs.rmSync(journal);
    fs.mkdirSync(journal);
    const folder = await cli('queue', ws);
    expect(folder.code).toBe(2);
    expect(folder.err).toMatch(new RegExp(`^postcard-lab queue: cannot read ${journal.replace(/[.]/g, '\\.')}: EISDIR`));
  }, 60_000);
});
