// The topology layout on every shipped scenario (a new scenario is a new case without new test
// code): every capture point gets one link, links end on hosts or middleboxes, no two boxes overlap,
// and everything stays inside the picture. And the words of each link state.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { badgeWidth, layoutTopology, type Box } from '../../renderer/lib/layout.ts';
import { linkWords } from '../../renderer/lib/link-words.ts';
import { loadScenarioFile } from '../../app/scenario/load.ts';
import { buildPaths, scannerId, scannerOrg } from '../../app/lab/topology.ts';
import type { LabSnapshot, OrgView, PathView } from '../../app/api/contract.ts';
import { SCENARIOS } from '../api/helpers.ts';

function snapshotOf(file: string): Pick<LabSnapshot, 'orgs' | 'paths'> {
  const loaded = loadScenarioFile(file);
  if (!loaded.ok) throw new Error(`${file} does not load`);
  const lab = loaded.scenario.lab;
  const org = (o: (typeof lab.orgs)[number]): OrgView => ({
    id: o.id, domain: o.domain, profile: o.profile, vocabulary: 'level', form: { title: '', where: '', domainLabel: '', fields: [] }, hosts: o.hosts.map((h) => ({ name: h.name, address: h.address, certificate: h.certificate })),
    users: o.users, accounts: [], inbound: { starttls: false, requireTls: false }, security: [], mailboxes: [], queue: [],
    ...(o.mtaSts ? { mtaSts: `mta-sts.${o.domain}` } : {}),
  });
  const infos = buildPaths(lab);
  const scanners = infos.map((p) => scannerOrg(p, lab)?.org).filter((o) => o !== undefined).map((o) => ({ ...org(o), id: o.id }));
  const paths: PathView[] = infos.map((p) => ({
    id: p.id, between: [p.config.between[0], p.config.between[1]], via: p.config.via, to: p.config.to, firewall: p.config.firewall?.profile,
    points: p.points.map((pt) => ({ id: pt.id, label: pt.label, roles: pt.roles, ...(pt.side ? { side: pt.side } : {}) })), entries: [],
  }));
  expect(scanners.every((s) => infos.some((p) => scannerId(p) === s.id))).toBe(true);
  return { orgs: [...lab.orgs.map(org), ...scanners], paths };
}

const overlap = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
const inside = (p: { x: number; y: number }, b: Box) => p.x >= b.x - 0.01 && p.x <= b.x + b.w + 0.01 && p.y >= b.y - 0.01 && p.y <= b.y + b.h + 0.01;
const files = fs.readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml'));

describe('topology layout', () => {
  it.each(files)('%s', (file) => {
    const snap = snapshotOf(path.join(SCENARIOS, file));
    const l = layoutTopology(snap);
    // One link per side of a box (two on a firewall path, one on a direct path): the Internet's
    // side carries the wire point, the other side the sender's or the receiver's capture.
    for (const p of snap.paths) {
      const drawn = l.links.filter((x) => x.path === p.id).map((x) => x.point);
      const wire = p.points.find((pt) => pt.roles.includes('wire'))!;
      expect(drawn, `${file}: ${p.id}`).toContain(wire.id);
      expect(drawn.length).toBe(p.via === 'direct' ? 1 : 2);
      if (p.via === 'firewall') {
        expect(drawn).toEqual([p.points.find((pt) => pt.side === 'before' && (pt.roles.includes('wire') || pt.id === drawn[0]))!.id, drawn[1]]);
        expect(new Set(drawn.map((id) => p.points.find((pt) => pt.id === id)!.side))).toEqual(new Set(['before', 'after']));
      }
    }
    const boxes: Box[] = [...l.orgs, ...l.middles, ...l.orgs.flatMap((o) => (o.mtaSts ? [o.mtaSts] : []))];
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) expect(overlap(boxes[i], boxes[j]), `${file}: boxes ${i} and ${j} overlap`).toBe(false);
    for (const b of boxes) expect(b.x >= 0 && b.y >= 0 && b.x + b.w <= l.width && b.y + b.h <= l.height, `${file}: a box leaves the picture`).toBe(true);
    // A link's badge (44 high, up to 240 wide for its longest words) sits clear of every box, every
    // rewrite mark and every other badge, however short the span or close the links.
    const badges = l.links.map((link) => ({ x: link.mid.x - 120, y: link.mid.y - 22, w: 240, h: 44 }));
    const marks = l.links.flatMap((link) => (link.mark ? [{ x: link.mark.x - 48, y: link.mark.y - 11, w: 96, h: 22 }] : []));
    l.links.forEach((link, i) => {
      for (const b of [...boxes, ...marks]) expect(overlap(badges[i], b), `${file}: the badge of ${link.point} covers a box or mark`).toBe(false);
      for (let j = i + 1; j < badges.length; j++) expect(overlap(badges[i], badges[j]), `${file}: the badges of ${link.point} and ${l.links[j].point} overlap`).toBe(false);
    });
    const ends: Box[] = [...l.orgs.flatMap((o) => o.hosts), ...l.middles];
    for (const link of l.links) {
      expect(ends.some((b) => inside(link.from, b)), `${file}: ${link.point} starts on nothing`).toBe(true);
      expect(ends.some((b) => inside(link.to, b)), `${file}: ${link.point} ends on nothing`).toBe(true);
    }
  });

  it('a picture of two organisations is only as tall as its paths need: shorter with a direct path than with a firewall', () => {
    const direct = layoutTopology(snapshotOf(path.join(SCENARIOS, 'postcard.yaml')));
    const firewall = layoutTopology(snapshotOf(path.join(SCENARIOS, 'pix-mailguard.yaml')));
    expect(direct.height).toBeLessThan(firewall.height);
    // Wider than tall or nearly so: it fits a side panel's height at about its own size.
    expect(direct.height / direct.width).toBeLessThan(0.8);
  });

  it('an alternate path ends on its own host, a firewall path has an outside and an inside link', () => {
    const l = layoutTopology(snapshotOf(path.join(SCENARIOS, 'alternate-path.yaml')));
    const secure = l.orgs.find((o) => o.id === 'ntsol')!.hosts.find((h) => h.name === 'secure.ntsol.example')!;
    expect(inside(l.links.find((x) => x.point === 'intellinet-ntsol@secure.ntsol.example')!.to, secure)).toBe(true);
    expect(l.links.filter((x) => x.path === 'intellinet-ntsol').map((x) => x.side)).toEqual(['outside', 'inside']);
  });
});

describe('link words', () => {
  const base = { conn: 'c1', rewritten: [], labTime: 0, end: 'closed' as const, message: 'm1' };
  it.each([
    [{ ...base, protection: 'clear' as const, leak: true }, 'leak', 'clear · m1', 'canaries leaked'],
    [{ ...base, protection: 'clear' as const, leak: false }, 'clear', 'clear · m1', 'no canary seen'],
    [{ ...base, protection: 'tls' as const, leak: false, tls: { protocol: 'TLSv1.3', verified: true } }, 'tls', 'STARTTLS TLSv1.3 · m1', 'cert verified'],
    [{ ...base, protection: 'sealed' as const, leak: false, ntlm: { keyBits: 40 } }, 'sealed', 'NTLM sealed · m1', '40-bit keys'],
    [{ ...base, protection: 'sealed' as const, leak: false, ntlm: { keyBits: 128 }, end: 'broken' as const, reason: 'lost connection' }, 'bad', 'NTLM sealed · m1', 'broke off · 128-bit keys'],
    [{ ...base, protection: 'clear' as const, leak: false, tlsFailed: true as const, end: 'broken' as const, reason: 'Cannot start TLS: handshake failure' }, 'bad', 'STARTTLS failed · m1', 'broke off · no canary seen'],
    [{ ...base, protection: 'clear' as const, leak: false, end: 'refused' as const }, 'bad', 'clear · m1', 'refused · no canary seen'],
  ])('%#', (last, tone, headline, detail) => {
    const w = linkWords({ point: 'p', path: 'p', sessions: 1, last }, 'p');
    expect([w.tone, w.headline, w.detail]).toEqual([tone, headline, detail]);
    // The badge fits the room the layout keeps for it (240 wide, as checked above), message m12 too.
    expect(badgeWidth(w.headline.replace('m1', 'm12'), w.detail)).toBeLessThanOrEqual(240);
    expect(w.sentence).toContain('Open in the packet view');
  });
  it('no session yet', () => expect(linkWords(undefined, 'a ↔ b').sentence).toBe('a ↔ b: no session yet'));
});
