import { describe, expect, test } from 'vitest';
import { createRng } from '../../../app/base/rng.ts';
import { createChain } from '../../../app/path/chain.ts';
import { createStage } from '../../../app/path/stages/index.ts';
import { drive, markRows } from '../harness.ts';

const stage = (name: string, config: object = {}) => createChain([createStage(name, config, { rng: createRng(1), conn: 'c1' })]);

describe('mask-banner (PIX 5.1+, ASA)', () => {
  test('a multi-line greeting keeps its codes and separators, so it stays a reply', () => {
    const out = drive(stage('mask-banner'), [['s2c', '220-mx1.example ESMTP\r\n220 at 2020-01-02\r\n']]);
    expect(out.s2c).toBe('220-*********** *****\r\n220 ** 2020*0**02\r\n');
  });

  test('only the greeting is masked, not a later reply with the same words', () => {
    const out = drive(stage('mask-banner'), [
      ['s2c', '220 mx1.example ready\r\n'], ['c2s', 'HELO a.example\r\n'], ['s2c', '250 mx1.example ready\r\n'],
    ]);
    expect(out.s2c).toBe('220 *********** *****\r\n250 mx1.example ready\r\n');
    expect(out.c2s).toBe('HELO a.example\r\n');
    expect(markRows(out)).toEqual([['s2c', 'mask-banner', 'changed', '220 mx1.example ready\r\n']]);
  });

  test('a 554 refusal greeting keeps its code', () => {
    expect(drive(stage('mask-banner'), [['s2c', '554 go away\r\n']]).s2c).toBe('554 ** ****\r\n');
  });
});

describe('mask-banner-44 (PIX 4.4)', () => {
  test('by default the line end is masked too, so the greeting never ends (docs/stages.md fixed vector)', () => {
    expect(drive(stage('mask-banner-44'), [['s2c', '220 mx1 ok\r\n']]).s2c).toBe('220 ********');
  });

  test('keepLineEnd keeps CRLF and masks the rest, 2s and 0s included', () => {
    expect(drive(stage('mask-banner-44', { keepLineEnd: true }), [['s2c', '220 mx 2.0\r\n']]).s2c).toBe('220 ******\r\n');
  });
});
