/**
 * `startMs` of `bench --json` (docs/bench.md): milliseconds `createLab` takes for the postcard lab (two organisations,
 * one host each, the direct path) until every listener is up.
 *
 *   cold         empty key cache, empty certificate cache, new workspace: the lab CA and each
 *                host's RSA-2048 key are generated (app/tls/keys.ts), certificates issued;
 *   cachedKeys   the keys cached by the cold start, new certificate cache and workspace: what
 *                starting a new scenario costs on a machine that has run one before;
 *   cachedCerts  keys and certificates both cached, new workspace (extra).
 *
 * Each is the median of `runs` rounds; every round starts from new, empty folders.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLab, type LabDeps } from '../lab/lab.ts';
import { benchLab } from './labs.ts';
import { median, round, timed, type BenchClock } from './measure.ts';

export interface StartFigure {
  cold: number;
  cachedKeys: number;
  cachedCerts: number;
  runs: number;
}

async function startOnce(deps: LabDeps, clock: BenchClock): Promise<number> {
  const { ms, value: lab } = await timed(clock, () => createLab(benchLab('plain'), deps));
  await lab.stop();
  return ms;
}

export async function benchStart(o: { runs: number; clock: BenchClock; progress(line: string): void }): Promise<StartFigure> {
  const cold: number[] = [], cachedKeys: number[] = [], cachedCerts: number[] = [];
  for (let i = 0; i < o.runs; i++) {
    o.progress(`start: round ${i + 1} of ${o.runs}`);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-bench-start-'));
    const dir = (name: string) => path.join(root, name);
    try {
      const keyCache = dir('keys'), certCache = dir('certs');
      cold.push(await startOnce({ keyCache, certCache, workspace: dir('ws-cold') }, o.clock));
      cachedKeys.push(await startOnce({ keyCache, certCache: dir('certs-new'), workspace: dir('ws-keys') }, o.clock));
      cachedCerts.push(await startOnce({ keyCache, certCache, workspace: dir('ws-certs') }, o.clock));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
  return { cold: round(median(cold)), cachedKeys: round(median(cachedKeys)), cachedCerts: round(median(cachedCerts)), runs: o.runs };
}
