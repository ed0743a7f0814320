/**
 * Run reports (docs/cli.md, "`postcard-lab run`", "Reports"): JSON (`version: 1`), JUnit XML (one `<testsuite>` per scenario, one
 * `<testcase>` per `expect` and `checkpoint`), and a self-contained HTML page for people.
 */
import type { ScenarioResult, StepResult } from './run.ts';
import { formatError } from './load.ts';

export interface RunFacts {
  /** The signal that interrupted the run (`SIGINT`, `SIGTERM`); the scenarios after it are `skipped`. */
  interrupted?: string;
}

/**
 * How the run went, in the words of the closing line and the HTML title: `N passed, N failed`,
 * then what else there is (`, N invalid`, `, N not run`, `, N incomplete`). A scenario in error
 * counts as failed; one whose file did not load as invalid.
 */
export function runCounts(results: readonly ReportedScenario[]): string {
  const count = (test: (r: ReportedScenario) => boolean) => results.filter(test).length;
  const extra = [
    [count((r) => r.invalid !== undefined), 'invalid'],
    [count((r) => r.status === 'skipped'), 'not run'],
    [count((r) => r.status === 'incomplete'), 'incomplete'],
  ] as const;
  return [`${count((r) => r.status === 'passed')} passed`, `${count((r) => (r.status === 'failed' || r.status === 'error') && !r.invalid)} failed`,
    ...extra.filter(([n]) => n > 0).map(([n, word]) => `${n} ${word}`)].join(', ');
}

/** What the run's `--firewall-config` did to this scenario, in a sentence; undefined when the run had none. */
export function firewallNote(r: ReportedScenario): string | undefined {
  const fc = r.firewallConfig;
  if (!fc) return undefined;
  return fc.applied ? `--firewall-config ${fc.file}: applied to every firewall path` : `--firewall-config ${fc.file}: not applied, this scenario has no firewall path (run unchanged)`;
}

export function jsonReport(seed: number | undefined, results: ScenarioResult[], facts: RunFacts = {}): string {
  return `${JSON.stringify({
    version: 1,
    seed: seed ?? null,
    ...(facts.interrupted ? { interrupted: facts.interrupted } : {}),
    scenarios: results.map((r) => ({
      id: r.id, file: r.file, title: r.title, status: r.status, durationMs: r.durationMs, seed: r.seed,
      ...(r.error ? { error: r.error } : {}),
      ...(r.invalid ? { invalid: r.invalid.map((e) => ({ line: e.line, column: e.column, path: e.path, message: e.message, text: formatError(e) })) } : {}),
      ...(r.firewallConfig ? { firewallConfig: r.firewallConfig } : {}),
      steps: r.steps.map((s) => ({ index: s.index, kind: s.kind, status: s.status, message: s.message, name: s.name })),
    })),
  }, null, 2)}\n`;
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
  .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '');

/**
 * One `<testsuite>` per scenario, one `<testcase>` per `expect` and `checkpoint`: a failed one
 * carries `<failure>`, an error `<error>`, one never run `<skipped>`. A scenario error that no test
 * case carries (the lab would not start, an error in a `send` or `action` step, a file that did
 * not load) is one more test case, `scenario`; so is a scenario never run that has no test case of
 * its own, as `<skipped>`, so that CI counts it. The root's counts are the sums of the suites'
 * (CI summaries read the root).
 */
export function junitReport(results: ScenarioResult[]): string {
  const totals = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  const suites = results.map((r) => {
    const cases = r.steps.filter((s) => s.kind === 'expect' || s.kind === 'checkpoint');
    const testcase = (name: string, inner: string) => `    <testcase classname="${xml(r.id)}" name="${xml(name)}">${inner}</testcase>`;
    const body = cases.map((s) => testcase(`${s.index + 1}. ${s.kind} ${s.name}`, s.status === 'failed' ? `<failure message="${xml(s.message)}">${xml(s.message)}</failure>`
      : s.status === 'error' ? `<error message="${xml(s.message)}">${xml(s.message)}</error>`
      : s.status === 'skipped' ? `<skipped message="${xml(s.message)}"/>`
      : `<system-out>${xml(s.message)}</system-out>`));
    const caseError = cases.some((s) => s.status === 'error');
    // A file that did not load: the message is its first error, the text all of them, each file:line:column.
    const scenarioError = r.status === 'error' && r.error && !caseError;
    if (scenarioError) body.push(testcase('scenario', `<error message="${xml(r.error!)}">${xml(r.invalid ? r.invalid.map(formatError).join('\n') : r.error!)}</error>`));
    const scenarioSkipped = r.status === 'skipped' && cases.length === 0;
    if (scenarioSkipped) body.push(testcase('scenario', `<skipped message="${xml(r.error ?? 'not run')}"/>`));
    const counts = {
      tests: body.length,
      failures: cases.filter((s) => s.status === 'failed').length,
      errors: cases.filter((s) => s.status === 'error').length + (scenarioError ? 1 : 0),
      skipped: cases.filter((s) => s.status === 'skipped').length + (scenarioSkipped ? 1 : 0),
    };
    totals.tests += counts.tests;
    totals.failures += counts.failures;
    totals.errors += counts.errors;
    totals.skipped += counts.skipped;
    // The run's firewall configuration, as a property a CI page lists; where it was not applied, a line of output says so.
    const note = firewallNote(r);
    const properties = r.firewallConfig
      ? `    <properties><property name="firewall-config" value="${xml(r.firewallConfig.file)}"/><property name="firewall-config-applied" value="${r.firewallConfig.applied}"/></properties>\n`
      : '';
    const out = note && !r.firewallConfig!.applied ? `\n    <system-out>${xml(note)}</system-out>` : '';
    return `  <testsuite name="${xml(r.id)}" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}" time="${(r.durationMs / 1000).toFixed(3)}" file="${xml(r.file)}">\n${properties}${body.join('\n')}${out}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="postcard-lab" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" skipped="${totals.skipped}">\n${suites.join('\n')}\n</testsuites>\n`;
}

const html = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A file name as a POSIX shell word: bare when it is only safe characters, else single-quoted. */
const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * A scenario in the page: a run's result, or a lab exported from the window part way through
 * (`incomplete`: some of its steps have not run, so it has neither passed nor failed).
 */
export type ReportedScenario = Omit<ScenarioResult, 'status'> & { status: ScenarioResult['status'] | 'incomplete' };

/** A step's or a scenario's status as a mark beside its colour, never colour alone (WCAG 2.2 §1.4.1). */
const MARKS: Record<StepResult['status'] | 'incomplete', string> = { passed: '✓', failed: '✗', error: '!', skipped: '–', incomplete: '…' };

/**
 * The command that runs one scenario again as this run did: its file, its seed, the run's firewall
 * configuration where it was applied (a scenario without a firewall path alone would refuse it).
 * A file that did not load has no run to repeat: the command that checks it.
 */
export function rerunCommand(r: ReportedScenario): string {
  if (r.invalid || r.seed === null) return `postcard-lab validate ${shellWord(r.file)}`;
  return ['postcard-lab run', shellWord(r.file), '--seed', String(r.seed),
    ...(r.firewallConfig?.applied ? ['--firewall-config', shellWord(r.firewallConfig.file)] : [])].join(' ');
}

/**
 * The run for a reader, one self-contained page (no script, no remote content: its CSP allows
 * inline styles only). Failed scenarios (and files that did not load) are listed first, each with
 * its first failing step or error and the command that runs it again with the same seed (or checks
 * it); then every scenario with its file, seed and steps, a file that did not load with each of its
 * errors, and those an interrupted run never started as not run.
 */
export function htmlReport(results: ReportedScenario[], facts: RunFacts = {}): string {
  // Ids are unique among the scenarios that ran, but a file that did not load is named by its file
  // name, which may be another's id: each anchor once.
  const anchors = new Map<ReportedScenario, string>();
  for (const r of results) {
    const base = `scenario-${r.id.replace(/[^\w.-]/g, '_')}`;
    let a = base;
    for (let n = 2; [...anchors.values()].includes(a); n++) a = `${base}-${n}`;
    anchors.set(r, a);
  }
  const anchor = (r: ReportedScenario) => anchors.get(r)!;
  const failed = results.filter((r) => r.status === 'failed' || r.status === 'error');
  const incomplete = results.filter((r) => r.status === 'incomplete').length;
  const firstProblem = (r: ReportedScenario) => {
    const step = r.steps.find((s) => s.status === 'failed' || s.status === 'error');
    return step ? `step ${step.index + 1} ${step.kind} ${step.name}: ${step.message}` : r.error ?? r.status;
  };
  const summary = failed.length === 0 ? '' : `
  <nav aria-labelledby="failed-title"><h2 id="failed-title">Failed</h2><ul>${failed.map((r) => `
    <li><a href="#${anchor(r)}">${html(r.title)}</a> <code>${html(r.id)}</code>: ${html(firstProblem(r))}</li>`).join('')}
  </ul></nav>`;
  const notRun = results.filter((r) => r.status === 'skipped').length;
  const interrupted = facts.interrupted ? `
  <p class="err">The run was interrupted by ${html(facts.interrupted)}: the scenario it was running ended as an error${notRun ? `, and ${notRun === 1 ? '1 scenario was' : `${notRun} scenarios were`} not run` : ''}.</p>` : '';
  const rerun = (r: ReportedScenario) => {
    if (r.status === 'passed') return '';
    const words = r.invalid ? 'Check it' : r.status === 'incomplete' ? 'Run all of it' : r.status === 'skipped' ? 'Run it' : 'Run it again';
    return `<p class="rerun">${words}: <code>${html(rerunCommand(r))}</code></p>`;
  };
  const sections = results.map((r) => {
    const note = firewallNote(r);
    return `
  <section id="${anchor(r)}" class="${r.status}" aria-labelledby="${anchor(r)}-title">
    <h2 id="${anchor(r)}-title">${html(r.title)}</h2>
    <p class="meta"><span class="status">${MARKS[r.status]} ${r.invalid ? 'invalid' : r.status}</span> · <code>${html(r.id)}</code>${r.seed === null ? '' : `${r.status === 'skipped' ? '' : ` · ${r.durationMs} ms`} · seed ${r.seed}`} · <code>${html(r.file)}</code></p>
    ${note ? `<p class="meta">${html(note)}</p>` : ''}
    ${r.invalid ? `<ul class="err">${r.invalid.map((e) => `<li><code>${html(formatError(e))}</code></li>`).join('')}</ul>` : r.error ? `<p class="err">${html(r.error)}</p>` : ''}
    ${rerun(r)}
    <ol>${r.steps.map((s) => `<li class="${s.status}"><span class="mark" aria-hidden="true">${MARKS[s.status]}</span> <b>${s.kind}</b> ${html(s.name)} — ${html(s.message)}${s.status === 'passed' ? '' : ` <span class="word">(${s.status})</span>`}</li>`).join('')}</ol>
  </section>`;
  }).join('');
  const passed = results.filter((r) => r.status === 'passed').length;
  const counts = runCounts(results);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="color-scheme" content="light dark">
<title>Postcard Lab run: ${passed}/${results.length} passed${incomplete ? `, ${incomplete} incomplete` : ''}</title>
<style>
:root{--ink:#1d232b;--muted:#5b6573;--bg:#fff;--ok:#1b7a4a;--bad:#b42318;--code:#f1efe9}
@media (prefers-color-scheme:dark){:root{--ink:#e6e9ee;--muted:#a3adba;--bg:#11161c;--ok:#5fd39a;--bad:#ff8a80;--code:#1f2833}}
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1.5em;color:var(--ink);background:var(--bg)}
h1{font-size:1.6em}h2{font-size:1.2em;margin:.2em 0}
section{border-left:4px solid var(--ok);padding:.2em 1em;margin:1.2em 0}
section.failed,section.error{border-color:var(--bad)}section.incomplete,section.skipped{border-color:var(--muted)}
nav{border:1px solid var(--bad);border-radius:6px;padding:.4em 1em;margin:1em 0}
.meta{color:var(--muted);margin:.2em 0}.status{font-weight:600;color:var(--ok)}
section.failed .status,section.error .status,li.failed,li.error,.err{color:var(--bad)}section.incomplete .status,section.skipped .status{color:var(--muted)}
li.skipped{color:var(--muted)}.mark{display:inline-block;width:1.1em;font-weight:700}
code{background:var(--code);padding:0 .25em;border-radius:3px;overflow-wrap:anywhere}a{color:inherit}
</style></head>
<body><h1>Postcard Lab: ${counts}</h1>${interrupted}${summary}${sections}
</body></html>
`;
}
