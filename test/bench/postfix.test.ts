import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPostfixTools, postfixSessions } from '../../app/bench/postfix.ts';
import { realClock } from '../../app/bench/measure.ts';
import { needs } from '../helpers/tools.ts';

const tools = findPostfixTools();
const postfix = needs('smtp-sink', 'smtp-source');

describe('Postfix yardstick', () => {
  it('is null, with the reason, where smtp-sink and smtp-source are not installed', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-no-postfix-'));
    try {
      expect(findPostfixTools(empty)).toBeUndefined();
      const figure = await postfixSessions(undefined, 10, 2, realClock);
      expect(figure.rate).toBeNull();
      expect(figure.skipped).toMatch(/not installed/);
    } finally {
      fs.rmSync(empty, { recursive: true });
    }
  });

  postfix.it('measures smtp-source sessions into smtp-sink on loopback (needs Debian\'s postfix)', async () => {
    const figure = await postfixSessions(tools, 20, 4, realClock);
    expect(figure.skipped).toBeUndefined();
    expect(typeof figure.rate).toBe('number');
  });
});
