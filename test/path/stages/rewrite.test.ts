import { describe, expect, test } from 'vitest';
import { createRng } from '../../../app/base/rng.ts';
import { createChain } from '../../../app/path/chain.ts';
import { StageConfigError, createStage } from '../../../app/path/stages/index.ts';
import { drive, markRows } from '../harness.ts';

const ctx = { rng: createRng(1), conn: 'c1' };
const rewrite = (rules: object[]) => createChain([createStage('rewrite', { rules }, ctx)]);

describe('rewrite', () => {
  test('drop removes a whole reply line; the rule\'s direction is respected', () => {
    const out = drive(rewrite([{ dir: 's2c', match: '250-PIPELINING', action: 'drop' }]), [
      ['c2s', 'NOOP 250-PIPELINING\r\n'], ['s2c', '250-mx\r\n250-PIPELINING\r\n250 SIZE 5\r\n'],
    ]);
    expect(out.c2s).toBe('NOOP 250-PIPELINING\r\n');
    expect(out.s2c).toBe('250-mx\r\n250 SIZE 5\r\n');
    expect(markRows(out)).toEqual([['s2c', 'rewrite', 'changed', '250-mx\r\n250-PIPELINING\r\n250 SIZE 5\r\n']]);
  });

  test('close resets (or with how: fin, closes) and forwards nothing of the line', () => {
    const rule = { dir: 'c2s', match: { regex: '^rcpt to:<ceo@', flags: 'i' }, action: 'close' };
    const out = drive(rewrite([rule]), [['c2s', 'RCPT TO:<sean@b>\r\nRCPT TO:<CEO@b>\r\nQUIT\r\n']]);
    expect(out.c2s).toBe('RCPT TO:<sean@b>\r\n');
    expect(out.close).toMatchObject({ how: 'reset', reason: 'rewrite: rule 1 closed the connection' });
    expect(drive(rewrite([{ ...rule, how: 'fin' }]), [['c2s', 'RCPT TO:<ceo@b>\r\n']]).close?.how).toBe('fin');
  });

  test('a regex replacement may use groups; rules run in order on the rewritten text', () => {
    const out = drive(rewrite([
      { match: { regex: '<([a-z]+)@old\\.example>' }, replace: '<$1@new.example>' },
      { match: 'new.example', replace: 'newer.example' },
    ]), [['c2s', 'MAIL FROM:<ann@old.example>\r\n']]);
    expect(out.c2s).toBe('MAIL FROM:<ann@newer.example>\r\n');
  });

  test('a match never depends on where the segments were cut', () => {
    const rules = [{ dir: 's2c', match: '250-STARTTLS', replace: '250-XXXXXXXA' }];
    for (const split of [0, 1, 5]) {
      expect(drive(rewrite(rules), [['c2s', 'EHLO a\r\n'], ['s2c', '250-mx\r\n250-STARTTLS\r\n250 OK\r\n']], split).s2c)
        .toBe('250-mx\r\n250-XXXXXXXA\r\n250 OK\r\n');
    }
  });

  test('a bad regular expression is refused naming the rule', () => {
    let error: unknown;
    try {
      createStage('rewrite', { rules: [{ match: 'ok' }, { match: { regex: '([unclosed' } }] }, ctx);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StageConfigError);
    expect((error as StageConfigError).issues[0].path.slice(0, 3)).toEqual(['rules', 1, 'match']);
  });
});
