/**
 * The grid run for real: every firewall profile × every method, towards a receiver that requires
 * HELO and one that does not, each cell a lab of its own; every cell must agree with its
 * expectation, and — checked on the results themselves — no fail-closed cell ever leaked.
 * The CLI runs a shard of a small grid in worker processes and writes all three reports.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { fileURLToPath } from 'node:url';
import { defaultAxes, gridCells } from '../../app/grid/axes.ts';
import { runGrid } from '../../app/grid/run.ts';
import { maxJobs, runCells } from '../../app/grid/pool.ts';
import { execFile } from 'node:child_process';
import { BIN, cli } from '../helpers/cli.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postcard-grid-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('grid', () => {
  it('8 firewalls × 6 methods × 2 receivers: every cell as expected, fail-closed never leaks', async () => {
    const axes = { ...defaultAxes(), senders: ['exchange-5.5' as const], receivers: ['exchange-2019' as const, 'postfix' as const] };
    const { results, summary } = await runGrid({ axes, jobs: 0, concurrency: 6, timeout: '1s' });
    expect(summary.cells).toBe(96);
    expect(results.filter((r) => !r.agrees).map((r) => `${r.id}: ${r.mismatch} (${r.reason})`)).toEqual([]);
    const failClosed = results.filter((r) => ['ntlm', 'ntlm-128', 'encrypt', 'verify'].includes(r.cell.method));
    expect(failClosed.filter((r) => r.leaked).map((r) => r.id)).toEqual([]);
    // Every outcome the grid can show appears.
    expect(new Set(results.map((r) => (r.leaked ? 'leaked' : r.outcome)))).toEqual(new Set(['delivered', 'deferred', 'bounced', 'leaked']));
    const bounced = results.find((r) => r.outcome === 'bounced')!;
    expect(bounced.cell).toMatchObject({ firewall: 'pix-5.1', receiver: 'exchange-2019' });
    expect(bounced.transcript).toContain('<- 503');
  }, 300_000);

  it('to an Exchange 5.5 receiver, only the IMS sends AUTH NTLM unoffered (KB Q262945): the rule agrees with real runs', async () => {
    const axes = { senders: ['exchange-5.5' as const, 'postfix' as const], receivers: ['exchange-5.5' as const], firewalls: ['pass', 'rewrite'], methods: ['ntlm' as const, 'ntlm-128' as const] };
    const { results, summary } = await runGrid({ axes, jobs: 0, concurrency: 4, timeout: '1s' });
    expect(summary.cells).toBe(8);
    expect(results.filter((r) => !r.agrees).map((r) => `${r.id}: ${r.mismatch} (${r.reason})`)).toEqual([]);
    for (const r of results) {
      expect(r.leaked, r.id).toBe(false);
      expect(r.outcome, r.id).toBe(r.cell.sender === 'exchange-5.5' ? 'delivered' : 'deferred');
      if (r.cell.sender !== 'exchange-5.5') expect(r.reason, r.id).toContain('NTLM authentication is required, but was not offered');
    }
  }, 300_000);

  it('CLI: a shard in worker processes, CSV/JSON/HTML reports, a progress bar, captures and transcripts per cell', async () => {
    const csv = path.join(dir, 'g.csv'), json = path.join(dir, 'g.json'), html = path.join(dir, 'g.html'), exp = path.join(dir, 'cells');
    const r = await cli('grid', '--senders', 'postfix', '--receivers', 'generic', '--firewalls', 'asa,strip-starttls', '--methods', 'none,may,encrypt',
      '--shard', '1/2', '--jobs', '2', '--concurrency', '2', '--csv', csv, '--json', json, '--html', html, '--export', exp);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^3 cells in [\d.]+ s \([\d.]+ cells\/s\)/m);
    expect(r.out).toContain('3 as expected, 0 not');
    expect(r.err).toMatch(/\[#+\] 3\/3 cells/);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as { version: number; cells: { id: string; cell: { index: number }; pcap: string }[]; summary: { cells: number } };
    expect(report.version).toBe(1);
    expect(report.cells.map((c) => c.cell.index)).toEqual([0, 2, 4]);
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\r\n');
    expect(lines[0]).toMatch(/^sender,receiver,firewall,method,outcome,leaked/);
    expect(lines).toHaveLength(4);
    for (const c of report.cells) {
      expect(fs.existsSync(path.join(exp, c.pcap))).toBe(true);
      expect(fs.readFileSync(path.join(exp, `${c.id}.txt`), 'utf8')).toContain('## as the sender saw it');
    }
    expect(fs.readFileSync(html, 'utf8')).toContain('<h1>Compatibility grid: 3 of 3 cells as expected</h1>');
  }, 120_000);

  it('CLI: runs its worker processes from any folder, not only the project\'s (tsx resolved from the package)', async () => {
    const elsewhere = fs.mkdtempSync(path.join(dir, 'elsewhere-'));
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      execFile(process.execPath, [BIN, 'grid', '--senders', 'postfix', '--receivers', 'postfix', '--firewalls', 'pass', '--methods', 'none', '--jobs', '1'],
        { cwd: elsewhere, timeout: 60_000 }, (error, out, err) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, out, err }));
    });
    expect(r.err).not.toContain('ERR_MODULE_NOT_FOUND');
    expect(r, r.err).toMatchObject({ code: 0, out: expect.stringContaining('1 as expected, 0 not') });
  }, 90_000);

  it('a worker that crashes is reported in one line, naming the error and where it was thrown, with the cells it left', async () => {
    const cells = gridCells({ senders: ['postfix'], receivers: ['postfix'], firewalls: ['pass'], methods: ['none', 'encrypt'] });
    const crashing = fileURLToPath(new URL('./fixtures/crashing-worker.ts', import.meta.url));
    await expect(runCells(cells, { jobs: 1, concurrency: 1, seed: 1, timeout: '1s', certCache: path.join(dir, 'certs') }, crashing)).rejects.toThrow(
      /^a grid worker exited \(code 70\) with 2 of 2 cells left: TypeError: boom in a callback \(at explode \(.*crashing-worker\.ts:\d+:\d+\)\)$/,
    );
  });

  it('CLI: bad input is exit 2 naming the flag', async () => {
    expect(await cli('grid', '--firewalls', 'pix-9')).toMatchObject({ code: 2, err: expect.stringMatching(/--firewalls: unknown "pix-9"/) });
    expect(await cli('grid', '--shard', '3/2')).toMatchObject({ code: 2, err: expect.stringMatching(/--shard takes I\/N/) });
    expect(await cli('grid', '--firewall-config', path.join(dir, 'missing.cfg'))).toMatchObject({ code: 2, err: expect.stringMatching(/cannot read/) });
    // A timeout Node's timers cannot hold fired after 1 ms, and 0 timed every cell out: both refused up front.
    expect(await cli('grid', '--timeout', '99999999999w')).toMatchObject({ code: 2, err: expect.stringMatching(/^postcard-lab grid: --timeout takes a duration such as 2s: at most 24d .*, not "99999999999w"$/m) });
    expect(await cli('grid', '--timeout', '0s')).toMatchObject({ code: 2, err: expect.stringMatching(/^postcard-lab grid: --timeout takes a duration such as 2s: must be more than 0, not "0s"$/m) });
    // Hundreds of worker processes, or of labs in flight, would take the machine down before they ran faster.
    expect(await cli('grid', '--jobs', '1000')).toMatchObject({ code: 2, err: expect.stringMatching(new RegExp(`^postcard-lab grid: --jobs takes 0 \\(in this process\\) to ${maxJobs()} \\(a worker per core\\), not 1000$`, 'm')) });
    expect(await cli('grid', '--concurrency', '100000')).toMatchObject({ code: 2, err: expect.stringMatching(/^postcard-lab grid: --concurrency takes 1 to 32 cells in flight per worker, not 100000$/m) });
  });

  it('CLI: report and export paths are checked before any cell runs; an export folder that cannot be made leaves no temporary folder', async () => {
    const folder = fs.mkdtempSync(path.join(dir, 'adir-')), file = path.join(dir, 'afile');
    fs.writeFileSync(file, 'x');
    const one = ['--senders', 'postfix', '--receivers', 'postfix', '--firewalls', 'pass', '--methods', 'none', '--jobs', '0'];
    const csv = await cli('grid', ...one, '--csv', folder);
    expect([csv.code, csv.err.split('\n')[0], csv.out]).toEqual([2, `postcard-lab grid: --csv: ${folder} is a folder; give a file name`, '']);
    const json = await cli('grid', ...one, '--json', path.join(file, 'g.json'));
    expect([json.code, json.err.split('\n')[0], json.out]).toEqual([2, `postcard-lab grid: --json: ${file} is a file, not a folder`, '']);
    const exp = await cli('grid', ...one, '--export', file);
    expect([exp.code, exp.err.split('\n')[0], exp.out]).toEqual([2, `postcard-lab grid: --export: ${file} is a file, not a folder`, '']);
    // runGrid itself (the app's grid too): the export folder first, so a failure there makes no certificate cache.
    const made = vi.spyOn(fs, 'mkdtempSync');
    try {
      await expect(runGrid({ axes: { senders: ['postfix'], receivers: ['postfix'], firewalls: ['pass'], methods: ['none'] }, jobs: 0, exportDir: file })).rejects.toThrow(/EEXIST|ENOTDIR/);
      expect(made).not.toHaveBeenCalled();
    } finally {
      made.mockRestore();
    }
  });
});
