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
  /** Where a middlebox's rewrite mark sits: on the link, near the box. */
  mark?: { x: number; y: number };
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
/**
 * Vertical room between two organisations: two link segments and a middlebox between them, or one
 * direct link with its badge (44 high) and room either side for the replay's envelope. The picture
 * is kept as short as that allows, so at the height of a 1024×700 window or a projector it fits on
 * screen at about its own size, both organisations and the path in view (docs/ui.md, "Topology").
 */
const SPAN_MIDDLE = 300;
const SPAN_DIRECT = 190;
const STS_W = 250;
const STS_GAP = 12;

const isScanner = (o: OrgView) => o.id.startsWith('scanner@');

/** An organisation's box, its hosts side by side (links leave from a host's top or bottom). */
function orgBox(o: OrgView, cx: number, cy: number, stsBelow = false): OrgBox {
  const n = Math.max(o.hosts.length, 1);
  const w = n * HOST_W + (n - 1) * HOST_GAP + 2 * ORG_PAD;
  const h = ORG_HEAD + HOST_H + ORG_PAD;
  // The MTA-STS host stands to the right (the pair centred together), or under the organisation
  // when it stands low on an ellipse, where nothing runs below it and the picture stays narrow.
  const x = cx - (o.mtaSts && !stsBelow ? w + STS_W + STS_GAP : w) / 2;
  const y = cy - h / 2;
  const hosts = o.hosts.map((host, i) => ({
    id: `host:${host.name}`, org: o.id, name: host.name, address: host.address,
    x: x + ORG_PAD + i * (HOST_W + HOST_GAP), y: y + ORG_HEAD, w: HOST_W, h: HOST_H,
  }));
  const sts = !o.mtaSts ? {}
    : stsBelow ? { mtaSts: { name: o.mtaSts, x: x + (w - STS_W) / 2, y: y + h + STS_GAP, w: STS_W, h: 30 } }
    : { mtaSts: { name: o.mtaSts, x: x + w + STS_GAP, y: y + ORG_HEAD + 7, w: STS_W, h: 30 } };
  return { id: o.id, domain: o.domain, profile: o.profile, x, y, w, h, hosts, ...sts };
}

/** Where a line towards `toward` leaves a box: the middle of the side that faces it. */
function port(b: Box, toward: { x: number; y: number }): { x: number; y: number } {
  const cx = b.x + b.w / 2;
  const cy = b.y + b.h / 2;
  if (Math.abs(toward.y - cy) * b.w >= Math.abs(toward.x - cx) * b.h) return { x: cx, y: toward.y > cy ? b.y + b.h : b.y };
  return { x: toward.x > cx ? b.x + b.w : b.x, y: cy };
}

type Point = { x: number; y: number };

const centre = (b: Box): Point => ({ x: b.x + b.w / 2, y: b.y + b.h / 2 });
const halfway = (a: Point, b: Point): Point => ({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
const within = (p: Point, b: Box) => p.x >= b.x && p.x <= b.x + b.w && p.y >= b.y && p.y <= b.y + b.h;

/** Where the straight line from `outside` to `inside` (a point in `box`) first meets the box; `inside` itself if `outside` is in it too. */
function entry(outside: Point, inside: Point, box: Box): Point {
  if (within(outside, box)) return inside;
  let [lo, hi] = [0, 1];
  for (let i = 0; i < 24; i++) {
    const t = (lo + hi) / 2;
    if (within({ x: outside.x + (inside.x - outside.x) * t, y: outside.y + (inside.y - outside.y) * t }, box)) hi = t;
    else lo = t;
  }
  return { x: outside.x + (inside.x - outside.x) * hi, y: outside.y + (inside.y - outside.y) * hi };
}

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
  // Each organisation's width (with its MTA-STS host beside it, where it stands beside), widest first.
  const widths = orgViews.map((o) => Math.max(1, o.hosts.length) * (HOST_W + HOST_GAP) - HOST_GAP + 2 * ORG_PAD + (o.mtaSts && n <= 2 ? STS_W + STS_GAP : 0)).sort((x, y) => y - x);
  const widest = widths[0] ?? HOST_W + 2 * ORG_PAD;
  const orgH = ORG_HEAD + HOST_H + ORG_PAD;
  const span = snapshot.paths.some((p) => p.via !== 'direct') ? SPAN_MIDDLE : SPAN_DIRECT;
  // Two organisations stand one above the other, the paths running down between them (the
  // picture stays narrow, so it reads at the size of a side panel); more stand on an ellipse.
  const width = n <= 2 ? Math.max(widest + 40, lanes * LANE + 60, 560) : Math.max(1100, widest * 2 + 200);
  const height = n <= 2 ? span + 2 * orgH + 40 : 760;
  const cx = width / 2;
  const cy = height / 2;
  // On an ellipse, the second organisation stands at `second` radians from the centre.
  const second = Math.PI / 2 - (2 * Math.PI) / n;
  // Side by side on an ellipse, two organisations leave room for a link's badge between them.
  const apart = n <= 2 ? 0 : (widths[0] + widths[1]) / 2 + 2 * (BADGE_HALF_W + MARGIN);
  // Only as wide as that room needs: a wider ellipse makes a wider picture, and the picture scales
  // to the tab's width, so its words would shrink (mta-sts-enforce's were 7 px at 1024×700).
  const rx = n <= 2 ? 0 : apart / (2 * Math.max(0.5, Math.abs(Math.cos(second))));
  // Above one another, the first two are `span` apart (the room a link's badge and a middlebox
  // need), however many there are.
  const ry = n <= 2 ? span / 2 + orgH / 2 : Math.min(height / 2 - orgH / 2 - 20, (span + orgH) / (1 - Math.sin(second)));
  const orgs = orgViews.map((o, i) => {
    const angle = Math.PI / 2 - (2 * Math.PI * i) / n;
    return orgBox(o, cx + rx * Math.cos(angle), cy - ry * Math.sin(angle), n > 2 && Math.sin(angle) < 0);
  });
  const orgById = new Map(orgs.map((o) => [o.id, o]));

  const middles: MiddleNode[] = [];
  const links: LinkGeometry[] = [];
  /** What shows of each straight link (between the boxes it joins): where its badge may stand. */
  const shownOf = new Map<LinkGeometry, [Point, Point]>();
  for (const list of byPair.values()) {
    const a0 = orgById.get(list[0].between[0]);
    const b0 = orgById.get(list[0].between[1]);
    if (!a0 || !b0) continue;
    // Lanes spread across the line between the two organisations (perpendicular to it: side by
    // side when they stand one above the other), in the order of the hosts each path joins, so
    // that a path to the right-hand host takes the right-hand lane and no two lanes cross.
    const [ca, cb] = [centre(a0), centre(b0)];
    const across = { x: -(cb.y - ca.y), y: cb.x - ca.x };
    const norm = Math.hypot(across.x, across.y) || 1;
    const side = { x: across.x / norm, y: across.y / norm };
    const ends = list.map((p) => {
      const src = hostFor(orgById.get(p.between[0]) ?? a0);
      const dst = hostFor(orgById.get(p.between[1]) ?? b0, p.to);
      const pa = port(src, centre(dst));
      const pb = port(dst, centre(src));
      const chord = halfway(pa, pb);
      return { p, pa, pb, chord, at: chord.x * side.x + chord.y * side.y };
    });
    ends.sort((x, y) => x.at - y.at).forEach(({ p, pa, pb, chord }, k) => {
      const a = orgById.get(p.between[0]) ?? a0;
      const b = orgById.get(p.between[1]) ?? b0;
      const off = (k - (list.length - 1) / 2) * LANE;
      const mx = chord.x + side.x * off;
      const my = chord.y + side.y * off;
      if (p.via === 'direct') {
        const point = p.points[0];
        const via = { x: 2 * mx - chord.x, y: 2 * my - chord.y };
        // A straight link's badge sits in the middle of what shows of it, between the two boxes.
        const shown: [Point, Point] = [entry(pb, pa, a), entry(pa, pb, b)];
        const link: LinkGeometry = { point: point.id, path: p.id, from: pa, to: pb, via, mid: off === 0 ? halfway(...shown) : { x: mx, y: my }, label: point.label };
        links.push(link);
        if (off === 0) shownOf.set(link, shown);
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
      // Each segment's badge sits on what shows of it: from the box to where the line meets the
      // organisation's box (the last stretch to the host runs under it); its rewrite mark at the
      // box's end, where the box changed the bytes.
      const segment = (point: { id: string; label: string }, side: 'outside' | 'inside', from: Point, to: Point, shown: [Point, Point], boxEnd: Point) => {
        const link: LinkGeometry = {
          point: point.id, path: p.id, label: point.label, side, from, to, via: halfway(from, to),
          mid: halfway(...shown), mark: toward(boxEnd, boxEnd === from ? to : from, MARK_GAP),
        };
        links.push(link);
        shownOf.set(link, shown);
      };
      segment(sent, 'outside', pa, boxIn, [entry(boxIn, pa, a), boxIn], boxIn);
      segment(wire, 'inside', boxOut, pb, [boxOut, entry(boxOut, pb, b)], boxOut);
    });
  }
  placeBadges(links, shownOf, [...orgs, ...orgs.flatMap((o) => (o.mtaSts ? [o.mtaSts] : [])), ...middles.map(withSideLabels)]);
  return n <= 2 ? { width, height, orgs, middles, links } : cropped({ width, height, orgs, middles, links });
}

/** How far from a middlebox its rewrite mark stands, along the link. */
const MARK_GAP = 24;
const MARK_HALF_W = 48;
const MARK_HALF_H = 11;

/** The point `d` units from `a` towards `b`. */
function toward(a: Point, b: Point, d: number): Point {
  const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
  return { x: a.x + ((b.x - a.x) * d) / len, y: a.y + ((b.y - a.y) * d) / len };
}

const badgeAt = (p: Point): Box => ({ x: p.x - BADGE_HALF_W, y: p.y - BADGE_HALF_H, w: 2 * BADGE_HALF_W, h: 2 * BADGE_HALF_H });
const overlaps = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
const withSideLabels = (m: MiddleNode): Box => ({ ...m, w: m.w + (m.kind === 'firewall' ? SIDE_LABEL_W : 0) });

/**
 * Moves a straight link's badge along what shows of it until it lies on no box, no rewrite mark
 * and no badge already placed (links that leave one host for two firewalls run close together
 * near the host): the middle first, then further out on either side; failing that, beside the
 * link instead of on it, its near edge a few units from the line. A link with no free place keeps
 * the middle.
 */
function placeBadges(links: LinkGeometry[], shownOf: Map<LinkGeometry, [Point, Point]>, boxes: Box[]): void {
  const marks: Box[] = links.flatMap((l) => (l.mark ? [{ x: l.mark.x - MARK_HALF_W, y: l.mark.y - MARK_HALF_H, w: 2 * MARK_HALF_W, h: 2 * MARK_HALF_H }] : []));
  const placed: Box[] = links.filter((l) => !shownOf.has(l)).map((l) => badgeAt(l.mid));
  for (const l of links) {
    const shown = shownOf.get(l);
    if (!shown) continue;
    const [a, b] = shown;
    const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    const n = { x: -(b.y - a.y) / len, y: (b.x - a.x) / len };
    const beside = Math.abs(n.x) * (BADGE_HALF_W + 6) + Math.abs(n.y) * (BADGE_HALF_H + 6);
    const fractions = [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8];
    const candidates = [0, beside, -beside].flatMap((d) => fractions.map((f) => ({ x: a.x + (b.x - a.x) * f + n.x * d, y: a.y + (b.y - a.y) * f + n.y * d })));
    const free = candidates.find((at) => ![...boxes, ...marks, ...placed].some((box) => overlaps(badgeAt(at), box)));
    if (free) l.mid = free;
    placed.push(badgeAt(l.mid));
  }
}

/**
 * A link badge's width for its words: the headline is 14 px bold, the detail 13 px (styles.css),
 * about 8.8 and 7 px a character in the widest sans-serif fonts the app meets (DejaVu Sans on
 * Linux), after the padlock's 30 px.
 */
export function badgeWidth(headline: string, detail: string): number {
  return Math.ceil(30 + Math.max(headline.length * 8.8, detail.length * 7) + 10);
}

/**
 * Room around the drawing, and what a badge or a firewall's side labels take beyond their anchor:
 * the layout keeps room for the widest badge the link words make (`STARTTLS TLSv1.3 · m12` over
 * `broke off · no canary seen`: about 230), whatever the link says now, so nothing moves as it changes.
 */
const MARGIN = 20;
const BADGE_HALF_W = 120;
const BADGE_HALF_H = 22;
const SIDE_LABEL_W = 70;

/**
 * The picture cut to what it draws (an ellipse's canvas is mostly empty): every coordinate moved
 * so the drawing starts at MARGIN, and the picture's size that of the drawing. The picture scales
 * to its box, so what is cut away is room for the organisations to be drawn larger.
 */
function cropped(l: Layout): Layout {
  const boxes: Box[] = [
    ...l.orgs, ...l.orgs.flatMap((o) => (o.mtaSts ? [o.mtaSts] : [])),
    ...l.middles.map(withSideLabels),
    ...l.links.map((k) => badgeAt(k.mid)),
    ...l.links.flatMap((k) => [0, 0.25, 0.5, 0.75, 1].map((f) => ({ ...along(k, f), w: 0, h: 0 }))),
  ];
  const x0 = Math.min(...boxes.map((b) => b.x)) - MARGIN;
  const y0 = Math.min(...boxes.map((b) => b.y)) - MARGIN;
  const x1 = Math.max(...boxes.map((b) => b.x + b.w)) + MARGIN;
  const y1 = Math.max(...boxes.map((b) => b.y + b.h)) + MARGIN;
  const p = (q: Point): Point => ({ x: q.x - x0, y: q.y - y0 });
  const box = <B extends Box>(b: B): B => ({ ...b, x: b.x - x0, y: b.y - y0 });
  return {
    width: x1 - x0,
    height: y1 - y0,
    orgs: l.orgs.map((o) => ({ ...box(o), hosts: o.hosts.map(box), ...(o.mtaSts ? { mtaSts: box(o.mtaSts) } : {}) })),
    middles: l.middles.map(box),
    links: l.links.map((k) => ({ ...k, from: p(k.from), to: p(k.to), via: p(k.via), mid: p(k.mid), ...(k.mark ? { mark: p(k.mark) } : {}) })),
  };
}

/** A point `f` of the way along a link (0 at the client's side), on its curve. */
export function along(l: Pick<LinkGeometry, 'from' | 'to' | 'via'>, f: number): { x: number; y: number } {
  const u = 1 - f;
  return {
    x: u * u * l.from.x + 2 * u * f * l.via.x + f * f * l.to.x,
    y: u * u * l.from.y + 2 * u * f * l.via.y + f * f * l.to.y,
  };
}
