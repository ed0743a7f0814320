import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchBody, composeStep, filler, messageId, sendStep } from '../../app/bench/messages.ts';
import { benchLab } from '../../app/bench/labs.ts';
import { createLab } from '../../app/lab/lab.ts';
import { createRng } from '../../app/base/rng.ts';

const date = Date.UTC(2026, 10, 28, 9);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('bench messages', () => {
  it('are exactly the asked number of octets, whatever the size', () => {
    for (const size of [700, 2047, 2048, 2049, 2050, 4096]) {
      const body = benchBody(size, date);
      for (const i of [0, 7, 1999]) {
        expect(composeStep(sendStep(messageId('b', i), body), date, createRng(i)).length).toBe(size);
      }
    }
  });

  it('have a body of CRLF lines no longer than 78 characters, with no bare CR or LF (RFC 5322 §2.1.1, §2.3)', () => {
    for (const n of [0, 1, 71, 72, 73, 1500]) {
      const text = filler(n);
      expect(text.length).toBe(n);
      expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
      for (const line of text.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    }
  });

  it('reach the receiving mailbox at the asked size when the lab itself composes them', async () => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-bench-test-'));
    dirs.push(workspace);
    const lab = await createLab(benchLab('plain'), { workspace });
    try {
      const sent = lab.send(sendStep(messageId('b', 42), benchBody(2048, lab.clock.now())));
      expect(await lab.settle(sent.ref, true)).toBe('delivered');
      const [item] = lab.servers.get('ntsol')!.mailboxes.list('sean');
      const stored = lab.servers.get('ntsol')!.mailboxes.read('sean', item.id)!.toString('latin1');
      // The receiver prepends Return-Path and its own Received: field (RFC 5321 §4.4); what follows is what was sent.
      const sentPart = stored.slice(stored.indexOf('\r\nFrom: ') + 2);
      expect(Buffer.byteLength(sentPart, 'latin1')).toBe(2048);
    } finally {
      await lab.stop();
    }
  });
});
