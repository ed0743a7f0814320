/**
 * The fixed vectors of docs/stages.md ("Fixed vectors", written there by hand), run through the
 * named profiles as a trainee's lab would build them.
 */
import { describe, expect, test } from 'vitest';
import { createRng } from '../../app/base/rng.ts';
import { createProfilePipeline } from '../../app/path/profiles.ts';
import { drive } from './harness.ts';

const BANNER = '220 mail.ntsol.example Microsoft ESMTP MAIL Service, Version: 5.5.2653.13 ready';
const pipeline = (profile: string) => createProfilePipeline({ profile }, { rng: createRng(7), conn: 'c1' });

describe('docs/stages.md fixed vectors', () => {
  test('pix-5.1 masks the banner except 2, 0, space, CR and LF', () => {
    const out = drive(pipeline('pix-5.1'), [['s2c', `${BANNER}\r\n`]]);
    expect(out.s2c).toBe('220 ****************** ********* ***** **** ******** ******** ****2****** *****\r\n');
  });

  test('pix-4.4 turns everything after "220 " into *: 77 of them', () => {
    const out = drive(pipeline('pix-4.4'), [['s2c', `${BANNER}\r\n`]]);
    expect(out.s2c).toBe(`220 ${'*'.repeat(77)}`);
  });

  test('pix-5.1: the server receives NOOP and 24 spaces for EHLO', () => {
    const out = drive(pipeline('pix-5.1'), [['s2c', `${BANNER}\r\n`], ['c2s', 'EHLO mail.intellinet.example\r\n']]);
    expect(out.c2s).toBe(`NOOP${' '.repeat(24)}\r\n`);
    expect(out.c2s.length - 2).toBe(28);
  });

  test('pix-4.4: the server receives 28 Xs for EHLO', () => {
    const out = drive(pipeline('pix-4.4'), [['s2c', `${BANNER}\r\n`], ['c2s', 'EHLO mail.intellinet.example\r\n']]);
    expect(out.c2s).toBe(`${'X'.repeat(28)}\r\n`);
  });

  test('asa: 250-STARTTLS in an EHLO reply becomes 250-XXXXXXXA', () => {
    const out = drive(pipeline('asa'), [
      ['s2c', '220 mail.ntsol.example ready\r\n'],
      ['c2s', 'EHLO mail.intellinet.example\r\n'],
      ['s2c', '250-mail.ntsol.example\r\n250-STARTTLS\r\n250 SIZE 10485760\r\n'],
    ]);
    expect(out.s2c.split('\r\n')).toContain('250-XXXXXXXA');
  });
});
