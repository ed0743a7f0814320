/**
 * The words of a schema error a user reads (docs/scenario-format.md, "What the loader refuses"):
 * a scenario's author, a tester's CLI, the window's dialogs and the API's `invalid-payload` all
 * see the message zod builds when a schema says nothing of its own, and zod's own wording is a
 * programmer's ("Invalid input: expected string, received number", "Too small: expected array to
 * have >=2 items"). Installed once, for every schema, by app/config/schema.ts; a schema's own
 * message (`.regex(re, '…')`, `{ error: '…' }`) still comes first, as zod gives precedence to it.
 *
 *   expected text, found the number 7
 *   expected beginner, intermediate or advanced, found "expert"
 *   expected at least 2 entries, found 1
 */
import { z } from 'zod';

/** `a, b or c`: a list of choices as a sentence says it. */
export function alternatives(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** What a schema type expects, in a user's words. */
const EXPECTED: Record<string, string> = {
  string: 'text', number: 'a number', int: 'a whole number', boolean: 'true or false', array: 'a list',
  object: 'a mapping (key: value)', record: 'a mapping (key: value)', bigint: 'a whole number', date: 'a date',
};

/** A value as a message quotes it: short, and saying what kind of thing it is. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return value.length > 40 ? `the text "${value.slice(0, 37)}…"` : `the text "${value}"`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value === 'boolean' ? '' : 'the number '}${String(value)}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return 'a mapping';
}

function count(n: number | bigint, one: string, many: string): string {
  return `${n} ${Number(n) === 1 ? one : many}`;
}

/** The message for one issue, or undefined to keep zod's (a kind not listed here). */
export function schemaWords(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return issue.input === undefined ? `required: expected ${expected}` : `expected ${expected}, found ${describeValue(issue.input)}`;
    }
    case 'invalid_value':
      // A choice's name is quoted as it was written: `found "expert"`.
      return `expected ${alternatives(issue.values.map(String))}, found ${typeof issue.input === 'string' ? JSON.stringify(issue.input) : describeValue(issue.input)}`;
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = small ? issue.minimum : issue.maximum;
      const inclusive = issue.inclusive !== false;
      const input = issue.input as { length?: number } | number | undefined;
      if (issue.origin === 'array' || issue.origin === 'set') {
        const length = (input as { length?: number } | undefined)?.length;
        return `expected ${small ? 'at least' : 'at most'} ${count(bound, 'entry', 'entries')}${length === undefined ? '' : `, found ${length}`}`;
      }
      if (issue.origin === 'string') {
        if (small && Number(bound) === 1) return 'must not be empty';
        return `expected ${small ? 'at least' : 'at most'} ${count(bound, 'character', 'characters')}`;
      }
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') {
        const sign = small ? (inclusive ? '≥' : '>') : (inclusive ? '≤' : '<');
        return `expected a number ${sign} ${String(bound)}, found ${describeValue(input)}`;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

z.config({ customError: (issue) => schemaWords(issue) });
