/**
 * The engine's layers (docs/architecture.md, "Layers"): the table in eslint/layers.js has no
 * cycle, every folder of app/ is in it, the tree's imports (type-only ones included) follow it,
 * lint is wired to reject an import against it, and the doc's folder graph is the table drawn.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { LAYERS, drawLayers, folderOf, layerRanks, layerViolation } from '../eslint/layers.js';

const root = path.resolve(import.meta.dirname, '..');
const app = path.join(root, 'app');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import, re-export and dynamic import of every app/ file, as folder → folder. */
function importEdges(): { file: string; spec: string; from: string; to: string }[] {
  const out: { file: string; spec: string; from: string; to: string }[] = [];
  for (const file of sources(app)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.\.?\/[^'"]+)['"]/g)) {
      const to = folderOf(path.resolve(path.dirname(file), m[1]));
      const from = folderOf(file);
      if (to !== undefined && from !== undefined && to !== from) out.push({ file: path.relative(root, file), spec: m[1], from, to });
    }
  }
  return out;
}

/** A cycle in a graph given as node → successors, or undefined. */
function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const walk = (node: string, trail: string[]): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...trail.slice(trail.indexOf(node)), node];
    state.set(node, 'open');
    for (const next of graph.get(node) ?? []) {
      const cycle = walk(next, [...trail, node]);
      if (cycle) return cycle;
    }
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = walk(node, []);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('layers', () => {
  it('the layer table has no cycle and names only its own layers', () => {
    const graph = new Map(Object.entries(LAYERS).map(([name, l]) => [name, new Set(l.uses)]));
    expect(findCycle(graph)).toBeUndefined();
    for (const [name, l] of Object.entries(LAYERS)) {
      for (const u of l.uses) expect(Object.keys(LAYERS), `${name} uses ${u}`).toContain(u);
    }
    expect(layerRanks().at(-1)).toEqual({ name: 'base', rank: 0 });
    expect(LAYERS.base.uses).toEqual([]);
  });

  it('finds a cycle when there is one (the checker can fail)', () => {
    const graph = new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])]]);
    expect(findCycle(graph)).toEqual(['a', 'b', 'c', 'a']);
    expect(layerViolation('base', 'lab')).toMatch(/would be a cycle/);
    expect(layerViolation('lab', 'base')).toBeUndefined();
  });

  it('every folder of app/ is a layer, and app/ has no loose files', () => {
    for (const e of fs.readdirSync(app, { withFileTypes: true })) {
      expect(e.isDirectory(), `app/${e.name} must live in a layer folder`).toBe(true);
      expect(Object.keys(LAYERS), `app/${e.name}/ is missing from eslint/layers.js`).toContain(e.name);
    }
  });

  it("the tree's imports follow the table, so the folder graph has no cycle", () => {
    const edges = importEdges();
    expect(edges.length).toBeGreaterThan(100);
    const bad = edges.flatMap((e) => {
      const why = layerViolation(e.from, e.to);
      return why ? [`${e.file}: ${e.spec}: ${why}`] : [];
    });
    expect(bad).toEqual([]);
    const graph = new Map<string, Set<string>>();
    for (const e of edges) graph.set(e.from, (graph.get(e.from) ?? new Set()).add(e.to));
    expect(findCycle(graph)).toBeUndefined();
  });

  it('lint rejects an import against the layers, and node:* or engine code in any renderer file', async () => {
    const eslint = new ESLint({ cwd: root });
    const lint = async (code: string, filePath: string) => {
      const [result] = await eslint.lintText(code, { filePath: path.join(root, filePath) });
      return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
    };
    expect(await lint("import type { Lab } from '../lab/lab.ts';\nexport type X = Lab;\n", 'app/mta/layer-probe.ts'))
      .toEqual([expect.stringMatching(/^postcard\/layers: Bad layering: \.\.\/lab\/lab\.ts: app\/mta\/ may not import app\/lab\/ \(lab\/ imports mta\/: this would be a cycle\)/)]);
    expect(await lint("import { createRng } from '../base/rng.ts';\nexport const r = createRng(1);\n", 'app/mta/layer-probe.ts')).toEqual([]);
    expect(await lint("import fs from 'node:fs';\nexport const x = fs;\n", 'renderer/state/probe.svelte.ts'))
      .toEqual([expect.stringMatching(/no node:\* modules/)]);
    const component = [
      '<script lang="ts">',
      "  import fs from 'node:fs';",
      "  import type { LabSnapshot } from '../../app/api/contract.ts';",
      '  let snapshot: LabSnapshot | undefined = $state();',
      '  console.log(fs, snapshot);',
      '</script>',
      '<p>probe</p>',
      '',
    ].join('\n');
    expect(await lint(component, 'renderer/views/Probe.svelte')).toEqual([expect.stringMatching(/no node:\* modules/)]);
  });

  it("docs/architecture.md draws the folder graph from the table", () => {
    const doc = fs.readFileSync(path.join(root, 'docs/architecture.md'), 'utf8');
    expect(doc).toContain(`\`\`\`\n${drawLayers()}\n\`\`\``);
    for (const [name, l] of Object.entries(LAYERS)) expect(doc).toContain(`| \`${name}/\` | ${l.what} |`);
  });
});
