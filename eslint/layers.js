// The engine's layers (docs/architecture.md, "Layers"): which folder of app/ may import which.
// One table, read by three readers: the `postcard/layers` lint rule below (an import against it
// is a lint error, type-only imports included), test/layers.test.ts (the table has no cycle, the
// tree follows it, the rule is wired) and the folder graph in docs/architecture.md (checked by
// that test to be this table, drawn).
//
// Listed imports are direct ones; a folder never lists a folder that lists it back, so a cycle
// is a lint error. A new folder must be added here before anything in it may import the engine.
import path from 'node:path';

/** @type {Record<string, { uses: string[], what: string }>} */
export const LAYERS = {
  base: { uses: [], what: 'kernel: virtual clock, seeded rng, real-time timers, atomic workspace, emitter, errors' },
  smtp: { uses: ['base'], what: 'SMTP vocabulary: the reply catalogue, the wire grammar' },
  ntlm: { uses: ['base'], what: 'NTLM (MS-NLMP): md4, rc4, messages, keys, seal, SASL layer' },
  tls: { uses: ['base', 'smtp'], what: 'lab PKI, TLS levels and verification, DANE, MTA-STS, TLS-RPT' },
  capture: { uses: ['base', 'smtp', 'ntlm', 'tls'], what: 'taps, packets, dissectors, display filter, leaks, pcapng' },
  path: { uses: ['base', 'smtp', 'ntlm', 'capture'], what: 'recording relay, middlebox pipeline, stages, firewall profiles' },
  products: { uses: ['base', 'smtp', 'ntlm', 'tls'], what: 'one module per mail product: dialect, replies, schedule, vocabulary' },
  config: { uses: ['base', 'smtp', 'tls', 'path', 'products'], what: 'lab configuration: the immutable input (orgs, security, paths, actions)' },
  mta: { uses: ['base', 'smtp', 'ntlm', 'tls', 'capture', 'products', 'config'], what: 'mail servers: inbound, outbound client, queue, plans, bounces' },
  lab: { uses: ['base', 'smtp', 'ntlm', 'tls', 'capture', 'path', 'products', 'config', 'mta'], what: 'composition root: createLab, DNS, delivery, actions, exports' },
  policy: { uses: ['base', 'products', 'config'], what: "security tables in each product's words" },
  observe: { uses: ['base', 'smtp', 'capture', 'path', 'config', 'mta', 'lab'], what: 'what the lab saw: link states, replay timeline, firewall view, server logs' },
  terminal: { uses: ['base', 'smtp', 'capture', 'path', 'lab'], what: 'the terminal: a raw TCP session the engine owns' },
  scenario: { uses: ['base', 'smtp', 'capture', 'config', 'mta', 'lab'], what: 'scenario files: schema, load, run, expect, reports' },
  grid: { uses: ['base', 'path', 'products', 'config', 'mta', 'lab'], what: 'compatibility grid: axes, expectations from the policy rules, cells, worker pool, reports' },
  infer: { uses: ['base', 'smtp', 'ntlm', 'path', 'config', 'scenario'], what: 'captures to a scenario: pcap/pcapng reader, TCP streams, SMTP dialogues, the box inferred' },
  api: { uses: ['base', 'smtp', 'tls', 'capture', 'products', 'config', 'mta', 'lab', 'policy', 'scenario', 'observe', 'terminal', 'grid'], what: 'the contract, handlers, session, views' },
  bridge: { uses: ['base', 'capture', 'api'], what: 'the browser front-end: HTTP + WebSocket on 127.0.0.1' },
  classroom: { uses: ['base', 'api', 'bridge'], what: 'a class: one ApiSession and lab per seat, the board, three socket doors' },
  bench: { uses: ['base', 'smtp', 'ntlm', 'tls', 'capture', 'path', 'config', 'mta', 'lab', 'scenario', 'classroom', 'grid'], what: '`postcard-lab bench`: ratios, not times' },
  cli: { uses: ['base', 'tls', 'products', 'config', 'lab', 'policy', 'scenario', 'api', 'bench', 'bridge', 'classroom', 'grid', 'infer'], what: 'postcard-lab commands' },
};

const APP = path.resolve(import.meta.dirname, '..', 'app');

/** The app/ folder a file belongs to (`mta` for app/mta/outbound/client.ts), '' for app/ itself, undefined outside app/. */
export function folderOf(file) {
  const rel = path.relative(APP, path.resolve(file));
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const parts = rel.split(path.sep);
  return parts.length > 1 ? parts[0] : '';
}

/** Why `from` may not import `to`, or undefined when it may. */
export function layerViolation(from, to) {
  if (from === to) return undefined;
  if (!(from in LAYERS)) return `app/${from || '.'} is not a layer: add it to eslint/layers.js`;
  if (!(to in LAYERS)) return `app/${to || '.'} is not a layer: add it to eslint/layers.js`;
  if (LAYERS[from].uses.includes(to)) return undefined;
  const back = LAYERS[to].uses.includes(from) ? ` (${to}/ imports ${from}/: this would be a cycle)` : '';
  return `app/${from}/ may not import app/${to}/${back}; ${from}/ may import: ${LAYERS[from].uses.join(', ') || 'nothing of ours'}`;
}

/** Layers from the top (imports most) to base; within a rank, in table order. */
export function layerRanks() {
  const rank = {};
  const visit = (name, seen = []) => {
    if (seen.includes(name)) throw new Error(`layer cycle: ${[...seen, name].join(' -> ')}`);
    if (rank[name] === undefined) rank[name] = 1 + Math.max(-1, ...LAYERS[name].uses.map((u) => visit(u, [...seen, name])));
    return rank[name];
  };
  for (const name of Object.keys(LAYERS)) visit(name);
  return Object.keys(LAYERS).sort((a, b) => rank[b] - rank[a]).map((name) => ({ name, rank: rank[name] }));
}

/** The folder graph as docs/architecture.md shows it, one layer a line, top first. */
export function drawLayers() {
  const ranks = layerRanks();
  const width = Math.max(...ranks.map((r) => r.name.length));
  return ranks.map(({ name }) => `${name.padEnd(width)}  ─► ${LAYERS[name].uses.slice().reverse().join(' ') || '(nothing of ours)'}`).join('\n');
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports between app/ folders follow the layer table in eslint/layers.js.' },
    schema: [],
  },
  create(context) {
    const from = folderOf(context.filename);
    if (from === undefined) return {};
    const check = (source) => {
      if (!source || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const to = folderOf(path.resolve(path.dirname(context.filename), source.value));
      if (to === undefined) return;
      const why = layerViolation(from, to);
      if (why) context.report({ node: source, message: `Bad layering: ${source.value}: ${why} (docs/architecture.md, "Layers").` });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};

export const layersPlugin = { rules: { layers: rule } };
