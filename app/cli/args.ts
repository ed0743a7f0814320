/**
 * A small, strict argument parser: every flag is declared, a wrong one is an error that names it
 * (exit 2, docs/lab.md, "Command line"), never silently ignored.
 */
export interface FlagSpec {
  /** `value`: takes the next argument (or `--flag=value`); `boolean`: stands alone. */
  type: 'value' | 'boolean';
}

export interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name} (known: ${Object.keys(spec).map((k) => `--${k}`).join(', ') || 'none'})`);
    if (flags.has(name)) throw new UsageError(`--${name} is given twice`);
    if (s.type === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
    } else {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    }
  }
  return { positional, flags };
}

export function intFlag(parsed: Parsed, name: string): number | undefined {
  const v = parsed.flags.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^-?\d+$/.test(v)) throw new UsageError(`--${name} takes a whole number, not ${JSON.stringify(v)}`);
  // Past 2^53 a double has lost digits: 99999999999999999999999 became 1e+23, which no flag takes back.
  if (!Number.isSafeInteger(Number(v))) throw new UsageError(`--${name} takes a whole number of at most ${Number.MAX_SAFE_INTEGER} (2^53-1), not ${v}`);
  return Number(v);
}

export function stringFlag(parsed: Parsed, name: string): string | undefined {
  const v = parsed.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** `--shard I/N` (1 ≤ I ≤ N): this process takes every N-th item starting at the I-th. */
export function shardFlag(parsed: Parsed): { index: number; count: number } | undefined {
  const text = stringFlag(parsed, 'shard');
  if (text === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new UsageError(`--shard takes I/N with 1 ≤ I ≤ N, not ${JSON.stringify(text)}`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

/** `--time-scale N`: how much faster than real time the lab clock runs (a positive number, at most 100000). */
export function timeScaleFlag(parsed: Parsed): number | undefined {
  const v = parsed.flags.get('time-scale');
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
  if (!(n > 0 && n <= 100_000)) throw new UsageError(`--time-scale takes a positive number up to 100000, not ${JSON.stringify(v)}`);
  return n;
}
