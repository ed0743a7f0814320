// scripts/audit-electron.mjs reads electronegativity's result table and decides; these are its
// verdicts on captured output. (The scan itself runs in .ci/run: `npm run audit:electron`.)
import { describe, expect, it } from 'vitest';
import { judge, parseTable } from '../../scripts/audit-electron.mjs';

// Two findings as the tool prints them (colour codes included), the second needing review.
const TABLE = [
  'Starting scan...',
  '\x1b[90m┌──────────────────┬───────────────┬──────────┬──────────────────────┐\x1b[39m',
  '\x1b[90m│\x1b[39m\x1b[31m Check ID          \x1b[39m\x1b[90m│\x1b[39m\x1b[31m Affected File \x1b[39m\x1b[90m│\x1b[39m\x1b[31m Location \x1b[39m\x1b[90m│\x1b[39m\x1b[31m Issue Description    \x1b[39m\x1b[90m│\x1b[39m',
  '│ CSP_GLOBAL_CHECK  │ N/A           │ 0:0      │ https://git.io/JeuMe │',
  '│ MEDIUM | CERTAIN  │               │          │                      │',
  '├──────────────────┼───────────────┼──────────┼──────────────────────┤',
  '│ CONTEXT_ISOLATION_JS_CHECK │ main/main.js  │ 12:4     │ https://git.io/Jeu1p │',
  '│ *Review Required* │               │          │                      │',
  '│ HIGH | FIRM       │               │          │                      │',
  '└──────────────────┴───────────────┴──────────┴──────────────────────┘',
].join('\n');

describe('the Electron audit script', () => {
  it('reads every finding of the result table with its severity', () => {
    expect(parseTable(TABLE)).toEqual([
      { issue: 'CSP_GLOBAL_CHECK', severity: 'MEDIUM', confidence: 'CERTAIN', file: 'N/A', location: '0:0', description: 'https://git.io/JeuMe', review: false },
      { issue: 'CONTEXT_ISOLATION_JS_CHECK', severity: 'HIGH', confidence: 'FIRM', file: 'main/main.js', location: '12:4', description: 'https://git.io/Jeu1p', review: true },
    ]);
  });

  it('fails on a high finding, passes with medium ones only', () => {
    const findings = parseTable(TABLE);
    expect(judge({ scanned: ['main/main.js'], findings, output: TABLE }).code).toBe(1);
    const mediumOnly = judge({ scanned: ['main/main.js'], findings: findings.filter((f) => f.severity !== 'HIGH'), output: '' });
    expect(mediumOnly.code).toBe(0);
    expect(mediumOnly.lines[0]).toBe('electronegativity: 1 file(s) scanned, 1 finding(s), 0 high');
  });

  it('fails when nothing was scanned, a file could not be parsed, or a severity could not be read', () => {
    expect(judge({ scanned: [], findings: [], output: '' }).code).toBe(2);
    const skipped = judge({ scanned: ['main/main.js'], findings: [], output: 'Error parsing /tmp/x/main/main.js - Unknown node type ClassPrivateProperty.' });
    expect(skipped.code).toBe(1);
    expect(skipped.lines).toContain('  NOT SCANNED /tmp/x/main/main.js (the scanner could not parse it)');
    const truncated = parseTable(TABLE.split('\n').slice(0, 4).join('\n'));
    expect(judge({ scanned: ['a.js'], findings: [...truncated, { ...truncated[0], issue: 'X_CHECK', severity: '' }], output: '' }).code).toBe(2);
  });
});
