/**
 * The display filter: parse (filter-syntax.ts), check names and values against the field table,
 * compile to a predicate over one packet's fields.
 *
 * Semantics follow Wireshark 4: a comparison needs the field to be present; a field with several
 * values (ip.addr, tcp.port, each line of a multi-line reply) matches when any value does, except
 * `!=`, which needs every value to differ ("all not equal"); string comparisons and `contains`
 * are case-sensitive, `matches` is a case-insensitive regular expression. A protocol name alone
 * tests presence; `frame contains` searches the whole frame, `<proto> contains` its payload.
 */
import { RE2JS } from 're2js';
import type { FieldDef, FieldValue } from './dissect/types.ts';
import { fieldTable } from './dissect/registry.ts';
import type { Ast, FilterError, Literal, RelOp } from './filter-syntax.ts';
import { lex, parseTokens } from './filter-syntax.ts';

export type { FilterError } from './filter-syntax.ts';

/** What the evaluator asks of a packet. */
export interface FilterSubject {
  /** Every value of a field in this packet (empty when absent). */
  values(name: string): readonly FieldValue[];
  /** Whether a protocol layer is present. */
  has(layer: string): boolean;
  /** Bytes a protocol covers, for `contains` and `matches` on a protocol name. */
  bytes(layer: string): Buffer | undefined;
  /** Optional fast path for `<protocol> contains`: the same answer as searching `bytes(layer)`. */
  includes?(layer: string, needle: Buffer): boolean;
  /** Optional fast path: `values(name).some(test)` without building the array. */
  some?(name: string, test: (v: FieldValue) => boolean): boolean;
}

export interface CompiledFilter {
  text: string;
  /** True when the filter is empty and matches everything. */
  all: boolean;
  match(subject: FilterSubject): boolean;
}

export type FilterResult = { ok: true; filter: CompiledFilter } | { ok: false; error: FilterError };

type Pred = (s: FilterSubject) => boolean;
type ValueTest = (v: FieldValue) => boolean;

class CompileError {
  constructor(readonly error: FilterError) {}
}

const fail = (message: string, position: number): never => {
  throw new CompileError({ message, position });
};

function ipv4ToInt(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function parseNumber(lit: Literal, def: FieldDef): number {
  const t = lit.text.trim();
  let n: number;
  if (def.type === 'boolean') {
    const l = t.toLowerCase();
    if (l === 'true' || l === '1') return 1;
    if (l === 'false' || l === '0') return 0;
    return fail(`"${lit.text}" is not a valid boolean (use 1, 0, true or false).`, lit.pos);
  }
  if (/^-?0x[0-9a-f]+$/i.test(t)) n = parseInt(t, 16);
  else if (/^-?\d+(\.\d+)?$/.test(t)) n = Number(t);
  else return fail(`"${lit.text}" is not a valid number for ${def.name}.`, lit.pos);
  return n;
}

/** A byte-string literal: "text" or aa:bb:cc (also aa-bb or aa.bb, as Wireshark accepts). */
function parseBytes(lit: Literal): Buffer {
  if (lit.quoted) return Buffer.from(lit.text, 'utf8');
  if (/^[0-9a-f]{2}([:.-][0-9a-f]{2})*$/i.test(lit.text)) return Buffer.from(lit.text.replace(/[:.-]/g, ''), 'hex');
  return fail(`"${lit.text}" is not a valid byte string (quote text, or write bytes as aa:bb:cc).`, lit.pos);
}

function toBuffer(v: FieldValue): Buffer {
  return Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8');
}

function compareWith(op: RelOp, cmp: number): boolean {
  switch (op) {
    case '==': return cmp === 0;
    case '!=': return cmp !== 0;
    case '<': return cmp < 0;
    case '<=': return cmp <= 0;
    case '>': return cmp > 0;
    case '>=': return cmp >= 0;
    default: {
      const never: never = op;
      return never;
    }
  }
}

/** A test of one value against a literal, typed by the field. `op` is never `!=` here. */
function valueTest(def: FieldDef, op: RelOp, lit: Literal): ValueTest {
  switch (def.type) {
    case 'number':
    case 'boolean': {
      const want = parseNumber(lit, def);
      return (v) => compareWith(op, (typeof v === 'boolean' ? Number(v) : Number(v)) - want);
    }
    case 'ipv4': {
      const [addr, bits] = lit.text.split('/');
      const want = ipv4ToInt(addr);
      const prefix = bits === undefined ? 32 : Number(bits);
      if (want === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return fail(`"${lit.text}" is not a valid IPv4 address or network.`, lit.pos);
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      if (bits !== undefined && op !== '==') return fail('A network (a.b.c.d/n) can only be tested with "==" or "!=".', lit.pos);
      return (v) => {
        const got = ipv4ToInt(String(v));
        if (got === undefined) return false;
        if (bits !== undefined) return ((got & mask) >>> 0) === ((want & mask) >>> 0);
        return compareWith(op, got - want);
      };
    }
    case 'bytes': {
      const want = parseBytes(lit);
      if (op !== '==') return fail(`${def.name} holds bytes; only "==", "!=", "contains" and "matches" apply.`, lit.pos);
      return (v) => toBuffer(v).equals(want);
    }
    case 'string': {
      const want = lit.text;
      return (v) => {
        const got = Buffer.isBuffer(v) ? v.toString('latin1') : String(v);
        return compareWith(op, got < want ? -1 : got > want ? 1 : 0);
      };
    }
    case 'none':
      return fail(`"${def.name}" is a protocol; it cannot be compared, only tested or searched with "contains".`, lit.pos);
    default: {
      const never: never = def.type;
      return never;
    }
  }
}

/**
 * Field names are taken from the table (`def.name`), not from the filter text: the table's strings
 * are the dissectors' own literals, so the per-packet lookups compare them by identity.
 */
function compile(ast: Ast, table: ReadonlyMap<string, FieldDef>): Pred {
  switch (ast.kind) {
    case 'or': {
      const l = compile(ast.left, table);
      const r = compile(ast.right, table);
      return (s) => l(s) || r(s);
    }
    case 'and': {
      const l = compile(ast.left, table);
      const r = compile(ast.right, table);
      return (s) => l(s) && r(s);
    }
    case 'not': {
      const e = compile(ast.expr, table);
      return (s) => !e(s);
    }
    case 'exists': {
      const def = table.get(ast.name)!;
      const name = def.name;
      return def.type === 'none' ? (s) => s.has(name) : (s) => s.values(name).length > 0;
    }
    case 'compare': {
      const def = table.get(ast.name)!;
      const name = def.name;
      if (ast.op === '!=') {
        const eq = valueTest(def, '==', ast.value);
        return (s) => {
          const vs = s.values(name);
          return vs.length > 0 && vs.every((v) => !eq(v));
        };
      }
      const test = valueTest(def, ast.op, ast.value);
      return (s) => (s.some ? s.some(name, test) : s.values(name).some(test));
    }
    case 'in': {
      const def = table.get(ast.name)!;
      const name = def.name;
      const tests = ast.values.map((v) => valueTest(def, '==', v));
      return (s) => s.values(name).some((v) => tests.some((t) => t(v)));
    }
    case 'contains':
    case 'matches': {
      const def = table.get(ast.name)!;
      const name = def.name;
      if (def.type === 'number' || def.type === 'boolean' || def.type === 'ipv4') {
        return fail(`"${ast.kind}" needs a text or byte field; ${name} is a ${def.type === 'ipv4' ? 'an address' : def.type}.`, ast.value.pos);
      }
      let test: (b: Buffer) => boolean;
      let needle: Buffer | undefined;
      if (ast.kind === 'contains') {
        const n = def.type === 'string' && !ast.value.quoted ? Buffer.from(ast.value.text, 'utf8') : parseBytes(ast.value);
        needle = n;
        test = (b) => b.includes(n);
      } else {
        if (!ast.value.quoted) return fail('"matches" needs a quoted regular expression.', ast.value.pos);
        // A linear-time engine (RE2's design, in JavaScript): a filter is user input, and a
        // backtracking engine would let `^(a+)+$` freeze the thread that also serves SMTP.
        // RE2 syntax is PCRE's without backreferences and look-around (docs/packet-view.md).
        let re: RE2JS;
        try {
          re = RE2JS.compile(ast.value.text, RE2JS.CASE_INSENSITIVE);
        } catch (e) {
          return fail(`Invalid regular expression: ${e instanceof Error ? e.message.replace(/^error parsing regexp: /, '') : String(e)}`, ast.value.pos);
        }
        test = (b) => re.matcher(b.toString('latin1')).find();
      }
      if (def.type === 'none') {
        if (needle) {
          const n = needle;
          return (s) => s.has(name) && (s.includes ? s.includes(name, n) : (s.bytes(name)?.includes(n) ?? false));
        }
        return (s) => {
          const b = s.has(name) ? s.bytes(name) : undefined;
          return b !== undefined && test(b);
        };
      }
      return (s) => s.values(name).some((v) => test(toBuffer(v)));
    }
    default: {
      const never: never = ast;
      return never;
    }
  }
}

/** Parse and compile a display filter. Never throws. */
export function parseFilter(text: string, table: ReadonlyMap<string, FieldDef> = fieldTable): FilterResult {
  if (text.trim() === '') return { ok: true, filter: { text, all: true, match: () => true } };
  const lexed = lex(text);
  if (!lexed.ok) return lexed;
  const parsed = parseTokens(lexed.tokens, (name) => table.has(name));
  if (!parsed.ok) return parsed;
  try {
    const pred = compile(parsed.ast, table);
    return { ok: true, filter: { text, all: false, match: pred } };
  } catch (e) {
    if (e instanceof CompileError) return { ok: false, error: e.error };
    return { ok: false, error: { message: 'The filter could not be compiled.', position: 0 } };
  }
}
