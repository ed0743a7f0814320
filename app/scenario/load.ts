/**
 * Load a scenario file: YAML with positions, validated by the schema, then checked for references
 * that a schema cannot see (an `expect` about a message never sent, a path to an unknown
 * organisation). Every error names file, line, column and key path — all of them at once, never a
 * stack trace (docs/scenario-format.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Document, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { duration, sendStep, labAction, org as orgSchema, type OrgConfig } from '../config/schema.ts';
import { pathId, pathSpec, type LabConfig, type PathConfig } from '../config/lab.ts';
import { scenario as scenarioSchema, checkpointStep, expectStep, type Scenario, type Step } from './schema.ts';
import { MAX_LAB_TIME, parseDuration } from '../base/clock.ts';
import { inboundTlsProblem } from '../mta/inbound-tls.ts';
import { controlCharacterError, documentData, documentErrors, readScenarioText } from './input.ts';

export interface ScenarioError {
  file: string;
  line: number;
  column: number;
  /** Key path, e.g. `lab.orgs[0].security[1].level`. */
  path: string;
  message: string;
}

export type Loaded = { ok: true; file: string; id: string; scenario: Scenario } | { ok: false; file: string; errors: ScenarioError[] };

type Key = string | number;

export function formatPath(keys: readonly Key[]): string {
  return keys.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '') || '(top level)';
}

export function formatError(e: ScenarioError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.path}: ${e.message}`;
}

class Locator {
  constructor(private doc: Document, private counter: LineCounter, private file: string) {}

  /** The position of the deepest node that exists along `keys` (a missing key points at its parent). */
  at(keys: readonly Key[], message: string, unknownKey?: string): ScenarioError {
    let node: unknown = this.doc.contents;
    let range: [number, number, number] | undefined = (node as YamlNode | null)?.range ?? undefined;
    for (const key of keys) {
      if (!node || typeof node !== 'object' || !('items' in node)) break;
      const items = (node as { items: unknown[] }).items;
      let next: unknown;
      if (isMap(node)) {
        const pair = items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
        next = isPair(pair) ? pair.value : undefined;
        if (isPair(pair) && next == null) range = (pair.key as YamlNode).range ?? range;
      } else if (typeof key === 'number') next = items[key];
      if (!next) break;
      node = next;
      range = (node as YamlNode).range ?? range;
    }
    if (unknownKey && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === unknownKey);
      range = ((pair?.key as YamlNode | undefined)?.range) ?? range;
    }
    const pos = this.counter.linePos(range?.[0] ?? 0);
    return { file: this.file, line: pos.line, column: pos.col, path: formatPath(unknownKey ? [...keys, unknownKey] : keys), message };
  }
}

const headSchema = scenarioSchema.extend({ steps: z.array(z.unknown()).default([]) });
const stepKinds = {
  send: z.strictObject({ send: sendStep }),
  action: z.strictObject({ action: labAction }),
  advance: z.strictObject({ advance: duration }),
  expect: z.strictObject({ expect: expectStep }),
  checkpoint: checkpointStep,
} as const;

function issueErrors(loc: Locator, issues: z.core.$ZodIssue[], prefix: Key[]): ScenarioError[] {
  const out: ScenarioError[] = [];
  for (const issue of issues) {
    const keys = [...prefix, ...(issue.path as Key[])];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(loc.at(keys, `unknown key "${key}"`, key));
    } else if (issue.code === 'invalid_union' && 'errors' in issue && issue.errors.length > 0) {
      // Report the alternative that got furthest (the most specific complaint).
      const best = [...issue.errors].sort((a, b) => Math.max(0, ...b.map((x) => x.path.length)) - Math.max(0, ...a.map((x) => x.path.length)))[0];
      out.push(...issueErrors(loc, best, keys));
    } else {
      out.push(loc.at(keys, issue.message));
    }
  }
  return out;
}

export function parseScenario(text: string, file: string): Loaded {
  const control = controlCharacterError(text, file);
  if (control) return { ok: false, file, errors: [control] };
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  // Errors, and warnings such as an unresolved tag: a scenario is strict input (app/scenario/input.ts).
  // An error the parser found only at the end of the input (an unclosed `{`, `[` or quote) is
  // placed after the file's last character, on a line the editor may not even show: name the
  // last line with text instead, and say that the file ended there.
  const end = text.trimEnd().length;
  const yamlErrors: ScenarioError[] = [...doc.errors, ...doc.warnings].map((e) => {
    const atEnd = e.pos[0] >= end && end > 0;
    const pos = counter.linePos(atEnd ? end - 1 : e.pos[0]);
    const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return { file, line: pos.line, column: atEnd ? pos.col + 1 : pos.col, path: '(yaml)', message: atEnd ? `${message}, but the file ends here` : message };
  });
  yamlErrors.push(...documentErrors(doc, counter, file));
  if (yamlErrors.length > 0) return { ok: false, file, errors: yamlErrors.sort((a, b) => a.line - b.line || a.column - b.column) };
  const data = documentData(doc, counter, file);
  if (!data.ok) return { ok: false, file, errors: [data.error] };
  const loc = new Locator(doc, counter, file);
  const raw: unknown = data.value;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, file, errors: [loc.at([], 'a scenario is a mapping with title, lab and steps')] };
  const errors: ScenarioError[] = [];
  const head = headSchema.safeParse(raw);
  if (!head.success) errors.push(...issueErrors(loc, head.error.issues, []));
  const rawSteps = (raw as { steps?: unknown }).steps;
  const steps: Indexed<Step>[] = [];
  if (Array.isArray(rawSteps)) {
    rawSteps.forEach((step, i) => {
      const kind = step && typeof step === 'object' && !Array.isArray(step) ? Object.keys(step)[0] : undefined;
      const schema = kind ? stepKinds[kind as keyof typeof stepKinds] : undefined;
      if (!schema) {
        errors.push(loc.at(['steps', i], `a step is one of ${Object.keys(stepKinds).join(', ')}${kind ? ` (found "${kind}")` : ''}`));
        return;
      }
      const parsed = schema.safeParse(step);
      if (parsed.success) steps.push([i, parsed.data as Step]);
      else errors.push(...issueErrors(loc, parsed.error.issues, ['steps', i]));
    });
  }
  // References are checked on every part that parsed, so a file shows all its errors in one pass.
  errors.push(...checkReferences(partsOf(raw, head.success ? head.data.lab : undefined), steps, loc));
  if (errors.length > 0 || !head.success) return { ok: false, file, errors: errors.sort((a, b) => a.line - b.line || a.column - b.column) };
  const result = { ...head.data, steps: steps.map(([, step]) => step) } as Scenario;
  const id = result.id ?? path.basename(file).replace(/\.ya?ml$/i, '');
  return { ok: true, file, id, scenario: result };
}

type Indexed<T> = [index: number, value: T];

interface LabParts {
  orgs: Indexed<OrgConfig>[];
  paths: Indexed<PathConfig>[];
  /** Names of organisations, domains and hosts in the file, also of parts that did not parse. */
  named: { orgIds: Set<string>; domains: Set<string>; hosts: Set<string> };
  /** `clock.start` in ms, when the file gives one that parses. */
  start?: number;
}

/** The lab's organisations and paths that parse on their own, and every name the file mentions. */
function partsOf(raw: object, lab: LabConfig | undefined): LabParts {
  const rawLab = (raw as { lab?: { orgs?: unknown; paths?: unknown; clock?: { start?: unknown } } }).lab;
  const startText = rawLab?.clock?.start;
  const start = typeof startText === 'string' && Number.isFinite(Date.parse(startText)) ? Date.parse(startText) : undefined;
  const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
  const named = { orgIds: new Set<string>(), domains: new Set<string>(), hosts: new Set<string>() };
  for (const o of list(rawLab?.orgs) as { id?: unknown; domain?: unknown; aliases?: unknown; hosts?: unknown; external?: { name?: unknown } }[]) {
    if (typeof o?.id === 'string') named.orgIds.add(o.id);
    for (const d of [o?.domain, ...list(o?.aliases)]) if (typeof d === 'string') named.domains.add(d.toLowerCase());
    for (const h of list(o?.hosts) as { name?: unknown }[]) if (typeof h?.name === 'string') named.hosts.add(h.name.toLowerCase());
    // An external organisation without hosts gets one, named as externalHost() names it.
    if (o?.hosts === undefined && o?.external && typeof o.domain === 'string') {
      named.hosts.add((typeof o.external.name === 'string' ? o.external.name : `mx.${o.domain}`).toLowerCase());
    }
  }
  if (lab) return { orgs: lab.orgs.map((o, i) => [i, o]), paths: lab.paths.map((p, i) => [i, p]), named, start };
  const parsed = <T>(items: unknown[], schema: z.ZodType<T>): Indexed<T>[] =>
    items.flatMap((item, i) => { const r = schema.safeParse(item); return r.success ? [[i, r.data] as Indexed<T>] : []; });
  return { orgs: parsed(list(rawLab?.orgs), orgSchema), paths: parsed(list(rawLab?.paths), pathSpec), named, start };
}

/** Checks across the file that a schema cannot express. */
function checkReferences(lab: LabParts, steps: Indexed<Step>[], loc: Locator): ScenarioError[] {
  const errors: ScenarioError[] = [];
  const orgIds = new Set<string>();
  const domains = new Set<string>();
  const hosts = new Set<string>();
  for (const [i, org] of lab.orgs) {
    if (orgIds.has(org.id)) errors.push(loc.at(['lab', 'orgs', i, 'id'], `organisation id ${org.id} is used twice`));
    orgIds.add(org.id);
    if (domains.has(org.domain.toLowerCase())) errors.push(loc.at(['lab', 'orgs', i, 'domain'], `domain ${org.domain} belongs to two organisations`));
    domains.add(org.domain.toLowerCase());
    org.aliases.forEach((alias, j) => {
      if (domains.has(alias.toLowerCase())) errors.push(loc.at(['lab', 'orgs', i, 'aliases', j], `domain ${alias} belongs to two organisations`));
      domains.add(alias.toLowerCase());
    });
    org.hosts.forEach((h, j) => {
      if (hosts.has(h.name.toLowerCase())) errors.push(loc.at(['lab', 'orgs', i, 'hosts', j, 'name'], `host ${h.name} is defined twice`));
      hosts.add(h.name.toLowerCase());
    });
    org.security.forEach((e, j) => {
      if (e.via && !lab.named.hosts.has(e.via.toLowerCase())) errors.push(loc.at(['lab', 'orgs', i, 'security', j, 'via'], `no host ${e.via} in this lab`));
    });
    // OpenSSL's verdict on the server's versions and ciphers (a cipher string it cannot match).
    const tlsProblem = org.inbound.tls && inboundTlsProblem(org.profile, org.inbound.tls);
    if (tlsProblem) errors.push(loc.at(['lab', 'orgs', i, 'inbound', 'tls', ...(tlsProblem.key ? [tlsProblem.key] : [])], tlsProblem.message));
  }
  const profileOf = new Map(lab.orgs.map(([, o]) => [o.id, o.profile]));
  const hostsOf = new Map(lab.orgs.map(([, o]) => [o.id, o.hosts.map((h) => h.name)]));
  // Every path an action can name: the declared ones, and a direct one for each pair without one (app/lab/topology.ts).
  const paths = new Map<string, Pick<PathConfig, 'between' | 'via'>>(lab.paths.map(([, p]) => [pathId(p), p]));
  lab.orgs.forEach(([, a], i) => lab.orgs.slice(i + 1).forEach(([, b]) => {
    const covered = lab.paths.some(([, p]) => !p.to && p.between.includes(a.id) && p.between.includes(b.id));
    if (!covered) paths.set(pathId({ between: [a.id, b.id] }), { between: [a.id, b.id], via: 'direct' });
  }));
  for (const [i, p] of lab.paths) {
    p.between.forEach((id, j) => {
      if (!lab.named.orgIds.has(id)) errors.push(loc.at(['lab', 'paths', i, 'between', j], `no organisation ${id} (known: ${[...lab.named.orgIds].join(', ')})`));
    });
    if (p.between[0] === p.between[1]) errors.push(loc.at(['lab', 'paths', i, 'between'], 'a path joins two different organisations'));
    if (p.to && !lab.named.hosts.has(p.to.toLowerCase())) errors.push(loc.at(['lab', 'paths', i, 'to'], `no host ${p.to} in this lab`));
    if (p.owner && !p.between.includes(p.owner)) errors.push(loc.at(['lab', 'paths', i, 'owner'], `the firewall's owner must be one of between (${p.between.join(', ')})`));
    if (p.owner && p.via !== 'firewall') errors.push(loc.at(['lab', 'paths', i, 'owner'], 'owner goes with via: firewall'));
    if (p.via === 'firewall' && !p.firewall) errors.push(loc.at(['lab', 'paths', i], 'a firewall path needs firewall: { profile: ... }'));
    if (p.via === 'content-scanner' && !p.scanner) errors.push(loc.at(['lab', 'paths', i], 'a content-scanner path needs scanner: { name, address, ... }'));
    if (p.via !== 'content-scanner' && p.scanner) errors.push(loc.at(['lab', 'paths', i, 'scanner'], 'scanner goes with via: content-scanner'));
    if (p.scanner) {
      if (hosts.has(p.scanner.name.toLowerCase())) errors.push(loc.at(['lab', 'paths', i, 'scanner', 'name'], `host ${p.scanner.name} is defined twice`));
      hosts.add(p.scanner.name.toLowerCase());
    }
  }
  const sent = new Set<string>();
  /** Each message's first recipient: whose domain a bare `mailbox: sean` is in. */
  const sentTo = new Map<string, string>();
  const checkpoints = new Set<string>();
  // From a given clock.start, the advance steps must keep the clock where a date can name it.
  let clock = lab.start;
  const visit = (step: Step, keys: Key[]) => {
    if ('send' in step) {
      if (sent.has(step.send.id)) errors.push(loc.at([...keys, 'send', 'id'], `message id ${step.send.id} is used twice`));
      sent.add(step.send.id);
      sentTo.set(step.send.id, [step.send.to].flat()[0]);
      const domain = step.send.from.split('@')[1]?.toLowerCase();
      if (!lab.named.domains.has(domain)) errors.push(loc.at([...keys, 'send', 'from'], `no organisation has the domain ${domain}`));
    } else if ('expect' in step) {
      if (!sent.has(step.expect.message)) errors.push(loc.at([...keys, 'expect', 'message'], `no message ${step.expect.message} was sent before this step`));
      const firstTo = sentTo.get(step.expect.message);
      if (step.expect.mailbox !== undefined) {
        const problem = mailboxProblem(lab, step.expect.mailbox, firstTo);
        if (problem) errors.push(loc.at([...keys, 'expect', 'mailbox'], problem));
      }
    } else if ('advance' in step) {
      if (clock === undefined) return;
      clock += parseDuration(step.advance) ?? 0;
      if (clock > MAX_LAB_TIME) {
        errors.push(loc.at([...keys, 'advance'], `moves the lab clock past ${new Date(MAX_LAB_TIME).toISOString()}, the latest time it can stand at (from clock.start ${new Date(lab.start!).toISOString()})`));
        clock = undefined;
      }
    } else if ('action' in step) {
      const a = step.action;
      if (!lab.named.orgIds.has(a.org)) errors.push(loc.at([...keys, 'action', 'org'], `no organisation ${a.org}`));
      const tlsProblem = a.setInbound?.tls && inboundTlsProblem(profileOf.get(a.org) ?? 'generic', a.setInbound.tls);
      if (tlsProblem) errors.push(loc.at([...keys, 'action', 'setInbound', 'tls', ...(tlsProblem.key ? [tlsProblem.key] : [])], tlsProblem.message));
      if (a.setConnections && hostsOf.has(a.org)) {
        const names = hostsOf.get(a.org)!;
        if (!names.some((n) => n.toLowerCase() === a.setConnections!.host.toLowerCase())) {
          errors.push(loc.at([...keys, 'action', 'setConnections', 'host'], `${a.org} has no host ${a.setConnections.host} (hosts: ${names.join(', ')})`));
        }
      }
      if (a.setFirewall) errors.push(...firewallActionErrors(a.org, a.setFirewall, paths, loc, [...keys, 'action', 'setFirewall']));
    } else if ('checkpoint' in step) {
      const c = step.checkpoint;
      if (checkpoints.has(c.id)) errors.push(loc.at([...keys, 'checkpoint', 'id'], `checkpoint id ${c.id} is used twice`));
      checkpoints.add(c.id);
      if (!lab.named.orgIds.has(c.when.org)) errors.push(loc.at([...keys, 'checkpoint', 'when', 'org'], `no organisation ${c.when.org}`));
      c.solution.forEach((sub, j) => visit(sub, [...keys, 'checkpoint', 'solution', j]));
    }
  };
  for (const [i, step] of steps) visit(step, ['steps', i]);
  return errors;
}

/**
 * An `expect.mailbox` that no run could ever satisfy: a user the organisation of that domain does
 * not have (its `users`, and the postmaster every mail domain has, RFC 5321 §4.5.1), or an external
 * organisation, whose mailboxes are on its own server and not in the lab. `sean` alone is in the
 * domain of the message's first recipient (docs/scenario-format.md).
 */
function mailboxProblem(lab: LabParts, mailbox: string, firstTo: string | undefined): string | undefined {
  const [user, given] = mailbox.includes('@') ? mailbox.split('@') : [mailbox, undefined];
  const domain = (given ?? firstTo?.split('@')[1])?.toLowerCase();
  if (domain === undefined) return undefined;
  const org = lab.orgs.map(([, o]) => o).find((o) => [o.domain, ...o.aliases].some((d) => d.toLowerCase() === domain));
  if (!org) return lab.named.domains.has(domain) ? undefined : `no organisation has the domain ${domain}`;
  if (org.external) return `${org.id} is an external organisation: its mailboxes are on its own server (${org.external.smtp}), not in the lab`;
  const lower = user.toLowerCase();
  if (lower === 'postmaster' || org.users.some((u) => u.toLowerCase() === lower)) return undefined;
  return `${org.id} has no user ${user} (users: ${org.users.join(', ') || 'none'})`;
}

/**
 * A `setFirewall` action against the lab's paths, as app/lab/actions.ts will apply it: a path that
 * exists, has a firewall and has the acting organisation at one end, and a firewall spec the path
 * schema takes (profile, stages, config).
 */
function firewallActionErrors(org: string, action: { path: string; firewall: unknown }, paths: Map<string, Pick<PathConfig, 'between' | 'via'>>, loc: Locator, keys: Key[]): ScenarioError[] {
  const errors: ScenarioError[] = [];
  const p = paths.get(action.path);
  if (!p) errors.push(loc.at([...keys, 'path'], `no path ${action.path} (paths: ${[...paths.keys()].join(', ') || 'none'})`));
  else if (!p.between.includes(org)) errors.push(loc.at([...keys, 'path'], `path ${action.path} is between ${p.between.join(' and ')}; ${org} has no firewall on it`));
  else if (p.via !== 'firewall') errors.push(loc.at([...keys, 'path'], `path ${action.path} is ${p.via}: only a firewall path's profile can change`));
  const spec = pathSpec.shape.firewall.safeParse(action.firewall);
  if (!spec.success) for (const issue of spec.error.issues) errors.push(loc.at([...keys, 'firewall', ...(issue.path as Key[])], issue.message));
  return errors;
}

export function loadScenarioFile(file: string): Loaded {
  const text = readScenarioText(file);
  if (!text.ok) return { ok: false, file, errors: [text.error] };
  try {
    return parseScenario(text.value, file);
  } catch (error) {
    // Fail closed: whatever the file holds, the caller gets an error naming it, never a stack.
    return { ok: false, file, errors: [{ file, line: 0, column: 0, path: '(file)', message: `cannot read this scenario: ${(error as Error).message}` }] };
  }
}

export interface ExpandedArgs {
  files: string[];
  /** A folder that holds no scenario, or no argument at all: said, never passed over in silence. */
  errors: ScenarioError[];
}

/** Expand directories into their `*.yaml` / `*.yml` regular files, sorted. */
export function expandScenarioArgs(args: string[]): ExpandedArgs {
  const files: string[] = [];
  const errors: ScenarioError[] = [];
  if (args.length === 0) errors.push({ file: '(none)', line: 0, column: 0, path: '(file)', message: 'no scenario files given' });
  for (const arg of args) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(arg);
    } catch {
      stat = undefined;
    }
    if (stat?.isDirectory()) {
      const found = fs.readdirSync(arg, { withFileTypes: true })
        .filter((e) => /\.ya?ml$/i.test(e.name) && !e.isDirectory()).map((e) => e.name).sort().map((f) => path.join(arg, f));
      if (found.length === 0) errors.push({ file: arg, line: 0, column: 0, path: '(file)', message: 'is a folder with no scenario files (*.yaml, *.yml) in it' });
      files.push(...found);
    } else files.push(arg);
  }
  // A file named twice (a folder and a glob of it) is one scenario, not two with one id.
  const seen = new Set<string>();
  return { files: files.filter((f) => !seen.has(path.resolve(f)) && seen.add(path.resolve(f))), errors };
}

/**
 * What `run` and `validate` alike refuse across files: two scenarios with one id (reports,
 * workspaces and captures are named by it). One line per later file, naming the earlier.
 */
export function duplicateIds(loaded: readonly { id: string; file: string }[]): string[] {
  const seen = new Map<string, string>();
  const out: string[] = [];
  for (const l of loaded) {
    const other = seen.get(l.id);
    if (other) out.push(`${l.file}: scenario id ${l.id} is also the id of ${other}; ids must be unique within a run`);
    else seen.set(l.id, l.file);
  }
  return out;
}

/** A scenario with no `expect` and no `checkpoint` passes whatever happens: said, not refused. */
export function checksNothing(scenario: Scenario): boolean {
  return !scenario.steps.some((s) => 'expect' in s || 'checkpoint' in s);
}
