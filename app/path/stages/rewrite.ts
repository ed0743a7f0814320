/**
 * `rewrite`: a firewall described by data, so a tester can reproduce the box in front of their own
 * server (docs/stages.md). Rules apply to each text line of the SMTP session — commands, AUTH lines,
 * message content, reply lines — in the directions they name, in order:
 *
 *   rules:
 *     - { dir: s2c, match: "250-STARTTLS", replace: "250-XXXXXXXA" }
 *     - { dir: c2s, match: { regex: "^XEXCH50" , flags: "i" }, action: drop }
 *     - { dir: c2s, match: "RCPT TO:<ceo@", action: close }
 *
 * A rule matches the line without its terminator, which is kept. `replace` rewrites every match
 * (a regex replacement may use `$1`); `drop` removes the whole line; `close` drops it and resets
 * the connection (or closes it politely, `how: fin`). Lines are framed like the other SMTP stages,
 * so a match never depends on how the bytes were segmented; after STARTTLS nothing is readable.
 */
import { z } from 'zod';
import type { Direction } from '../../capture/tap.ts';
import { bodyOf } from './lines.ts';
import { smtpStage } from './smtp-stage.ts';
import type { Verdict } from './smtp-stage.ts';
import { appliesTo, defineStage, directionSchema } from './stage.ts';

const regexSchema = z.strictObject({
  regex: z.string().min(1),
  flags: z.string().regex(/^[imsu]*$/, 'flags from i, m, s, u (g is implied)').default(''),
}).refine((r) => compiles(r.regex, r.flags), { message: 'not a valid regular expression', path: ['regex'] });

const ruleSchema = z.strictObject({
  dir: directionSchema.default('both'),
  match: z.union([z.string().min(1), regexSchema]),
  action: z.enum(['replace', 'drop', 'close']).default('replace'),
  replace: z.string().default(''),
  how: z.enum(['fin', 'reset']).default('reset'),
});

const schema = z.strictObject({ rules: z.array(ruleSchema).default([]) });

type Rule = z.output<typeof ruleSchema>;

function compiles(source: string, flags: string): boolean {
  try {
    new RegExp(source, flags);
    return true;
  } catch {
    return false;
  }
}

interface CompiledRule {
  rule: Rule;
  index: number;
  test(text: string): boolean;
  apply(text: string): string;
}

function compile(rule: Rule, index: number): CompiledRule {
  if (typeof rule.match === 'string') {
    const needle = rule.match;
    return { rule, index, test: (t) => t.includes(needle), apply: (t) => t.split(needle).join(rule.replace) };
  }
  const once = new RegExp(rule.match.regex, rule.match.flags);
  const all = new RegExp(rule.match.regex, `${rule.match.flags}g`);
  return { rule, index, test: (t) => once.test(t), apply: (t) => t.replace(all, rule.replace) };
}

type LineOutcome = { bytes: Buffer; notes: string[]; close?: { how: 'fin' | 'reset'; reason: string } };

/** Run the rules for `dir` over one line. */
function rewriteLine(rules: CompiledRule[], dir: Direction, line: Buffer): LineOutcome {
  const bodyLength = bodyOf(line).length;
  let text = line.subarray(0, bodyLength).toString('latin1');
  const notes: string[] = [];
  for (const r of rules) {
    if (!appliesTo(r.rule.dir, dir) || !r.test(text)) continue;
    if (r.rule.action === 'drop') return { bytes: Buffer.alloc(0), notes: [...notes, `rule ${r.index + 1}: line dropped`] };
    if (r.rule.action === 'close') {
      const reason = `rewrite: rule ${r.index + 1} closed the connection`;
      return { bytes: Buffer.alloc(0), notes: [...notes, reason], close: { how: r.rule.how, reason } };
    }
    text = r.apply(text);
    notes.push(`rule ${r.index + 1}: replaced`);
  }
  return { bytes: Buffer.concat([Buffer.from(text, 'latin1'), line.subarray(bodyLength)]), notes };
}

function verdictOf(outcomes: LineOutcome[]): Verdict | undefined {
  const notes = outcomes.flatMap((o) => o.notes);
  if (notes.length === 0) return undefined;
  const close = outcomes.find((o) => o.close)?.close;
  const bytes = close ? Buffer.alloc(0) : Buffer.concat(outcomes.map((o) => o.bytes));
  return close ? { bytes, close, note: notes.join('; ') } : { bytes, note: notes.join('; ') };
}

export const rewrite = defineStage({
  name: 'rewrite',
  summary: 'data-configured rules per direction: replace, drop a line, or close',
  schema,
  create(config) {
    const rules = config.rules.map(compile);
    const lineVerdict = (dir: Direction, bytes: Buffer, whole: boolean): Verdict | undefined =>
      whole ? verdictOf([rewriteLine(rules, dir, bytes)]) : undefined;
    return smtpStage('rewrite', {
      command: (unit) => lineVerdict('c2s', unit.bytes, unit.start && unit.complete),
      content: (unit) => lineVerdict('c2s', unit.bytes, unit.start && unit.complete),
      reply: (unit) => verdictOf(unit.lines.map((line) => rewriteLine(rules, 's2c', line))),
    });
  },
});
