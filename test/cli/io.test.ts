/** The CLI's output (app/cli/io.ts): what goes to a terminal carries no control sequence from a file. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { printable, processIo } from '../../app/cli/io.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('printable', () => {
  it('writes C0 and C1 controls and DEL as \\xNN, keeps tab, newline and every other character, and is idempotent', () => {
    const hostile = 'line \x1b]0;PWNED\x07\x1b[2J\x9b31m\r\x7f\x00 tab\there\nnext — é ✓';
    const shown = printable(hostile);
    expect(shown).toBe('line \\x1b]0;PWNED\\x07\\x1b[2J\\x9b31m\\x0d\\x7f\\x00 tab\there\nnext — é ✓');
    expect(printable(shown)).toBe(shown);
  });

  it('is what processIo.err writes to stderr', () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    processIo.err('bad line: \x1b[2J');
    expect(written).toEqual(['bad line: \\x1b[2J\n']);
  });
});
