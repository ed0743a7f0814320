#!/usr/bin/env node
// The Electron audit: @doyensec/electronegativity over the built app (out/), failing on any
// high-severity finding, on a scan of zero files, or on a file the scanner could not parse.
//
//   node scripts/audit-electron.mjs [--no-build] [--keep]
//     --no-build  scan out/ as it is (default: build the app first, as `npm start` does)
//     --keep      keep the scanned copy (its path is printed)
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

/**
 * Read the findings from electronegativity's result table (stdout). Its CSV file is not used: the
 * tool writes the CSV header and the rows with two unordered asynchronous writes, so the header
 * sometimes lands on top of the first row. Each finding is a row `│ CHECK_ID │ file │ line:col │ …`
 * followed, a line or two below, by `│ SEVERITY | CONFIDENCE │`.
 */
export function parseTable(stdout) {
  const cells = (line) => line.split('│').slice(1, -1).map((c) => c.trim());
  const lines = stdout.replace(/\x1b\[[0-9;]*m/g, '').split(/\r?\n/).filter((l) => l.trimStart().startsWith('│'));
  const findings = [];
  for (const line of lines) {
    const [first, file, location, description] = cells(line);
    if (/^[A-Z0-9_]+_CHECK$/.test(first ?? '')) {
      findings.push({ issue: first, severity: '', confidence: '', file, location, description, review: false });
      continue;
    }
    const current = findings.at(-1);
    if (!current) continue;
    if (first === '*Review Required*') current.review = true;
    const level = /^(CRITICAL|HIGH|MEDIUM|LOW|INFORMATIONAL) \| (\w+)$/.exec(first ?? '');
    if (level && !current.severity) [, current.severity, current.confidence] = level;
  }
  return findings;
}

/** The verdict on one scan: what to print and how to exit. */
export function judge({ scanned, findings, output }) {
  const unparsed = [...output.matchAll(/Error parsing (\S+)/g)].map((m) => m[1]);
  const high = findings.filter((f) => f.severity === 'HIGH' || f.severity === 'CRITICAL');
  const unread = findings.filter((f) => !f.severity);
  const lines = [`electronegativity: ${scanned.length} file(s) scanned, ${findings.length} finding(s), ${high.length} high`];
  for (const f of findings) lines.push(`  ${(f.severity || '?').padEnd(8)} ${f.issue} ${f.file}:${f.location} ${f.description}${f.review ? ' (review required)' : ''}`);
  for (const file of unparsed) lines.push(`  NOT SCANNED ${file} (the scanner could not parse it)`);
  if (scanned.length === 0) return { code: 2, lines: [...lines, 'audit failed: nothing to scan (is out/ built?)'] };
  if (unread.length > 0) return { code: 2, lines: [...lines, `audit failed: no severity read for ${unread.map((f) => f.issue).join(', ')}`] };
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
  try {
    const scanned = await prepareCopy(outDir, copy);
    let output = '';
    if (scanned.length > 0) {
      const bin = path.join(root, 'node_modules', '@doyensec', 'electronegativity', 'dist', 'index.js');
      try {
        const r = await promisify(execFile)(process.execPath, [bin, '-i', copy, '-r', '-e', ELECTRON, '-v', 'false'], { cwd: work, maxBuffer: 64 * 1024 * 1024 });
        output = `${r.stdout}\n${r.stderr}`;
      } catch (error) {
        console.error(`audit failed: electronegativity did not run: ${error.message}`);
        return 2;
      }
      if (!/Starting scan/.test(output)) {
        console.error('audit failed: electronegativity printed no scan');
        return 2;
      }
    }
    const findings = parseTable(output);
    const verdict = judge({ scanned, findings, output });
    for (const line of verdict.lines) (verdict.code === 0 ? console.log : console.error)(line);
    if (argv.includes('--keep')) console.log(`kept: ${copy}`);
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
