import { describe, expect, test } from 'vitest';
import { createRng } from '../../app/base/rng.ts';
import {
  PROFILE_NAMES, ProfileSpecError, createProfilePipeline, parseProfileSpec, profileSpecSchema, profileStages,
} from '../../app/path/profiles.ts';
import { drive, markRows, sent, type Split } from './harness.ts';
import { SESSIONS } from './sessions.ts';

const ctx = (seed = 7) => ({ rng: createRng(seed), conn: 'c1' });

describe.each(Object.entries(SESSIONS))('profile %s, a full SMTP session', (_name, session) => {
  const run = (split: Parameters<typeof drive>[2] = 0) => drive(createProfilePipeline(session.profile, ctx()), session.steps, split);
  // The ASA judges each of the client's segments on its own (Cisco tech note 113423: a command must
  // arrive in one): only what the server sends is cut for it here; the client's side is tested below.
  const cut = (split: Split): Parameters<typeof drive>[2] => (session.profile === 'asa' ? { c2s: 0, s2c: split } : split);

  test('the exact bytes reach each side, with a mark for every change', () => {
    const out = run();
    expect(out.c2s).toBe(session.c2s);
    expect(out.s2c).toBe(session.s2c);
    expect(markRows(out)).toEqual(session.marks);
    expect(out.close).toBeUndefined();
  });

  test('a direction that carries no marks arrives byte for byte as it was sent', () => {
    const out = run();
    for (const dir of ['c2s', 's2c'] as const) {
      if (markRows(out).some(([d]) => d === dir)) expect(out[dir]).not.toBe(sent(session.steps, dir));
      else expect(out[dir]).toBe(sent(session.steps, dir));
    }
  });

  test('one byte per segment (a telnet user) gives the same bytes and marks', () => {
    const out = run(cut(1));
    expect(out.c2s).toBe(session.c2s);
    expect(out.s2c).toBe(session.s2c);
    expect(markRows(out)).toEqual(session.marks);
  });

  test.each([1, 2, 3, 4, 5])('segments of seeded random sizes (seed %i) give the same', (seed) => {
    const rng = createRng(seed);
    const out = run(cut(() => 1 + rng.int(9)));
    expect(out.c2s).toBe(session.c2s);
    expect(out.s2c).toBe(session.s2c);
    expect(markRows(out)).toEqual(session.marks);
  });
});

test('every named profile (docs/stages.md) has a session table', () => {
  expect(Object.keys(SESSIONS).sort()).toEqual([...PROFILE_NAMES].sort());
});

describe('network stages added to a profile', () => {
  const asa = SESSIONS.asa;

  test('asa + slicer on the server side: same bytes, the server reads them one per segment', () => {
    const out = drive(createProfilePipeline({ profile: 'asa', stages: [{ slicer: {} }] }, ctx()), asa.steps);
    expect(out.c2s).toBe(asa.c2s);
    expect(out.s2c).toBe(asa.s2c);
    expect(markRows(out)).toEqual(asa.marks);
    const sizes = out.outputs.flatMap((o) => (o.type === 'deliver' && o.dir === 'c2s' ? [o.bytes.length] : []));
    expect(Math.max(...sizes)).toBe(1);
  });

  test('slicer on the client side (written as a bare name): the ASA judges each one-byte segment, and every command reaches the server as Xs', () => {
    const out = drive(createProfilePipeline({ profile: 'asa', before: ['slicer'] }, ctx()), asa.steps);
    // Cisco tech note 113423: a telnet user's H becomes X, "the server receives the final command as XXXX".
    expect(out.c2s).toBe(asa.c2s.replace(/[^\r\n]/g, 'X'));
    const c2sMarks = markRows(out).filter(([dir]) => dir === 'c2s');
    expect(c2sMarks.length).toBeGreaterThan(0);
    expect(new Set(c2sMarks.map(([, stage, action]) => `${stage} ${action}`))).toEqual(new Set(['esmtp-inspect changed']));
    expect(out.marks.filter((m) => m.stage === 'esmtp-inspect' && m.action === 'changed').every((m) => m.note?.startsWith('command not whole in one segment'))).toBe(true);
  });

  test('a banner mask passes the client\'s segments on as they came, so the inspection after it sees them', () => {
    const out = drive(createProfilePipeline({ profile: 'pass', before: ['slicer'], stages: ['mask-banner'] }, ctx()), asa.steps);
    expect(out.c2s).toBe(sent(asa.steps, 'c2s'));
    expect(Math.max(...out.outputs.flatMap((o) => (o.type === 'deliver' && o.dir === 'c2s' ? [o.bytes.length] : [])))).toBe(1);
    expect(markRows(out)).toEqual([['s2c', 'mask-banner', 'changed', asa.steps[0][1]]]);
  });

  test('latency with jitter: the same seed gives the same delays, within ms ± jitter', () => {
    const delays = (seed: number) => {
      const p = createProfilePipeline({ profile: 'pass', stages: [{ latency: { ms: 100, jitter: 40 } }] }, ctx(seed));
      return Array.from({ length: 20 }, () => p.push('c2s', Buffer.from('x'))[0]).map((o) => o.delayMs ?? 0);
    };
    expect(delays(3)).toEqual(delays(3));
    expect(delays(3)).not.toEqual(delays(4));
    for (const d of delays(3)) expect(d >= 60 && d <= 140).toBe(true);
  });
});

describe('the profile spec scenario files embed', () => {
  test('a bare name is short for { profile }', () => {
    expect(parseProfileSpec('pix-5.1')).toEqual({ profile: 'pix-5.1', with: {}, before: [], stages: [] });
    expect(profileStages('pix-4.4').map((s) => s.name)).toEqual(['mask-banner-44', 'command-filter']);
  });

  test('with merges over the profile\'s own config', () => {
    const stages = profileStages({ profile: 'pix-4.4', with: { 'command-filter': { allow: ['HELO', 'QUIT'] } } });
    expect(stages[1]).toEqual({ name: 'command-filter', config: { style: 'x', allow: ['HELO', 'QUIT'] } });
  });

  test('errors name the key path: profile, stage and key', () => {
    const issues = (input: unknown) => {
      try {
        parseProfileSpec(input);
        return [];
      } catch (e) {
        expect(e).toBeInstanceOf(ProfileSpecError);
        return (e as ProfileSpecError).issues.map((i) => i.path.join('.'));
      }
    };
    expect(issues({ profile: 'pix-6.0' })).toEqual(['profile']);
    expect(issues({ profile: 'asa', stages: [{ latency: { ms: 'fast' } }] })).toEqual(['stages.0.latency.ms']);
    expect(issues({ profile: 'asa', stages: [{ lantecy: {} }] })).toContain('stages.0');
    expect(issues({ profile: 'asa', with: { 'command-filter': {} } })).toEqual(['with.command-filter']);
    expect(issues({ profile: 'pix-5.1', with: { 'command-filter': { style: 'zzz' } } })).toEqual(['with.command-filter.style']);
    expect(issues({ profile: 'asa', colour: 'red' })).toEqual(['']);
  });

  test('the schema converts to JSON Schema for the scenario format', async () => {
    const { z } = await import('zod');
    const schema = z.toJSONSchema(profileSpecSchema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown> };
    expect(Object.keys(schema.properties ?? {})).toEqual(['profile', 'with', 'before', 'stages', 'config']);
  });
});
