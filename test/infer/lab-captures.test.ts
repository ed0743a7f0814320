/**
 * infer on the lab's own captures: every shipped scenario with a firewall is run with its pcapng
 * exported (as `postcard-lab run --pcap` does), the box is inferred from the `/sent` and `/received`
 * interfaces of each firewall path, and must be the path's own stage chain (network stages such as
 * `slicer` change no SMTP byte and are not inferable). The written scenario is run in turn and its
 * wire dialogues must have the shapes of the original's. Profiles no shipped scenario uses are
 * covered by grid cells' captures. A tshark-written pcap and pcapng of the same capture infer alike.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile, type Loaded } from '../../app/scenario/load.ts';
import { runScenario } from '../../app/scenario/run.ts';
import { exportPcapng } from '../../app/lab/exports.ts';
import { inferFromFiles, dialoguesOf, sidePackets } from '../../app/infer/captures.ts';
import { readCapture } from '../../app/infer/pcap.ts';
import { dialogueShape } from '../../app/infer/compare.ts';
import { scenarioFromInference } from '../../app/infer/scenario.ts';
import { profileStages } from '../../app/path/profiles.ts';
import { normalizeChain } from '../../app/path/vendor/chain.ts';
import { runCell } from '../../app/grid/cell.ts';
import { needs } from '../helpers/tools.ts';

const SCENARIOS = path.join(import.meta.dirname, '../../scenarios');
const NETWORK_STAGES = new Set(['slicer', 'latency', 'bandwidth']);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-infer-lab-'));
const certCache = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-infer-certs-'));
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(certCache, { recursive: true, force: true });
});

const shipped = fs.readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml')).map((f) => loadScenarioFile(path.join(SCENARIOS, f)))
  .filter((l): l is Extract<Loaded, { ok: true }> => l.ok && l.scenario.lab.paths.some((p) => p.via === 'firewall'));

async function runWithPcap(l: Extract<Loaded, { ok: true }>, file: string): Promise<void> {
  const result = await runScenario(l.file, l.id, l.scenario, { beforeStop: (lab) => exportPcapng(lab, file).then(() => undefined) });
  expect(result.status, result.error ?? JSON.stringify(result.steps.filter((s) => s.status !== 'passed'))).toBe('passed');
}

const wireShapes = (file: string, pathId: string) => dialoguesOf(sidePackets(readCapture(fs.readFileSync(file)), 'wire', { path: pathId })).map((d) => dialogueShape(d).join(', '));

describe('infer recovers each shipped firewall scenario from its own capture', () => {
  it('there are shipped firewall scenarios', () => expect(shipped.length).toBeGreaterThanOrEqual(5));

  for (const l of shipped) {
    it(l.id, async () => {
      const pcap = path.join(dir, `${l.id}.pcapng`);
      await runWithPcap(l, pcap);
      const firewallPaths = l.scenario.lab.paths.filter((p) => p.via === 'firewall');
      for (const p of firewallPaths) {
        const pathId = `${p.between[0]}-${p.between[1]}`;
        const inf = inferFromFiles(pcap, pcap, { path: pathId });
        if (inf.pairs.length === 0) continue; // a path no message took
        expect(inf.unexplained, `${l.id} ${pathId}`).toEqual([]);
        const want = normalizeChain(profileStages(p.firewall).filter((r) => !NETWORK_STAGES.has(r.name)));
        expect(inf.chain, `${l.id} ${pathId}`).toEqual(want);

        // The written scenario runs, and its wire dialogues have the original's shapes.
        const built = scenarioFromInference(inf, { id: `${l.id}-inferred` });
        const file = path.join(dir, `${l.id}-${pathId}.yaml`);
        fs.writeFileSync(file, built.yaml);
        const loaded = loadScenarioFile(file);
        expect(loaded.ok, JSON.stringify(!loaded.ok && loaded.errors)).toBe(true);
        if (!loaded.ok) return;
        const replay = path.join(dir, `${l.id}-${pathId}-replay.pcapng`);
        await runWithPcap(loaded, replay);
        const original = wireShapes(pcap, pathId), again = wireShapes(replay, 'sender-receiver');
        expect(again.length).toBeGreaterThan(0);
        for (const shape of again) expect(original, `${l.id}: replayed "${shape}"`).toContain(shape);
      }
    }, 120_000);
  }
});

describe('infer recovers the profiles no shipped scenario uses, from grid cells\' captures', () => {
  const cases = [
    { firewall: 'pix-4.4', method: 'none' },
    { firewall: 'strip-starttls', method: 'may' },
    { firewall: 'ntlm-downgrade', method: 'ntlm' },
    { firewall: 'pass', method: 'none' },
    { firewall: 'rewrite', method: 'may' },
  ] as const;
  for (const c of cases) {
    it(`${c.firewall} (method ${c.method})`, async () => {
      const cellDir = path.join(dir, 'cells');
      const r = await runCell({ index: 0, sender: 'postfix', receiver: 'postfix', firewall: c.firewall, method: c.method }, { seed: 1, timeout: '1s', certCache, exportDir: cellDir });
      expect(r.agrees, r.mismatch).toBe(true);
      const pcap = path.join(cellDir, r.pcap!);
      const inf = inferFromFiles(pcap, pcap);
      expect(inf.unexplained).toEqual([]);
      // A rewrite stage without rules changes nothing: behaviourally the empty chain.
      const want = normalizeChain(profileStages(c.firewall)).filter((s) => !(s.name === 'rewrite' && (s.config.rules as unknown[]).length === 0));
      expect(inf.chain).toEqual(want);
    }, 60_000);
  }
});

const tshark = needs('tshark');
tshark.describe('captures rewritten by tshark (pcap and pcapng) infer alike', () => {
  let lab = '';
  beforeAll(async () => {
    lab = path.join(dir, 'tshark-source.pcapng');
    await runWithPcap(shipped.find((l) => l.id === 'asa-strips-starttls')!, lab);
  }, 60_000);
  it('sent side as pcap, wire side as pcapng, each written by tshark', () => {
    const sent = path.join(dir, 'tshark-sent.pcap'), wire = path.join(dir, 'tshark-wire.pcapng');
    execFileSync('/usr/bin/tshark', ['-r', lab, '-Y', 'frame.interface_name == "intellinet-ntsol/sent"', '-F', 'pcap', '-w', sent], { stdio: 'ignore' });
    execFileSync('/usr/bin/tshark', ['-r', lab, '-Y', 'frame.interface_name == "intellinet-ntsol/received"', '-F', 'pcapng', '-w', wire], { stdio: 'ignore' });
    expect(fs.readFileSync(sent).readUInt32LE(0)).toBe(0xa1b2c3d4);
    const inf = inferFromFiles(sent, wire);
    expect(inf.unexplained).toEqual([]);
    expect(inf.pairs).toHaveLength(2);
    expect(inf.chain).toEqual(normalizeChain(profileStages('asa')));
  });
});
