/**
 * Display-filter syntax, shaped like Wireshark's for the common cases (docs/packet-view.md):
 *
 *   expr    := and ( ("or" | "||") and )*
 *   and     := unary ( ("and" | "&&") unary )*
 *   unary   := ("not" | "!") unary | "(" expr ")" | test
 *   test    := name [ relop value | "contains" value | "matches" value | "in" "{" value+ "}" ]
 *   relop   := "==" | "eq" | "!=" | "ne" | "<" | "lt" | "<=" | "le" | ">" | "gt" | ">=" | "ge"
 *   value   := "quoted string" | bare word (number, 192.0.2.25, 192.0.2.0/24, aa:bb:cc, MAIL)
 *
 * The lexer and parser never throw: a mistake is `{ ok: false, error: { message, position } }`
 * with the 0-based character position of the offending token.
 */

export interface FilterError {
  message: string;
  position: number;
}

export type Token =
  | { kind: 'word'; text: string; pos: number }
  | { kind: 'string'; text: string; value: string; pos: number }
  | { kind: 'punct'; text: string; pos: number }
  | { kind: 'end'; text: ''; pos: number };

export type RelOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export interface Literal {
  /** Quoted strings keep their quotes off; bare words are as typed. */
  text: string;
  quoted: boolean;
  pos: number;
}

export type Ast =
  | { kind: 'or' | 'and'; left: Ast; right: Ast }
  | { kind: 'not'; expr: Ast }
  | { kind: 'exists'; name: string; pos: number }
  | { kind: 'compare'; name: string; pos: number; op: RelOp; value: Literal }
  | { kind: 'contains' | 'matches'; name: string; pos: number; value: Literal }
  | { kind: 'in'; name: string; pos: number; values: Literal[] };

type Lexed = { ok: true; tokens: Token[] } | { ok: false; error: FilterError };

const WORD = /[A-Za-z0-9_.:/\-]/;
const PUNCT = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '{', '}', ','];

export function lex(text: string): Lexed {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '"') {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) return { ok: false, error: { message: 'The string is not terminated: a closing " is missing.', position: start } };
        const ch = text[i];
        if (ch === '"') break;
        if (ch === '\\') {
          const next = text[i + 1];
          if (next === undefined) return { ok: false, error: { message: 'The string is not terminated: a closing " is missing.', position: start } };
          if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
            value += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
            i += 4;
            continue;
          }
          value += next === 'n' ? '\n' : next === 'r' ? '\r' : next === 't' ? '\t' : next;
          i += 2;
          continue;
        }
        value += ch;
        i++;
      }
      i++;
      tokens.push({ kind: 'string', text: text.slice(start, i), value, pos: start });
      continue;
    }
    const punct = PUNCT.find((p) => text.startsWith(p, i));
    if (punct) {
      tokens.push({ kind: 'punct', text: punct, pos: i });
      i += punct.length;
      continue;
    }
    if (WORD.test(c)) {
      const start = i;
      while (i < text.length && WORD.test(text[i])) i++;
      tokens.push({ kind: 'word', text: text.slice(start, i), pos: start });
      continue;
    }
    if (c === '=' ) return { ok: false, error: { message: 'A single "=" is not an operator; did you mean "=="?', position: i } };
    return { ok: false, error: { message: `"${c}" was unexpected in this context.`, position: i } };
  }
  tokens.push({ kind: 'end', text: '', pos: text.length });
  return { ok: true, tokens };
}

const RELOPS: Record<string, RelOp> = {
  '==': '==', 'eq': '==', '!=': '!=', 'ne': '!=', '<': '<', 'lt': '<', '<=': '<=', 'le': '<=', '>': '>', 'gt': '>', '>=': '>=', 'ge': '>=',
};

type Parsed = { ok: true; ast: Ast } | { ok: false; error: FilterError };

/** Deeper nesting is a typo or an attack, not a filter; stopping early also bounds the stack. */
const MAX_DEPTH = 256;
const MAX_TOKENS = 2048;

class ParseError {
  constructor(readonly error: FilterError) {}
}

/** Parse tokens into an AST. `isName` says whether a word names a field or protocol. */
export function parseTokens(tokens: Token[], isName: (name: string) => boolean): Parsed {
  // Chains of "or"/"and" compile to nested closures; bound them like the nesting.
  if (tokens.length > MAX_TOKENS) return { ok: false, error: { message: `The filter has more than ${MAX_TOKENS} parts.`, position: tokens[MAX_TOKENS].pos } };
  let i = 0;
  const peek = () => tokens[i];
  const fail = (message: string, position: number): never => {
    throw new ParseError({ message, position });
  };
  const isWord = (t: Token, ...words: string[]) => t.kind === 'word' && words.includes(t.text.toLowerCase());
  const isPunct = (t: Token, ...p: string[]) => t.kind === 'punct' && p.includes(t.text);
  const describe = (t: Token) => (t.kind === 'end' ? 'the end of the filter' : `"${t.text}"`);

  const literal = (): Literal => {
    const t = peek();
    if (t.kind === 'string') {
      i++;
      return { text: t.value, quoted: true, pos: t.pos };
    }
    if (t.kind === 'word') {
      i++;
      return { text: t.text, quoted: false, pos: t.pos };
    }
    return fail(t.kind === 'end' ? 'A value was expected after the operator, but the filter ends here.' : `A value was expected, not ${describe(t)}.`, t.pos);
  };

  const test = (): Ast => {
    const t = peek();
    if (t.kind !== 'word') {
      if (t.kind === 'end') return fail('The filter ends where a field or protocol name was expected.', t.pos);
      return fail(`${describe(t)} was unexpected here; a field or protocol name was expected.`, t.pos);
    }
    if (!isName(t.text)) return fail(`"${t.text}" is neither a field nor a protocol name.`, t.pos);
    i++;
    const name = t.text;
    const op = peek();
    const relop = op.kind === 'punct' || op.kind === 'word' ? RELOPS[op.text.toLowerCase()] : undefined;
    if (relop) {
      i++;
      return { kind: 'compare', name, pos: t.pos, op: relop, value: literal() };
    }
    if (isWord(op, 'contains', 'matches')) {
      i++;
      return { kind: op.text.toLowerCase() as 'contains' | 'matches', name, pos: t.pos, value: literal() };
    }
    if (isWord(op, 'in')) {
      i++;
      const open = peek();
      if (!isPunct(open, '{')) return fail(`"{" was expected after "in", not ${describe(open)}.`, open.pos);
      i++;
      const values: Literal[] = [];
      while (!isPunct(peek(), '}')) {
        if (peek().kind === 'end') return fail('The set is not closed: "}" is missing.', open.pos);
        values.push(literal());
        if (isPunct(peek(), ',')) i++;
      }
      if (values.length === 0) return fail('The set is empty.', open.pos);
      i++;
      return { kind: 'in', name, pos: t.pos, values };
    }
    return { kind: 'exists', name, pos: t.pos };
  };

  let depth = 0;
  const unary = (): Ast => {
    const t = peek();
    if (++depth > MAX_DEPTH) return fail(`The filter nests deeper than ${MAX_DEPTH} levels here.`, t.pos);
    try {
      return unaryAt(t);
    } finally {
      depth--;
    }
  };

  const unaryAt = (t: Token): Ast => {
    if (isWord(t, 'not') || isPunct(t, '!')) {
      i++;
      return { kind: 'not', expr: unary() };
    }
    if (isPunct(t, '(')) {
      i++;
      const inner = or();
      const close = peek();
      if (!isPunct(close, ')')) return fail(`")" was expected to close the "(" at ${t.pos}, not ${describe(close)}.`, close.pos);
      i++;
      return inner;
    }
    return test();
  };

  const and = (): Ast => {
    let left = unary();
    while (isWord(peek(), 'and') || isPunct(peek(), '&&')) {
      i++;
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };

  const or = (): Ast => {
    let left = and();
    while (isWord(peek(), 'or') || isPunct(peek(), '||')) {
      i++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };

  try {
    const ast = or();
    const rest = peek();
    if (rest.kind !== 'end') return { ok: false, error: { message: `${describe(rest)} was unexpected here; "and" or "or" was expected.`, position: rest.pos } };
    return { ok: true, ast };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: e.error };
    return { ok: false, error: { message: 'The filter could not be parsed.', position: 0 } };
  }
}
