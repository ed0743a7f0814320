// scripts/audit-electron.mjs reads electronegativity's CSV and decides; these are its verdicts.
// (The scan itself runs in .ci/run: `node scripts/audit-electron.mjs`.)
import { describe, expect, it } from 'vitest';
import { judge, parseReport } from '../../scripts/audit-electron.mjs';

const CSV = `issue, severity, confidence, filename, location, sample, description, url
CSP_GLOBAL_CHECK,"MEDIUM","CERTAIN","N/A","0:0",N/A,"No CSP has been detected, at all",https://git.io/JeuMe
CONTEXT_ISOLATION_JS_CHECK,"HIGH","FIRM","main/main.js","12:4","contextIsolation: false","Review the use of the contextIsolation option",https://git.io/Jeu1p
`;

describe('the Electron audit script', () => {
  it('reads every finding of the CSV report, quoted commas included', () => {
    expect(parseReport(CSV)).toEqual([
      { issue: 'CSP_GLOBAL_CHECK', severity: 'MEDIUM', confidence: 'CERTAIN', file: 'N/A', location: '0:0', description: 'No CSP has been detected, at all' },
      { issue: 'CONTEXT_ISOLATION_JS_CHECK', severity: 'HIGH', confidence: 'FIRM', file: 'main/main.js', location: '12:4', description: 'Review the use of the contextIsolation option' },
    ]);
  });

  it('fails on a high finding, passes with medium ones only', () => {
    const findings = parseReport(CSV);
    expect(judge({ scanned: ['main/main.js'], findings, output: '' }).code).toBe(1);
    const mediumOnly = judge({ scanned: ['main/main.js'], findings: findings.filter((f) => f.severity !== 'HIGH'), output: '' });
    expect(mediumOnly.code).toBe(0);
    expect(mediumOnly.lines[0]).toBe('electronegativity: 1 file(s) scanned, 1 finding(s), 0 high');
  });

  it('fails when nothing was scanned, or when a file could not be parsed (a silent skip is no audit)', () => {
    expect(judge({ scanned: [], findings: [], output: '' }).code).toBe(2);
    const skipped = judge({ scanned: ['main/main.js'], findings: [], output: 'Error parsing /tmp/x/main/main.js - Unknown node type ClassPrivateProperty.' });
    expect(skipped.code).toBe(1);
    expect(skipped.lines).toContain('  NOT SCANNED /tmp/x/main/main.js (the scanner could not parse it)');
  });
});
