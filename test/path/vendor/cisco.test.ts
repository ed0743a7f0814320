/**
 * PIX/ASA configuration import and export: every shipped profile round-trips through the printed
 * configuration; every corpus configuration (test/path/vendor/corpus/, written from Cisco's public
 * documentation examples) gives the chain its header names and survives print → parse; every
 * line is reported — nothing is dropped silently — and malformed lines are errors naming the line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROFILE_NAMES, ProfileSpecError, parseProfileSpec, profileStages } from '../../../app/path/profiles.ts';
import { parseCiscoConfig } from '../../../app/path/vendor/cisco-parse.ts';
import { printCiscoConfig } from '../../../app/path/vendor/cisco-print.ts';
import { normalizeChain } from '../../../app/path/vendor/chain.ts';

const CORPUS = path.join(import.meta.dirname, 'corpus');
const corpus = fs.readdirSync(CORPUS).filter((f) => f.endsWith('.cfg')).sort();

describe('every shipped profile round-trips through vendor configuration', () => {
  for (const name of PROFILE_NAMES) {
    for (const dialect of ['pix', 'asa'] as const) {
      it(`${name} (${dialect} dialect for the parts a device cannot say)`, () => {
        const chain = normalizeChain(profileStages(name));
        const text = printCiscoConfig(chain, { dialect });
        const back = parseCiscoConfig(text);
        expect(back.errors).toEqual([]);
        expect(back.chain).toEqual(chain);
        expect(back.lines.filter((l) => l.status === 'ignored')).toEqual([]);
      });
    }
  }

  it('prints the Cisco commands a profile stands for', () => {
    expect(printCiscoConfig(profileStages('pix-4.4'))).toBe('PIX Version 4.4(1)\nfixup protocol smtp 25\n');
    expect(printCiscoConfig(profileStages('pix-5.1'))).toBe('PIX Version 5.1(1)\nfixup protocol smtp 25\n');
    expect(printCiscoConfig(profileStages('pass'))).toBe('no fixup protocol smtp 25\n');
    const asa = printCiscoConfig(profileStages('asa'));
    expect(asa).toContain('policy-map type inspect esmtp postcard_esmtp_map\n parameters\n  mask-banner\n  no allow-tls\n match cmd line length gt 512\n  drop-connection log\n');
    expect(asa).toContain('  inspect esmtp postcard_esmtp_map\nservice-policy global_policy global\n');
    expect(printCiscoConfig(profileStages('strip-starttls'))).toBe('no fixup protocol smtp 25\n! postcard-lab stage strip-starttls\n');
  });

  it.each([
    ['pix-5.1', 'x', 'PIX Version 5.1(1)\nfixup protocol smtp 25\n! postcard-lab with command-filter {"style":"x"}\n'],
    ['pix-5.1', 'noop', 'PIX Version 5.1(1)\nfixup protocol smtp 25\n'],
    ['pix-4.4', 'noop', 'PIX Version 4.4(1)\nfixup protocol smtp 25\n! postcard-lab with command-filter {"style":"noop"}\n'],
  ])('a %s whose EHLO outcome is style %s prints as the fixup plus the lab setting, and reads back', (profile, style, want) => {
    const chain = normalizeChain(profileStages({ profile, with: { 'command-filter': { style } } }));
    const text = printCiscoConfig(chain);
    expect(text).toBe(want);
    expect(parseCiscoConfig(text).chain).toEqual(chain);
  });

  it('prints the default map\'s limits with their actions, and reads them back', () => {
    const spec = { profile: 'asa', with: { 'esmtp-inspect': { senderAddressAction: 'log', maxMimeFilename: 128, commandLineAction: 'reset' } } };
    const chain = normalizeChain(profileStages(spec));
    const text = printCiscoConfig(chain);
    expect(text).toContain(' match cmd line length gt 512\n  reset log\n');
    expect(text).toContain(' match sender-address length gt 320\n  log\n');
    expect(text).toContain(' match MIME filename length gt 128\n  drop-connection log\n');
    const back = parseCiscoConfig(text);
    expect(back.errors).toEqual([]);
    expect(back.chain).toEqual(chain);
  });

  it('carries settings a device cannot express as postcard-lab comments, and reads them back', () => {
    const spec = { profile: 'asa', with: { 'esmtp-inspect': { allowTls: true, ehloKeywords: ['SIZE', 'STARTTLS'] } }, stages: [{ latency: { ms: 40 } }] };
    const chain = normalizeChain(profileStages(spec));
    const text = printCiscoConfig(chain);
    expect(text).toContain('  allow-tls\n');
    expect(text).toContain('! postcard-lab with esmtp-inspect {"ehloKeywords":["SIZE","STARTTLS"]}');
    expect(text).toContain('! postcard-lab stage latency {"ms":40}');
    expect(parseCiscoConfig(text).chain).toEqual(chain);
  });
});

describe('the corpus of configurations from Cisco documentation examples', () => {
  it('has at least 15 configurations', () => expect(corpus.length).toBeGreaterThanOrEqual(15));

  for (const file of corpus) {
    it(file, () => {
      const text = fs.readFileSync(path.join(CORPUS, file), 'utf8');
      const want = /^! expect-chain:(.*)$/m.exec(text)![1].split(',').map((s) => s.trim()).filter(Boolean);
      const parsed = parseCiscoConfig(text);
      expect(parsed.errors).toEqual([]);
      expect(parsed.chain.map((r) => r.name)).toEqual(want);
      for (const m of text.matchAll(/^! expect-config: (\S+) (\{.*\})$/gm)) {
        expect(parsed.chain.find((r) => r.name === m[1])!.config).toMatchObject(JSON.parse(m[2]));
      }
      // Nothing dropped silently: every non-blank line is reported once, and every ignored line says why.
      const nonBlank = text.split(/\r?\n/).map((l, i) => ({ l, n: i + 1 })).filter((x) => x.l.trim() !== '').map((x) => x.n);
      expect(parsed.lines.map((l) => l.line)).toEqual(nonBlank);
      for (const l of parsed.lines.filter((x) => x.status === 'ignored')) expect(l.note.length).toBeGreaterThan(10);
      // Export and import again: the same chain.
      expect(parseCiscoConfig(printCiscoConfig(parsed.chain)).chain).toEqual(parsed.chain);
    });
  }
});

describe('line reports', () => {
  it('names what each line means, and why an unknown line is ignored', () => {
    const r = parseCiscoConfig('PIX Version 6.3(5)\nhostname edge\nfixup protocol smtp 25\nfixup protocol ftp 21\nfrobnicate the widgets\n! a comment\n');
    expect(r.lines.map((l) => [l.line, l.status])).toEqual([[1, 'understood'], [2, 'ignored'], [3, 'understood'], [4, 'ignored'], [5, 'ignored'], [6, 'comment']]);
    expect(r.lines[1].note).toMatch(/addressing, access and management/);
    expect(r.lines[3].note).toMatch(/fixup for ftp/);
    expect(r.lines[4].note).toBe('not a command the lab knows (frobnicate)');
    expect(r.chain.map((c) => c.name)).toEqual(['mask-banner', 'command-filter']);
  });

  it('a match without an action is reported as having no effect', () => {
    const r = parseCiscoConfig('policy-map type inspect esmtp m\n match cmd line length gt 100\npolicy-map global_policy\n class inspection_default\n  inspect esmtp m\n');
    expect(r.lines[1]).toMatchObject({ status: 'ignored', note: expect.stringMatching(/without an action/) });
    expect(r.chain[0].config.maxCommandLine).toBe(2 ** 31 - 1);
  });

  it('errors name the line: a bad port, a map that does not exist, a lab comment that is not JSON', () => {
    expect(parseCiscoConfig('fixup protocol smtp twenty-five\n').errors[0]).toMatchObject({ line: 1, note: expect.stringMatching(/port or port range/) });
    expect(parseCiscoConfig('policy-map global_policy\n class c\n  inspect esmtp nosuch\n').errors[0]).toMatchObject({ line: 3, note: expect.stringMatching(/no "policy-map type inspect esmtp nosuch"/) });
    expect(parseCiscoConfig('! postcard-lab stage latency {ms: 3}\n').errors[0]).toMatchObject({ line: 1, note: expect.stringMatching(/not JSON/) });
    expect(parseCiscoConfig('! postcard-lab stage latency {"ms":-3}\n').errors[0]).toMatchObject({ line: 1, note: expect.stringMatching(/settings of latency/) });
    expect(parseCiscoConfig('! postcard-lab with command-filter {"style":"x"}\n').errors[0]).toMatchObject({ line: 1, note: expect.stringMatching(/no command-filter stage/) });
  });

  it('a paste with no line the lab reads is an error, not a firewall that passes everything', () => {
    // The wrong file: its first line carries the error, with what was expected.
    const wrong = parseCiscoConfig('hostname edge\ninterface ethernet0 auto\n');
    expect(wrong.errors).toEqual([expect.objectContaining({ line: 1, note: expect.stringMatching(/^hostname: addressing.*; nothing in this configuration is a line the lab reads from a PIX or ASA configuration/) })]);
    expect(wrong.lines[1].status).toBe('ignored');
    expect(parseCiscoConfig('\n  \n').errors).toEqual([expect.objectContaining({ line: 1, note: expect.stringMatching(/^the configuration is empty/) })]);
    expect(parseCiscoConfig('! only a comment\n').errors).toHaveLength(1);
    // A firewall that really inspects nothing says so in a line the lab reads.
    for (const off of ['no fixup protocol smtp 25\n', 'ASA Version 9.8(4)\npolicy-map global_policy\n class inspection_default\n  no inspect esmtp\n']) {
      expect(parseCiscoConfig(off)).toMatchObject({ errors: [], chain: [] });
    }
    // A PIX's version line alone: a PIX, Mailguard taken as off, and the report says so.
    const pix = parseCiscoConfig('PIX Version 6.3(5)\nhostname edge\n');
    expect(pix).toMatchObject({ dialect: 'pix', errors: [], chain: [] });
    expect(pix.lines[0].note).toMatch(/no "fixup protocol smtp" line in the paste: taken as Mailguard off/);
  });

  it('a scenario firewall { config } builds the chain and reports bad lines with their key path', () => {
    expect(profileStages({ config: 'PIX Version 4.4(1)\nfixup protocol smtp 25\n' }).map((r) => r.name)).toEqual(['mask-banner-44', 'command-filter']);
    expect(profileStages({ config: 'fixup protocol smtp 25\n', before: ['slicer'] }).map((r) => r.name)).toEqual(['slicer', 'mask-banner', 'command-filter']);
    const error = (() => {
      try {
        parseProfileSpec({ config: 'hostname x\nfixup protocol smtp 25x\n' });
      } catch (e) {
        return e as ProfileSpecError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ProfileSpecError);
    expect(error!.issues[0]).toMatchObject({ path: ['config'], message: expect.stringMatching(/^configuration line 2 "fixup protocol smtp 25x"/) });
    expect(() => parseProfileSpec({ profile: 'asa', config: 'fixup protocol smtp 25\n' })).toThrow(/either a profile or a config/);
  });
});

describe('a tester\'s typo fails closed, and the lines the docs name work on their own', () => {
  const line = (text: string, n: number) => parseCiscoConfig(text).lines.find((l) => l.line === n)!;
  it('a misspelt fixup or inspect is an error, not a firewall that inspects nothing', () => {
    expect(line('PIX Version 6.3(5)\nfixup protocl smtp 25\n', 2)).toMatchObject({ status: 'error', note: expect.stringContaining('expected "fixup protocol <protocol> [port]"') });
    expect(line('PIX Version 6.3(5)\nfixup protocol smpt 25\n', 2)).toMatchObject({ status: 'error', note: expect.stringContaining('did you mean smtp?') });
    const asa = 'ASA Version 8.2(1)\npolicy-map global_policy\n class inspection_default\n  inspect esmpt\nservice-policy global_policy global\n';
    expect(line(asa, 4)).toMatchObject({ status: 'error', note: expect.stringContaining('did you mean esmtp?') });
    expect(parseCiscoConfig(asa).errors).toHaveLength(1);
  });

  it('real protocols next to smtp are not taken for typos', () => {
    expect(line('PIX Version 6.3(5)\nfixup protocol snmp 161\nfixup protocol smtp 25\n', 2)).toMatchObject({ status: 'ignored' });
    expect(line('ASA Version 8.2(1)\npolicy-map global_policy\n class inspection_default\n  inspect snmp\n', 4)).toMatchObject({ status: 'ignored' });
  });

  it('"inspect esmtp" and "no inspect esmtp" on their own are the factory policy\'s line (docs/firewall-config.md)', () => {
    const on = parseCiscoConfig('inspect esmtp\n');
    expect(on.errors).toEqual([]);
    expect(on.dialect).toBe('asa');
    expect(on.chain.map((s) => s.name)).toEqual(['mask-banner', 'esmtp-inspect']);
    const off = parseCiscoConfig('no inspect esmtp\n');
    expect(off.errors).toEqual([]);
    expect(off.lines[0]).toMatchObject({ status: 'understood', note: expect.stringContaining('ESMTP inspection off') });
    expect(off.chain).toEqual([]);
  });

  it('a limit without a number is an error; an ASA paste with no inspect line says how it was taken', () => {
    const bad = 'ASA Version 8.2(1)\npolicy-map type inspect esmtp M\n match cmd line length gt abc\n  drop-connection\n';
    expect(line(bad, 3)).toMatchObject({ status: 'error', note: 'expected a whole number after "cmd line length gt", as in "match cmd line length gt 512"' });
    expect(line('ASA Version 9.1(7)\nhostname fw\n', 1).note).toContain('no "inspect esmtp" line in the paste: taken as ESMTP inspection off');
  });
});
