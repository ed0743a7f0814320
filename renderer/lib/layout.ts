/**
 * Lays out the topology picture for any lab (the shipped scenarios and a user's own): pure, so a
 * test can run it on every scenario's snapshot.
 *
 *   two organisations one above the other (more: on an ellipse), their hosts side by side;
 *   each path between a pair gets its own lane, offset across the line between the two:
 *
 *          ┌ intellinet.example ───────┐
 *          │ [mail.intellinet…]        │
 *          └──────┬──────────────┬─────┘
 *            sent │              │ direct (to secure.…)
 *           ┌─────┴────┐         │
 *           │ firewall │         │
 *           └─────┬────┘         │
 *            wire │              │
 *          ┌──────┴──────────────┴─────┐
 *          │ [mail.ntsol…] [secure.…]  │
 *          └ ntsol.example ────────────┘
 *
 * A link is one capture point: a direct path is one link, a firewall or scanner path two (one on
 * each side of the box). Coordinates are in the SVG's own units; the picture scales to its box.
 */
import type { LabSnapshot, OrgView, PathView } from '../../app/api/contract.ts';

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface HostNode extends Box {
  id: string;
  org: string;
  name: string;
  address: string;
}

export interface OrgBox extends Box {
  id: string;
  domain: string;
  profile: string;
  hosts: HostNode[];
  /** The MTA-STS policy host drawn under the organisation. */
  mtaSts?: Box & { name: string };
}

export interface MiddleNode extends Box {
  id: string;
  path: string;
  kind: 'firewall' | 'scanner';
  label: string;
  sub: string;
}

export interface LinkGeometry {
  point: string;
  path: string;
  /** From the client's side to the server's side, as the path's first organisation sends. */
  from: { x: number; y: number };
  to: { x: number; y: number };
  /** A control point: a curved lane when several paths join one pair. */
  via: { x: number; y: number };
  /** Where the state badge sits. */
  mid: { x: number; y: number };
  label: string;
  /** `inside`: the link between a firewall and the server it protects. */
  side?: 'outside' | 'inside';
}

export interface Layout {
  width: number;
  height: number;
  orgs: OrgBox[];
  middles: MiddleNode[];
  links: LinkGeometry[];
}

const HOST_W = 224;
const HOST_H = 44;
const HOST_GAP = 10;
const ORG_PAD = 12;
const ORG_HEAD = 44;
const LANE = 240;
const MIDDLE_W = 170;
const MIDDLE_H = 62;
/** Vertical room between two organisations: two link segments and a middlebox. */
const SPAN = 320;
const STS_W = 250;
const STS_GAP = 12;

const isScanner = (o: OrgView) => o.id.startsWith('scanner@');

/** An organisation's box, its hosts side by side (links leave from a host's top or bottom). */
function orgBox(o: OrgView, cx: number, cy: number): OrgBox {
  const n = Math.max(o.hosts.length, 1);
  const w = n * HOST_W + (n - 1) * HOST_GAP + 2 * ORG_PAD;
  const h = ORG_HEAD + HOST_H + ORG_PAD;
  // The MTA-STS host stands to the right: the pair is centred together.
  const x = cx - (o.mtaSts ? w + STS_W + STS_GAP : w) / 2;
  const y = cy - h / 2;
  const hosts = o.hosts.map((host, i) => ({
    id: `host:${host.name}`, org: o.id, name: host.name, address: host.address,
    x: x + ORG_PAD + i * (HOST_W + HOST_GAP), y: y + ORG_HEAD, w: HOST_W, h: HOST_H,
  }));
  const sts = o.mtaSts ? { mtaSts: { name: o.mtaSts, x: x + w + STS_GAP, y: y + ORG_HEAD + 7, w: STS_W, h: 30 } } : {};
  return { id: o.id, domain: o.domain, profile: o.profile, x, y, w, h, hosts, ...sts };
}

/** Where a line towards `toward` leaves a box: the middle of the side that faces it. */
function port(b: Box, toward: { x: number; y: number }): { x: number; y: number } {
  const cx = b.x + b.w / 2;
  const cy = b.y + b.h / 2;
  if (Math.abs(toward.y - cy) * b.w >= Math.abs(toward.x - cx) * b.h) return { x: cx, y: toward.y > cy ? b.y + b.h : b.y };
  return { x: toward.x > cx ? b.x + b.w : b.x, y: cy };
}

const centre = (b: Box) => ({ x: b.x + b.w / 2, y: b.y + b.h / 2 });

function hostFor(org: OrgBox, name?: string): HostNode {
  return org.hosts.find((h) => name && h.name.toLowerCase() === name.toLowerCase()) ?? org.hosts[0];
}

export function layoutTopology(snapshot: Pick<LabSnapshot, 'orgs' | 'paths'>): Layout {
  const orgViews = snapshot.orgs.filter((o) => !isScanner(o));
  const n = Math.max(orgViews.length, 1);
  const byPair = new Map<string, PathView[]>();
  for (const p of snapshot.paths) {
    const key = [...p.between].sort().join('|');
    byPair.set(key, [...(byPair.get(key) ?? []), p]);
  }
  const lanes = Math.max(1, ...[...byPair.values()].map((l) => l.length));
  const widest = Math.max(HOST_W + 2 * ORG_PAD, ...orgViews.map((o) => o.hosts.length * (HOST_W + HOST_GAP) + 2 * ORG_PAD + (o.mtaSts ? STS_W + STS_GAP : 0)));
  const orgH = ORG_HEAD + HOST_H + ORG_PAD;
  // Two organisations stand one above the other, the paths running down between them (the
  // picture stays narrow, so it reads at the size of a side panel); more stand on an ellipse.
  const width = n <= 2 ? Math.max(widest + 40, lanes * LANE + 60, 560) : Math.max(1100, widest * 2 + 200);
  const height = n <= 2 ? SPAN + 2 * orgH + 40 : 760;
  const cx = width / 2;
  const cy = height / 2;
  const rx = n <= 2 ? 0 : width / 2 - widest / 2 - 20;
  const ry = n <= 2 ? SPAN / 2 + orgH / 2 : height / 2 - orgH / 2 - 20;
  const orgs = orgViews.map((o, i) => {
    const angle = Math.PI / 2 - (2 * Math.PI * i) / n;
    return orgBox(o, cx + rx * Math.cos(angle), cy - ry * Math.sin(angle));
  });
  const orgById = new Map(orgs.map((o) => [o.id, o]));

  const middles: MiddleNode[] = [];
  const links: LinkGeometry[] = [];
  for (const list of byPair.values()) {
    list.forEach((p, k) => {
      const a = orgById.get(p.between[0]);
      const b = orgById.get(p.between[1]);
      if (!a || !b) return;
      const src = hostFor(a);
      const dst = hostFor(b, p.to);
      const pa = port(src, centre(dst));
      const pb = port(dst, centre(src));
      // Lanes spread across the line between the two ends (perpendicular offset).
      const dx = pb.x - pa.x;
      const dy = pb.y - pa.y;
      const len = Math.hypot(dx, dy) || 1;
      const off = (k - (list.length - 1) / 2) * LANE;
      const mx = (pa.x + pb.x) / 2 + (-dy / len) * off;
      const my = (pa.y + pb.y) / 2 + (dx / len) * off;
      if (p.via === 'direct') {
        const point = p.points[0];
        const via = { x: 2 * mx - (pa.x + pb.x) / 2, y: 2 * my - (pa.y + pb.y) / 2 };
        links.push({ point: point.id, path: p.id, from: pa, to: pb, via, mid: { x: mx, y: my }, label: point.label });
        return;
      }
      const box: MiddleNode = {
        id: `middle:${p.id}`, path: p.id, kind: p.via === 'firewall' ? 'firewall' : 'scanner',
        label: p.via === 'firewall' ? 'Firewall' : 'Content scanner',
        sub: p.via === 'firewall' ? (p.firewall ?? 'pass') : (snapshot.orgs.find((o) => o.id === `scanner@${p.id}`)?.hosts[0]?.name ?? 'relay'),
        x: mx - MIDDLE_W / 2, y: my - MIDDLE_H / 2, w: MIDDLE_W, h: MIDDLE_H,
      };
      middles.push(box);
      const boxIn = port(box, pa);
      const boxOut = port(box, pb);
      // Each side of the box is drawn as one link: the Internet's side carries the wire point
      // (what an eavesdropper taps), the other side the sender's or the receiver's own capture.
      const sideOf = (side: 'before' | 'after', fallback: PathView['points'][number]) => {
        const here = p.points.filter((pt) => pt.side === side);
        return here.find((pt) => pt.roles.includes('wire')) ?? here[0] ?? fallback;
      };
      const [sent, wire] = [sideOf('before', p.points[0]), sideOf('after', p.points[1] ?? p.points[0])];
      const seg = (from: { x: number; y: number }, to: { x: number; y: number }) => ({ from, to, via: { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 }, mid: { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 } });
      links.push({ point: sent.id, path: p.id, label: sent.label, side: 'outside', ...seg(pa, boxIn) });
      links.push({ point: wire.id, path: p.id, label: wire.label, side: 'inside', ...seg(boxOut, pb) });
    });
  }
  return { width, height, orgs, middles, links };
}

/** A point `f` of the way along a link (0 at the client's side), on its curve. */
export function along(l: Pick<LinkGeometry, 'from' | 'to' | 'via'>, f: number): { x: number; y: number } {
  const u = 1 - f;
  return {
    x: u * u * l.from.x + 2 * u * f * l.via.x + f * f * l.to.x,
    y: u * u * l.from.y + 2 * u * f * l.via.y + f * f * l.to.y,
  };
}
