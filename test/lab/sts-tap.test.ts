/**
 * The MTA-STS policy host is a listener like any other (docs/packet-view.md, "Capture points"):
 * the senders' policy fetches (RFC 8461 §3.3, HTTPS) go through a recording relay and show under a
 * capture point named for the host, as a session from outside would.
 */
import { afterEach, expect, it } from 'vitest';
import path from 'node:path';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { loadScenarioFile } from '../../app/scenario/load.ts';
import { ROOT } from '../helpers/cli.ts';

const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.stop()));
});

it('a policy fetch crosses the tap in front of mta-sts.ntsol.example: TLS records on its own point, the endpoint listing the tapped port', async () => {
  const loaded = loadScenarioFile(path.join(ROOT, 'scenarios', 'mta-sts-enforce.yaml'));
  if (!loaded.ok) throw new Error('mta-sts-enforce.yaml is invalid');
  const lab = await createLab(loaded.scenario.lab);
  labs.push(lab);
  const id = 'https/mta-sts.ntsol.example:443';
  expect(lab.capture.points().find((p) => p.id === id)?.label).toBe('mta-sts.ntsol.example :443 (MTA-STS policy host, HTTPS)');
  expect(lab.pointKind(id)).toBe('outside');
  const sts = lab.security.stsHosts.get('mta-sts.ntsol.example')!;
  expect(sts.tapPort).toBeGreaterThan(0);
  expect(lab.endpoints()).toContainEqual(expect.objectContaining({ name: 'mta-sts.ntsol.example', https: `127.0.0.1:${sts.tapPort}` }));

  const { policy } = await lab.security.mtaStsPolicy('intellinet', 'ntsol.example');
  expect(policy?.mode).toBe('enforce');
  // The fetch's bytes, both ways, on the host's point: a TLS handshake (content type 22) first.
  await expect.poll(() => [...lab.taps.records].filter((r) => r.point === id && r.dir === 's2c').length).toBeGreaterThan(0);
  const c2s = [...lab.taps.records].filter((r) => r.point === id && r.dir === 'c2s');
  expect(c2s[0].bytes[0]).toBe(22);
  const page = lab.capture.page({ point: id });
  expect(page.total).toBeGreaterThan(3);
  expect(page.rows[0].info).toContain('[SYN]');
  expect(page.rows.some((r) => r.protocol.startsWith('TLS'))).toBe(true);
  expect(page.rows[0].destination).toBe(page.rows[1].source);
});
