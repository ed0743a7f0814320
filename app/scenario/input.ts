/**
 * The guards a scenario file passes before its YAML is read as data: a scenario is user input
 * (a tester's regression file, a download), so the loader fails closed, with a position, on
 *
 *   - anything but a regular file (a FIFO would block, /dev/zero would never end), or one over
 *     MAX_SCENARIO_BYTES;
 *   - bytes that are not UTF-8 (YAML 1.2 §5.2: a stream is Unicode) and control characters the
 *     YAML character set excludes (§5.1: c-printable), NUL among them;
 *   - tags other than the JSON ones (`!!binary`, `!!set`, custom `!tags`): a scenario holds plain
 *     strings, numbers, booleans, null, mappings and lists;
 *   - aliases whose anchor is not defined before them (`*x`, `<<: *x`), and alias expansions that
 *     would grow the document past MAX_ALIAS_COUNT (the "billion laughs" attack).
 */
import fs from 'node:fs';
import { isAlias, isNode, visit, type Document, type LineCounter } from 'yaml';
import type { ScenarioError } from './load.ts';

export const MAX_SCENARIO_BYTES = 1 << 20;
/** Aliases resolved while turning the document into data: far above any real scenario's use. */
export const MAX_ALIAS_COUNT = 100;

/** The core schema's tags, which JSON can hold (YAML 1.2 §10.2, §10.3). */
const PLAIN_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

type Result<T> = { ok: true; value: T } | { ok: false; error: ScenarioError };

const whole = (file: string, message: string): ScenarioError => ({ file, line: 0, column: 0, path: '(file)', message });

/** The file's text, if it is a regular UTF-8 file of sensible size. */
export function readScenarioText(file: string): Result<string> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, error: whole(file, code === 'ENOENT' ? 'no such file' : `cannot read: ${(error as Error).message}`) };
  }
  if (stat.isDirectory()) return { ok: false, error: whole(file, 'is a directory') };
  if (!stat.isFile()) return { ok: false, error: whole(file, 'is not a regular file (a scenario is a YAML file)') };
  if (stat.size > MAX_SCENARIO_BYTES) return { ok: false, error: whole(file, `is ${stat.size} bytes; a scenario may be at most ${MAX_SCENARIO_BYTES} bytes`) };
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    return { ok: false, error: whole(file, `cannot read: ${(error as Error).message}`) };
  }
  // Read again in case it grew between stat and read.
  if (bytes.length > MAX_SCENARIO_BYTES) return { ok: false, error: whole(file, `is over ${MAX_SCENARIO_BYTES} bytes; a scenario may be at most that`) };
  return decodeUtf8(bytes, file);
}

/** UTF-8 text, or the line and column of the first byte that is not UTF-8. */
export function decodeUtf8(bytes: Buffer, file: string): Result<string> {
  try {
    return { ok: true, value: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const before = bytes.subarray(0, bad).toString('utf8');
    const lines = before.split('\n');
    return {
      ok: false,
      error: {
        file, line: lines.length, column: [...lines[lines.length - 1]].length + 1, path: '(file)',
        message: `byte 0x${bytes[bad].toString(16).padStart(2, '0')} at offset ${bad} is not UTF-8 (a scenario is UTF-8 text)`,
      },
    };
  }
}

/** Offset of the first byte that starts an invalid UTF-8 sequence (RFC 3629 §4). */
function firstInvalidUtf8(b: Buffer): number {
  for (let i = 0; i < b.length;) {
    const c = b[i];
    const n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > b.length) return i;
    const valid = b.subarray(i, i + n);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(valid);
    } catch {
      return i;
    }
    i += n;
  }
  return b.length;
}

/** YAML 1.2 §5.1: C0 controls other than TAB, LF and CR, and DEL, are not printable. */
export function controlCharacterError(text: string, file: string): ScenarioError | undefined {
  const m = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.exec(text);
  if (!m) return undefined;
  const lines = text.slice(0, m.index).split('\n');
  const code = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
  return { file, line: lines.length, column: lines[lines.length - 1].length + 1, path: '(file)', message: `control character U+${code} is not allowed in a scenario` };
}

/** Tags beyond JSON's and aliases without an anchor, each where it stands. */
export function documentErrors(doc: Document, counter: LineCounter, file: string): ScenarioError[] {
  const errors: ScenarioError[] = [];
  const at = (offset: number | undefined, message: string) => {
    const pos = counter.linePos(offset ?? 0);
    errors.push({ file, line: pos.line, column: pos.col, path: '(yaml)', message });
  };
  visit(doc, (_key, node) => {
    if (isAlias(node)) {
      if (!node.resolve(doc)) at(node.range?.[0], `alias *${node.source} has no anchor &${node.source} before it`);
      return;
    }
    if (isNode(node) && node.tag && !PLAIN_TAGS.has(node.tag)) {
      at(node.range?.[0], `tag ${node.tag.replace(/^tag:yaml\.org,2002:/, '!!')} is not allowed: a scenario holds only strings, numbers, booleans, null, mappings and lists`);
    }
  });
  return errors;
}

/** The document as data, or an error at its first alias when expanding aliases runs away. */
export function documentData(doc: Document, counter: LineCounter, file: string): Result<unknown> {
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    let first: number | undefined;
    visit(doc, { Alias(_key, node) { first = node.range?.[0]; return visit.BREAK; } });
    const pos = counter.linePos(first ?? 0);
    const message = /alias count/i.test((error as Error).message)
      ? `aliases expand beyond ${MAX_ALIAS_COUNT} copies (an alias bomb?)`
      : `cannot read the YAML: ${(error as Error).message}`;
    return { ok: false, error: { file, line: pos.line, column: pos.col, path: '(yaml)', message } };
  }
}
