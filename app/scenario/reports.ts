/**
 * Run reports (docs/scenario-format.md, "Reports of postcard-lab run"): JSON (`version: 1`), JUnit XML (one `<testsuite>` per scenario, one
 * `<testcase>` per `expect` and `checkpoint`), and a self-contained HTML page for people.
 */
import type { ScenarioResult } from './run.ts';

export function jsonReport(seed: number | undefined, results: ScenarioResult[]): string {
  return `${JSON.stringify({
    version: 1,
    seed: seed ?? null,
    scenarios: results.map((r) => ({
      id: r.id, file: r.file, title: r.title, status: r.status, durationMs: r.durationMs, seed: r.seed,
      ...(r.error ? { error: r.error } : {}),
      steps: r.steps.map((s) => ({ index: s.index, kind: s.kind, status: s.status, message: s.message, name: s.name })),
    })),
  }, null, 2)}\n`;
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!)
  .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '');

export function junitReport(results: ScenarioResult[]): string {
  const suites = results.map((r) => {
    const cases = r.steps.filter((s) => s.kind === 'expect' || s.kind === 'checkpoint');
    const failures = cases.filter((s) => s.status === 'failed').length;
    const errors = (r.status === 'error' ? 1 : 0) + cases.filter((s) => s.status === 'error').length;
    const body = cases.map((s) => {
      const name = `${s.index + 1}. ${s.kind} ${s.name}`;
      const inner = s.status === 'failed' ? `<failure message="${xml(s.message)}">${xml(s.message)}</failure>`
        : s.status === 'error' ? `<error message="${xml(s.message)}">${xml(s.message)}</error>`
        : `<system-out>${xml(s.message)}</system-out>`;
      return `    <testcase classname="${xml(r.id)}" name="${xml(name)}">${inner}</testcase>`;
    });
    if (r.status === 'error' && r.error) body.push(`    <testcase classname="${xml(r.id)}" name="scenario"><error message="${xml(r.error)}">${xml(r.error)}</error></testcase>`);
    return `  <testsuite name="${xml(r.id)}" tests="${body.length}" failures="${failures}" errors="${errors}" time="${(r.durationMs / 1000).toFixed(3)}" file="${xml(r.file)}">\n${body.join('\n')}\n  </testsuite>`;
  });
  const total = (f: (r: ScenarioResult) => number) => results.reduce((n, r) => n + f(r), 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="postcard-lab" tests="${total((r) => r.steps.filter((s) => s.kind === 'expect' || s.kind === 'checkpoint').length)}" failures="${total((r) => r.steps.filter((s) => s.status === 'failed').length)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

const html = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

export function htmlReport(results: ScenarioResult[]): string {
  const rows = results.map((r) => `
  <section class="${r.status}">
    <h2>${html(r.title)} <small>${html(r.id)} · ${r.status} · ${r.durationMs} ms</small></h2>
    ${r.error ? `<p class="err">${html(r.error)}</p>` : ''}
    <ol>${r.steps.map((s) => `<li class="${s.status}"><b>${s.kind}</b> ${html(s.name)} — ${html(s.message)}</li>`).join('')}</ol>
  </section>`).join('');
  const passed = results.filter((r) => r.status === 'passed').length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Postcard Lab run: ${passed}/${results.length} passed</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}section{border-left:4px solid #2a7;padding:0 1em;margin:1em 0}
section.failed,section.error{border-color:#c33}li.failed,li.error,.err{color:#c33}small{color:#666;font-weight:normal}</style></head>
<body><h1>Postcard Lab: ${passed} passed, ${results.length - passed} failed</h1>${rows}</body></html>
`;
}
