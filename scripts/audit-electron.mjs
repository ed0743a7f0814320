#!/usr/bin/env node
// The Electron audit: @doyensec/electronegativity over the built app (out/), failing on any
// high-severity finding, on a scan of zero files, or on a file the scanner could not parse.
//
//   node scripts/audit-electron.mjs [--no-build] [--keep]
//     --no-build  scan out/ as it is (default: build the app first, as `npm start` does)
//     --keep      keep the scanned copy and the CSV report (their paths are printed)
//
// Electronegativity's scope analysis predates ES2022 classes ("Unknown node type
// ClassPrivateProperty"), so it would silently skip our bundles and only run its global checks.
// We therefore scan a copy of out/ in which each .js/.cjs file is the same bundle transpiled to
// ES2020 by esbuild (same code, private fields lowered), file for file; HTML is copied as is.
// Exit: 0 clean, 1 a high finding or a file not scanned, 2 nothing to scan or the tool failed.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ELECTRON = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).devDependencies.electron;

/** Parse electronegativity's CSV report: one finding per row after the header. */
export function parseReport(csv) {
  const rows = [];
  for (const line of csv.split(/\r?\n/).slice(1)) {
    if (!line.trim()) continue;
    const cells = [];
    const re = /("(?:[^"]|"")*"|[^,]*)(,|$)/g;
    let m;
    while ((m = re.exec(line)) && m.index < line.length) {
      cells.push(m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1].trim());
      if (m[2] === '') break;
    }
    const [issue, severity, confidence, file, location, , description] = cells;
    rows.push({ issue, severity: severity?.toUpperCase(), confidence, file, location, description });
  }
  return rows;
}

/** The verdict on one scan: what to print and how to exit. */
export function judge({ scanned, findings, output }) {
  const unparsed = [...output.matchAll(/Error parsing (\S+)/g)].map((m) => m[1]);
  const high = findings.filter((f) => f.severity === 'HIGH' || f.severity === 'CRITICAL');
  const lines = [`electronegativity: ${scanned.length} file(s) scanned, ${findings.length} finding(s), ${high.length} high`];
  for (const f of findings) lines.push(`  ${f.severity.padEnd(8)} ${f.issue} ${f.file}:${f.location} ${f.description}`);
  for (const file of unparsed) lines.push(`  NOT SCANNED ${file} (the scanner could not parse it)`);
  if (scanned.length === 0) return { code: 2, lines: [...lines, 'audit failed: nothing to scan (is out/ built?)'] };
  if (high.length > 0 || unparsed.length > 0) return { code: 1, lines: [...lines, 'audit failed'] };
  return { code: 0, lines: [...lines, 'audit passed: no high-severity finding'] };
}

function listFiles(dir, base = dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(full, base) : [path.relative(base, full)];
  });
}

/** Copy the scannable files of `outDir` into `copy`, JavaScript lowered to ES2020. */
async function prepareCopy(outDir, copy) {
  const esbuild = await import('esbuild');
  const scanned = [];
  for (const rel of listFiles(outDir)) {
    const ext = path.extname(rel);
    if (!['.js', '.cjs', '.mjs', '.html'].includes(ext)) continue;
    const target = path.join(copy, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const text = fs.readFileSync(path.join(outDir, rel), 'utf8');
    if (ext === '.html') fs.writeFileSync(target, text);
    else {
      const format = ext === '.cjs' ? 'cjs' : 'esm';
      fs.writeFileSync(target, (await esbuild.transform(text, { target: 'es2020', format, loader: 'js', sourcefile: rel })).code);
    }
    scanned.push(rel);
  }
  return scanned;
}

async function main(argv) {
  if (!argv.includes('--no-build')) {
    const { buildApp } = await import('./start.mjs');
    await buildApp(root);
  }
  const outDir = path.join(root, 'out');
  if (!fs.existsSync(outDir)) {
    console.error('audit failed: out/ does not exist; run `npm run build` or drop --no-build');
    return 2;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-audit-'));
  const copy = path.join(work, 'out');
  const report = path.join(work, 'report.csv');
  try {
    const scanned = await prepareCopy(outDir, copy);
    let output = '';
    if (scanned.length > 0) {
      const bin = path.join(root, 'node_modules', '@doyensec', 'electronegativity', 'dist', 'index.js');
      try {
        const r = await promisify(execFile)(process.execPath, [bin, '-i', copy, '-r', '-e', ELECTRON, '-v', 'false', '-o', report], { cwd: work, maxBuffer: 64 * 1024 * 1024 });
        output = `${r.stdout}\n${r.stderr}`;
      } catch (error) {
        console.error(`audit failed: electronegativity did not run: ${error.message}`);
        return 2;
      }
      if (!fs.existsSync(report)) {
        console.error('audit failed: electronegativity wrote no report');
        return 2;
      }
    }
    const findings = scanned.length > 0 ? parseReport(fs.readFileSync(report, 'utf8')) : [];
    const verdict = judge({ scanned, findings, output });
    for (const line of verdict.lines) (verdict.code === 0 ? console.log : console.error)(line);
    if (argv.includes('--keep')) console.log(`kept: ${copy} and ${report}`);
    return verdict.code;
  } finally {
    if (!argv.includes('--keep')) fs.rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (error) => {
    console.error(`audit failed: ${error.message}`);
    process.exit(2);
  });
}
