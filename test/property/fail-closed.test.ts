/**
 * The fail-closed property (docs/lab.md, "Fail closed"; docs/property-test.md): over seeded random labs — method and
 * level × middlebox profile (and sometimes a network stage) × account state × certificate variant
 * × DNS state × inbound STARTTLS × NT crypto builds, 2–4 messages each —
 *
 *   1. every message ends delivered, deferred or bounced, never pending;
 *   2. on every hop whose effective policy is fail-closed (computed by hand in policy.ts), no
 *      canary of any message and no `MAIL FROM:<…>` / `RCPT TO:<…>` of it crosses in clear;
 *   3. the detector is not blind: where nothing hides a delivered message, it is found.
 *
 * PCL_PROPERTY_LABS=<n> sets how many labs (default 300), PCL_PROPERTY_BASE=<n> the first seed
 * (default 1), PCL_PROPERTY_SEED=<n> runs that one lab alone. See docs/property-test.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describePlan, generateLab, type LabPlan } from './generate.ts';
import { labFolder, runLab, type LabRun, type MessageReport, type RunDeps } from './run.ts';

const envInt = (name: string): number | undefined => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return n;
};

const replay = envInt('PCL_PROPERTY_SEED');
const count = envInt('PCL_PROPERTY_LABS') ?? 300;
const base = envInt('PCL_PROPERTY_BASE') ?? 1;
const seeds = replay !== undefined ? [replay] : Array.from({ length: count }, (_, i) => base + i);
const plans = seeds.map((seed) => generateLab(seed));

let root: string;
let deps: Omit<RunDeps, 'workspace'>;
const started = performance.now();
const tally = {
  labs: 0, messages: 0, seen: 0,
  failClosed: { delivered: 0, deferred: 0, bounced: 0 } as Record<string, number>,
  kinds: new Set<string>(), profiles: new Set<string>(),
};

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'pcl-property-'));
  deps = { certCache: path.join(root, 'certs') };
});

afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const fc = tally.failClosed;
  console.log(`fail-closed property: ${tally.labs} labs, ${tally.messages} messages in ${seconds} s; on fail-closed hops ${fc.delivered} delivered, ${fc.deferred} deferred, ${fc.bounced} bounced; ${tally.seen} messages seen in clear on hops that allow it`);
});

const settled = ['delivered', 'deferred', 'bounced'];

function record(plan: LabPlan, messages: MessageReport[]): void {
  tally.labs++;
  tally.kinds.add(plan.security.method === 'tls' ? `tls ${plan.security.level}` : plan.security.method);
  tally.profiles.add(plan.firewall.profile);
  for (const m of messages) {
    tally.messages++;
    if (m.failClosed) tally.failClosed[m.final ?? m.outcome]++;
    if (m.leaks > 0) tally.seen++;
  }
}

describe('fail closed over seeded random labs (docs/lab.md, "Fail closed")', () => {
  it.each(plans.map((plan) => [describePlan(plan), plan] as const))('%s', async (line, plan) => {
    let run: LabRun;
    try {
      run = await runLab(plan, { ...deps, workspace: labFolder(root, plan.seed) });
    } catch (error) {
      throw new Error(`${line}\n${(error as Error).stack ?? String(error)}\nreplay: PCL_PROPERTY_SEED=${plan.seed} npx vitest run test/property`, { cause: error });
    }
    record(plan, run.messages);
    const why = `${line}\nreplay: PCL_PROPERTY_SEED=${plan.seed} npx vitest run test/property`;
    for (const m of run.messages) {
      expect(settled, `${why}\n${m.id} did not settle: ${m.outcome}`).toContain(m.outcome);
      if (m.final !== undefined) expect(['delivered', 'bounced'], `${why}\n${m.id} followed to its end: ${m.final}`).toContain(m.final);
    }
    expect(run.violations, `${why}\ncleartext on a fail-closed hop:\n${run.transcripts}`).toEqual([]);
    expect(run.blind, `${why}\nthe detector missed a message sent in clear`).toEqual([]);
  }, 120_000);

  it.skipIf(replay !== undefined || count < 100)('covered the space: every method and level, every profile, fail-closed hops that delivered, deferred and bounced, and messages seen in clear', () => {
    expect([...tally.kinds].sort()).toEqual(['none', 'ntlm', 'tls dane', 'tls dane-only', 'tls encrypt', 'tls may', 'tls mta-sts', 'tls secure', 'tls verify']);
    expect([...tally.profiles].sort()).toEqual(['asa', 'injector', 'ntlm-downgrade', 'pass', 'pix-4.4', 'pix-5.1', 'rewrite', 'strip-starttls']);
    expect(tally.failClosed.delivered).toBeGreaterThan(0);
    expect(tally.failClosed.deferred).toBeGreaterThan(0);
    expect(tally.failClosed.bounced).toBeGreaterThan(0);
    expect(tally.seen).toBeGreaterThan(0);
  });
});

describe('the detector is not blind (docs/packet-view.md)', () => {
  it('finds a message sent with method none through a pass firewall, even one byte per segment', async () => {
    const plan = generateLab(1);
    const open: LabPlan = {
      ...plan,
      security: { method: 'none' }, account: 'valid', change: 'none', followToEnd: false,
      firewall: { profile: 'pass', before: [{ slicer: { size: 1 } }], stages: [] },
      zones: { domain: 'insecure', hosting: 'insecure' },
      partner: { ...plan.partner, starttls: false, requireTls: false, hosts: plan.partner.hosts.slice(0, 1) },
      messages: [{ from: 'alice@intellinet.example', to: 'sean@ntsol.example' }, { from: 'bob@intellinet.example', to: 'sue@ntsol.example' }],
    };
    const run = await runLab(open, { ...deps, workspace: labFolder(root, 0) });
    expect(run.messages.map((m) => m.outcome)).toEqual(['delivered', 'delivered']);
    // Subject, header and body canaries, at least on the sender's and the wire's capture points.
    for (const m of run.messages) expect(m.leaks).toBeGreaterThanOrEqual(6);
    expect(run.blind).toEqual([]);
  });
});
