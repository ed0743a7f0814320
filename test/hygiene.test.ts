/**
 * The repository explains itself (issue 16, "Hygiene"): comments and docs cite the project's own
 * docs/ and the RFC or Microsoft specification sections a rule comes from, never a file outside
 * the repository (docs/architecture.md, "Conventions"). This walks every tracked (and every new,
 * not ignored) file and fails naming file:line for each citation of the product spec, style or
 * stack notes that live outside the repository.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

// Written with character classes so this file does not match itself.
const OUTSIDE = [
  /\bS[P]EC\s*\u00a7/, // a section of the product spec
  /\b(?:S[P]EC|S[T]YLE|S[T]ACK)\.md\b/, // the spec, style or stack notes by file name
];

function repositoryFiles(): string[] | undefined {
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
    return out.split('\0').filter((f) => f !== '');
  } catch {
    return undefined; // not a git checkout (an unpacked copy): nothing to walk
  }
}

/** Every `file:line: text` that cites a file outside the repository. */
function outsideCitations(files: string[], read: (file: string) => string | undefined): string[] {
  const hits: string[] = [];
  for (const file of files) {
    const text = read(file);
    if (text === undefined || text.includes('\0')) continue; // gone, or binary
    text.split('\n').forEach((line, i) => {
      if (OUTSIDE.some((re) => re.test(line))) hits.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  return hits;
}

function readText(file: string): string | undefined {
  const p = path.join(root, file);
  try {
    const st = fs.statSync(p);
    return st.isFile() && st.size <= 2_000_000 ? fs.readFileSync(p, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

const files = repositoryFiles();

describe('citations stay inside the repository', () => {
  it('finds a citation of the outside spec, style or stack notes, with file and line', () => {
    const sample: Record<string, string> = {
      'a.ts': '// fine (docs/tls.md, "Levels")\n// bad (' + 'S' + 'PEC' + ' \u00a73)\n',
      'b.md': 'See ' + 'ST' + 'ACK' + '.md for the traps.\n',
      'c.ts': '// RFC 3207 \u00a74 and the spec of a profile are fine\n',
    };
    expect(outsideCitations(Object.keys(sample), (f) => sample[f])).toEqual([
      'a.ts:2: // bad (' + 'S' + 'PEC' + ' \u00a73)',
      'b.md:1: See ' + 'ST' + 'ACK' + '.md for the traps.',
    ]);
  });

  it.skipIf(files === undefined)('no tracked file cites a file outside the repository', () => {
    const hits = outsideCitations(files ?? [], readText);
    expect(hits, `cite docs/*.md or the RFC section instead:\n${hits.join('\n')}`).toEqual([]);
  });
});
