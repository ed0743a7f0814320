/**
 * docs/cli.md, `postcard-lab --help` and the commands' own parsers agree: every command the help
 * lists has a section in the page with the same synopsis, every flag of a synopsis is in that
 * section's table and the other way round, and a synopsis names every flag its command's parser
 * takes (read from the parser's answer to a flag it does not know: "known: …").
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers/cli.ts';

const FLAG = /--[a-z][a-z0-9-]*/g;
const flagsIn = (text: string) => [...new Set(text.match(FLAG) ?? [])].sort();

/** The help's synopses by command (`firewall import` is one; '' is the line about the command line itself). */
function helpCommands(help: string): Map<string, string[]> {
  const commands = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of help.split('\n').slice(1).map((l) => l.slice(2))) {
    if (line.startsWith('postcard-lab')) {
      const words = line.split(' ').slice(1);
      const name = words.slice(0, Math.max(0, words.findIndex((w) => /^[<[\-(]/.test(w)))).join(' ');
      current = [line];
      commands.set(name, current);
    } else if (line.startsWith(' ')) current?.push(line);
    // A note in parentheses is about flags a synopsis already lists.
  }
  return commands;
}

/** The page's sections by command: the synopsis in its first code block, the flags in its table's first column. */
function pageCommands(page: string): Map<string, { synopsis: string; flags: string[] }> {
  const sections = new Map<string, { synopsis: string; flags: string[] }>();
  const parts = page.split(/^## `postcard-lab( [a-z ]+)?`$/m);
  for (let i = 1; i < parts.length; i += 2) {
    const name = (parts[i] ?? '').trim();
    const body = parts[i + 1];
    const synopsis = /^```\n([\s\S]*?)\n```$/m.exec(body)?.[1] ?? '';
    // A table row's first cell; `\|` inside a cell is a pipe of the text, not a column.
    const firstCells = body.split('\n').filter((l) => l.startsWith('| `-')).map((l) => l.split(/(?<!\\)\|/)[1]);
    sections.set(name, { synopsis, flags: flagsIn(firstCells.join(' ')) });
  }
  return sections;
}

describe('docs/cli.md and --help', () => {
  it('list the same commands, each with the same synopsis and the same flags', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    const inHelp = helpCommands(help.out);
    const inPage = pageCommands(fs.readFileSync(path.join(ROOT, 'docs/cli.md'), 'utf8'));
    expect(inHelp.size).toBeGreaterThan(10);
    expect([...inPage.keys()].sort(), 'a command in --help without a section in docs/cli.md, or the other way round').toEqual([...inHelp.keys()].sort());
    for (const [name, lines] of inHelp) {
      const section = inPage.get(name)!;
      expect(section.synopsis, `docs/cli.md, postcard-lab ${name}: the synopsis --help prints`).toBe(lines.join('\n'));
      expect(section.flags, `docs/cli.md, postcard-lab ${name}: the flags of its table`).toEqual(flagsIn(lines.join(' ')));
    }
  });

  it('lists in each synopsis every flag the command takes, and none it does not', async () => {
    const inHelp = helpCommands((await cli('--help')).out);
    for (const [name, lines] of inHelp) {
      if (name === '') continue;
      const r = await cli(...name.split(' '), '--no-such-flag-pcl');
      expect(r.code, name).toBe(2);
      const known = /unknown option --no-such-flag-pcl \(known: ([^)]*)\)/.exec(r.err)?.[1];
      expect(known, `${name}: ${r.err}`).toBeDefined();
      expect(flagsIn(known!), `postcard-lab ${name}: the flags its parser takes`).toEqual(flagsIn(lines.join(' ')));
    }
  });
});
