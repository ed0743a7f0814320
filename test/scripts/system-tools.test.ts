/**
 * scripts/system-tools.mjs is the one list of programs and Perl modules outside npm that the tests
 * use; .ci/run installs its packages and `npm test` checks it first. These tests prove the list is
 * complete: every program a test (or the code a test runs) starts is named in it, and a test that
 * runs swaks with TLS or NTLM is gated on the Perl modules those need.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SYSTEM_TOOLS, debianPackages, missingLine } from '../../scripts/system-tools.mjs';
import { ROOT } from '../helpers/cli.ts';

/** Programs that are not system tools: Node itself and what every Debian base system has. */
/*
 * perl-base and coreutils are Essential in Debian: on every machine, never installed by name; git
 * is what checked the repository out (CI clones it).
 */
const BASE = new Set(['node', 'perl', 'sh', 'bash', 'kill', 'mkfifo', 'git']);

interface Found { file: string; line: number; program: string }

/** Every program a source starts by name (spawn/exec family) or by an absolute /usr path. */
export function programsStarted(file: string, source: string): Found[] {
  const found: Found[] = [];
  const patterns = [
    /\b(?:spawn|spawnSync|execFile|execFileSync|exec|execSync)\(\s*(['"`])([^'"`\s$]+)\1/g,
    /(['"`])\/usr\/(?:s?bin|local\/bin)\/([\w.+-]+)\1/g,
    /\$\{dir\}\/(smtp-[a-z]+)/g,
  ];
  for (const re of patterns) {
    for (const m of source.matchAll(re)) {
      const program = path.basename(m[2] ?? m[1]);
      found.push({ file, line: source.slice(0, m.index).split('\n').length, program });
    }
  }
  const seen = new Set<string>();
  return found.filter((f) => !seen.has(`${f.line}:${f.program}`) && seen.add(`${f.line}:${f.program}`));
}

/** A finding for every program that is neither base nor in the list. */
export function unlisted(found: Found[], tools = SYSTEM_TOOLS): string[] {
  const ids = new Set(tools.filter((t) => t.kind === 'program').map((t) => t.id));
  return found.filter((f) => !BASE.has(f.program) && !ids.has(f.program))
    .map((f) => `${f.file}:${f.line} starts ${f.program}, which scripts/system-tools.mjs does not name`);
}

function sources(): { file: string; text: string }[] {
  const roots = ['test', 'app/bench', 'scripts'];
  const out: { file: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (/\.(ts|mts|mjs|js)$/.test(entry.name) && rel !== 'test/scripts/system-tools.test.ts') {
        out.push({ file: rel, text: fs.readFileSync(path.join(ROOT, rel), 'utf8') });
      }
    }
  };
  roots.forEach(walk);
  out.push({ file: 'playwright.config.ts', text: fs.readFileSync(path.join(ROOT, 'playwright.config.ts'), 'utf8') });
  return out;
}

describe('the list of system tools the tests use', () => {
  it('names every program a test or the bench starts', () => {
    const found = sources().flatMap(({ file, text }) => programsStarted(file, text));
    // The scan sees the tools we know are used, so it is not blind.
    for (const known of ['swaks', 'tshark', 'openssl', 'chromium', 'smtp-sink']) {
      expect(found.map((f) => f.program), `${known} is started somewhere`).toContain(known);
    }
    expect(unlisted(found)).toEqual([]);
  });

  it('fails when a test starts a program the list does not name', () => {
    const fake = "const out = execFileSync('nmap', ['-p', '25', '127.0.0.1']);\nspawn('/usr/bin/tcpdump');";
    expect(unlisted(programsStarted('test/x.test.ts', fake))).toEqual([
      'test/x.test.ts:1 starts nmap, which scripts/system-tools.mjs does not name',
      'test/x.test.ts:2 starts tcpdump, which scripts/system-tools.mjs does not name',
    ]);
  });

  it('gates every swaks run with --tls or -a NTLM on the Perl modules that swaks only recommends', () => {
    for (const { file, text } of sources().filter((s) => /execFile\(\s*'swaks'/.test(s.text))) {
      if (/'--tls'/.test(text)) expect(text, `${file} runs swaks --tls`).toMatch(/needs\([^)]*'Net::SSLeay'[^)]*'IO::Socket::SSL'/);
      if (/'-a', 'NTLM'/.test(text)) expect(text, `${file} runs swaks -a NTLM`).toMatch(/needs\([^)]*'Authen::NTLM'/);
    }
  });

  it('gives .ci/run every Debian package, the Perl modules swaks only recommends among them', () => {
    expect(debianPackages()).toEqual(expect.arrayContaining(['libnet-ssleay-perl', 'libio-socket-ssl-perl', 'libauthen-ntlm-perl', 'chromium', 'tshark', 'swaks', 'postfix']));
    const ci = fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
    // The apt-get line of .ci/run (continued over backslashed lines) names exactly the list's packages.
    const install = /apt-get install(?:[^\n\\]|\\\n)*/.exec(ci)?.[0] ?? '';
    const named = install.replace(/\\\n/g, ' ').replace(/>\/dev\/null/, '').split(/\s+/).filter((w) => /^[a-z0-9][a-z0-9.+-]+$/.test(w) && !['apt-get', 'install'].includes(w));
    expect(named.sort()).toEqual([...debianPackages()].sort());
    expect(execFileSync(process.execPath, [path.join(ROOT, 'scripts/system-tools.mjs'), 'packages'], { encoding: 'utf8' }).trim().split(' '))
      .toEqual(debianPackages());
  });

  it('says in one line what is missing and which package brings it', () => {
    const ssleay = SYSTEM_TOOLS.find((t) => t.id === 'Net::SSLeay')!;
    expect(missingLine(ssleay)).toBe('swaks --tls needs the Perl module Net::SSLeay: apt-get install libnet-ssleay-perl');
  });

  it('under CI=true, the preflight fails on a missing tool instead of letting its tests skip', () => {
    const script = `
      import('${path.join(ROOT, 'scripts/system-tools.mjs')}').then((m) => {
        const fake = { id: 'postcard-lab-no-such-tool', kind: 'program', path: '/nonexistent/x', package: 'x', usedBy: 'a test' };
        process.stdout.write(JSON.stringify(m.missingTools([fake]).map((x) => x.line)));
      });`;
    const lines = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[];
    expect(lines).toEqual(['a test needs postcard-lab-no-such-tool (/nonexistent/x): apt-get install x']);
  });
});
