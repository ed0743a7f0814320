/**
 * Reading a pasted Cisco PIX or ASA configuration into a stage chain (docs/firewall-config.md).
 *
 *   PIX 4.x–6.x:  fixup protocol smtp 25          → mask-banner(-44) + command-filter (Mailguard)
 *                 no fixup protocol smtp 25       → nothing (bytes pass)
 *   ASA:          policy-map type inspect esmtp M → the esmtp-inspect stage's settings
 *                   parameters / mask-banner / allow-tls / match … + action
 *                 class-map … / policy-map P / class C / inspect esmtp [M] / service-policy P …
 *   either:       ! postcard-lab stage NAME {json}   a lab stage at this place in the chain
 *                 ! postcard-lab with NAME {json}    settings merged into a stage the config made
 *
 * Every line is reported: understood (with what it means here), ignored (with why), or a comment.
 * Nothing is dropped silently. Malformed SMTP-relevant lines are errors naming the line.
 * Which stages a device stands for is read from the profiles (app/path/profiles.ts), not restated.
 */
import { PROFILES, type StageRef } from '../profiles.ts';
import { normalizeRef, stageDefaults } from './chain.ts';
import { stageDefinition } from '../stages/index.ts';

export type LineStatus = 'understood' | 'ignored' | 'comment' | 'error';

export interface LineReport {
  line: number;
  text: string;
  status: LineStatus;
  /** understood: what it does in the lab; ignored / error: why. */
  note: string;
}

export interface ParsedConfig {
  dialect: 'pix' | 'asa' | 'none';
  chain: StageRef[];
  lines: LineReport[];
  errors: LineReport[];
}

/** "No limit" for a match an ASA inspect map does not have (a user-defined map starts empty). */
export const UNLIMITED = 2 ** 31 - 1;

interface EsmtpMap {
  name: string;
  line: number;
  /** The lines of the map's definition (reported as ignored when no applied policy uses it). */
  lines: number[];
  maskBanner: boolean;
  config: Record<string, unknown>;
}

/** The ASA's `_default_esmtp_map` is the esmtp-inspect stage's defaults, with the banner masked (docs/stages.md). */
function defaultEsmtpMap(): EsmtpMap {
  return { name: '_default_esmtp_map', line: 0, lines: [], maskBanner: true, config: stageDefaults('esmtp-inspect') };
}

function newUserMap(name: string, line: number): EsmtpMap {
  return {
    name, line, lines: [], maskBanner: false,
    config: { ...stageDefaults('esmtp-inspect'), allowTls: false, maxCommandLine: UNLIMITED, maxRcpts: UNLIMITED, maxHeaderLine: UNLIMITED, maxSenderAddress: UNLIMITED, maxMimeFilename: UNLIMITED },
  };
}

const NETWORK_WORDS = new Set(['hostname', 'domain-name', 'interface', 'nameif', 'ip', 'ipv6', 'security-level', 'access-list', 'access-group', 'static',
  'conduit', 'global', 'nat', 'route', 'object', 'object-group', 'names', 'name', 'enable', 'passwd', 'username', 'aaa', 'logging', 'snmp-server',
  'ntp', 'clock', 'telnet', 'ssh', 'http', 'crypto', 'isakmp', 'tunnel-group', 'group-policy', 'vpn', 'dhcpd', 'mtu', 'arp', 'timeout',
  'failover', 'pager', 'terminal', 'shutdown', 'speed', 'duplex', 'description', 'vlan', 'same-security-traffic', 'dns', 'write', 'end',
  'configure', 'asdm', 'threat-detection', 'webvpn', 'prompt', 'call-home', 'firewall', 'boot', 'icmp', 'floodguard', 'sysopt', 'isakmp',
  'cryptochecksum', 'user-identity', 'license', 'mac-address', 'rip', 'router', 'tftp-server', 'url-server', 'filter', 'service']);

/** `inspect <protocol> [map]` in a policy-map's class, or its `no` form. */
const INSPECT = /^(no\s+)?inspect\s+(\S+)(?:\s+(\S+))?$/i;
/** The policy a factory ASA applies globally; its class inspection_default inspects ESMTP. */
const FACTORY_POLICY = 'global_policy';

/**
 * Protocols a PIX 6.3 `fixup protocol` and an ASA 8.x `inspect` name (Cisco's command references),
 * so that snmp and similar real names are not taken for a misspelt smtp.
 */
const PIX_FIXUPS = new Set(['ctiqbe', 'dns', 'esp-ike', 'ftp', 'h323', 'http', 'icmp', 'ils', 'mgcp', 'pptp', 'rsh', 'rtsp', 'sip', 'skinny', 'smtp', 'snmp', 'sqlnet', 'tftp']);
const ASA_INSPECTS = new Set(['ctiqbe', 'dcerpc', 'dns', 'esmtp', 'ftp', 'gtp', 'h323', 'http', 'icmp', 'ils', 'im', 'ip-options', 'ipsec-pass-thru',
  'mgcp', 'netbios', 'pptp', 'rsh', 'rtsp', 'sip', 'skinny', 'snmp', 'sqlnet', 'sunrpc', 'tftp', 'waas', 'xdmcp']);

/**
 * The device's SMTP keyword (`smtp` for a PIX's fixup, `esmtp` for an ASA's inspect) when `word`
 * is not a protocol the device knows and is at most two edits from it (`smpt`, `esmpt`, `emstp`):
 * the tester meant SMTP inspection, and taking the line for another protocol would run the lab
 * through a firewall that inspects nothing.
 */
function misspeltSmtp(word: string, known: ReadonlySet<string>, keyword: 'smtp' | 'esmtp'): string | undefined {
  return !known.has(word) && editDistance(word, keyword) <= 2 ? keyword : undefined;
}

/** Levenshtein distance, transpositions counted as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** `match … gt N` → the esmtp-inspect stage's limit key and the key of its action. */
const limitKeys = {
  'cmd line length': ['maxCommandLine', 'commandLineAction'],
  'cmd rcpt count': ['maxRcpts', 'rcptsAction'],
  'header line length': ['maxHeaderLine', 'headerLineAction'],
  'sender-address length': ['maxSenderAddress', 'senderAddressAction'],
  'mime filename length': ['maxMimeFilename', 'mimeFilenameAction'],
} as const;

interface PendingMatch {
  line: number;
  key?: (typeof limitKeys)[keyof typeof limitKeys][number];
  actionKey?: (typeof limitKeys)[keyof typeof limitKeys][number];
  value?: number;
  kind: 'limit' | 'body' | 'ehlo-others' | 'other';
  text: string;
}

export function parseCiscoConfig(text: string): ParsedConfig {
  const lines: LineReport[] = [];
  const report = (line: number, raw: string, status: LineStatus, note: string) => lines.push({ line, text: raw, status, note });
  const inspectMaps = new Map<string, EsmtpMap>();
  /** policy-map name → { class → inspect esmtp [map] line } */
  const policies = new Map<string, { line: number; esmtp: { line: number; map?: string; off: boolean }[] }>();
  const applied = new Set<string>();
  let sawServicePolicy = false;
  let pixVersion: { major: number; text: string; line: number } | undefined;
  let pixFixup: { line: number; on: boolean } | undefined;
  const labStages: { pos: number; ref: StageRef }[] = [];
  const withs: { line: number; raw: string; name: string; config: Record<string, unknown> }[] = [];
  let ctx: { kind: 'top' } | { kind: 'esmtp-map'; map: EsmtpMap; parameters: boolean; match?: PendingMatch } | { kind: 'class-map'; name: string } | { kind: 'policy'; name: string; cls?: string } = { kind: 'top' };
  let sawAsa = false;
  /** The `ASA Version` line, when the paste has one. */
  let asaVersionLine: number | undefined;
  /** Inside an inspection map of another protocol: its indented lines are ignored. */
  let skipBlock = false;

  const settleMatch = () => {
    if (ctx.kind === 'esmtp-map' && ctx.match) {
      const m = ctx.match;
      // A match without an action does nothing on an ASA.
      const r = lines.find((l) => l.line === m.line)!;
      r.status = 'ignored';
      r.note = 'a match without an action line (drop-connection, mask, log …) has no effect';
      ctx.match = undefined;
    }
  };

  const rows = text.split(/\r?\n/);
  rows.forEach((raw, i) => {
    const n = i + 1;
    const trimmed = raw.trim();
    const indented = /^\s/.test(raw);
    const words = trimmed.split(/\s+/);
    const lower = trimmed.toLowerCase();
    const lw = lower.split(/\s+/);
    if (trimmed === '') return;
    if (!indented) skipBlock = false;
    if (ctx.kind === 'esmtp-map' && (indented || !/^(policy-map|class-map|service-policy|regex|access-list|fixup|no|hostname|interface|exit)\b/i.test(trimmed))) ctx.map.lines.push(n);

    // Lab extension comments first: they are what a printed chain carries that Cisco cannot say.
    const lab = /^!\s*postcard-lab\s+(stage|with)\s+([a-z0-9-]+)\s*(\{.*\})?\s*$/i.exec(trimmed);
    if (lab) {
      let config: Record<string, unknown> = {};
      try {
        config = lab[3] ? JSON.parse(lab[3]) as Record<string, unknown> : {};
      } catch (error) {
        report(n, raw, 'error', `the settings are not JSON: ${(error as Error).message}`);
        return;
      }
      const name = lab[2].toLowerCase();
      if (!stageDefinition(name)) {
        report(n, raw, 'error', `no lab stage named ${name}`);
        return;
      }
      try {
        if (lab[1].toLowerCase() === 'stage') {
          labStages.push({ pos: n, ref: normalizeRef({ name, config }) });
          report(n, raw, 'understood', `lab stage ${name} at this place in the chain`);
        } else {
          withs.push({ line: n, raw, name, config });
          report(n, raw, 'understood', `lab settings for the ${name} stage this configuration makes`);
        }
      } catch (error) {
        report(n, raw, 'error', `settings of ${name}: ${(error as Error).message.replace(/\s+/g, ' ')}`);
      }
      return;
    }
    if (trimmed.startsWith('!') || trimmed.startsWith(':')) {
      const version = /^:?\s*(PIX|ASA) Version (\d+)\.(\d+)/i.exec(trimmed);
      if (version) {
        // `: PIX Version 6.3(5)` heads a saved configuration; the same line without the colon too.
        handleVersion(version, n, raw);
        return;
      }
      report(n, raw, 'comment', 'comment');
      return;
    }
    const version = /^(PIX|ASA) Version (\d+)\.(\d+)/i.exec(trimmed);
    if (version) {
      handleVersion(version, n, raw);
      return;
    }

    // —— PIX fixup ——
    const fixup = /^(no\s+)?fixup\s+protocol\s+(\S+)(?:\s+(\S+))?/i.exec(trimmed);
    if (!fixup && /^(no\s+)?fixup\b/i.test(trimmed)) {
      // A misspelt fixup would leave the firewall inspecting nothing without a word: fail closed.
      report(n, raw, 'error', 'expected "fixup protocol <protocol> [port]" (for Mailguard: "fixup protocol smtp 25")');
      return;
    }
    if (fixup) {
      settleMatch();
      ctx = { kind: 'top' };
      const proto = fixup[2].toLowerCase();
      if (proto !== 'smtp' && proto !== 'esmtp') {
        const meant = misspeltSmtp(proto, PIX_FIXUPS, 'smtp');
        if (meant) {
          report(n, raw, 'error', `no fixup protocol "${proto}": did you mean ${meant}? (a misspelt protocol would leave Mailguard off)`);
          return;
        }
        report(n, raw, 'ignored', `fixup for ${proto}: the lab's firewall sees only the SMTP path`);
        return;
      }
      const ports = fixup[3];
      const range = ports ? /^(\d+)(?:-(\d+))?$/.exec(ports) : null;
      if (ports && !range) {
        report(n, raw, 'error', `expected a port or port range after "fixup protocol ${proto}", got ${JSON.stringify(ports)}`);
        return;
      }
      const lo = range ? Number(range[1]) : 25, hi = range?.[2] ? Number(range[2]) : lo;
      if (25 < lo || 25 > hi) {
        report(n, raw, 'ignored', `inspects port ${ports}, not 25: lab paths carry SMTP on port 25`);
        return;
      }
      pixFixup = { line: n, on: !fixup[1] };
      report(n, raw, 'understood', fixup[1] ? 'Mailguard off: SMTP passes unchanged' : 'Mailguard on port 25: banner masked, commands outside RFC 821\'s minimum overwritten');
      return;
    }

    // —— ASA modular policy framework ——
    if (/^policy-map\s+type\s+inspect\s+esmtp\s+\S+/i.test(trimmed)) {
      settleMatch();
      const name = words[4];
      // Editing the built-in map starts from its contents; a new map starts empty.
      const map = name === '_default_esmtp_map' ? { ...defaultEsmtpMap(), line: n } : newUserMap(name, n);
      map.lines.push(n);
      inspectMaps.set(name, map);
      ctx = { kind: 'esmtp-map', map, parameters: false };
      sawAsa = true;
      report(n, raw, 'understood', `ESMTP inspection map ${name} (settings below; a new map starts without limits and without mask-banner)`);
      return;
    }
    if (/^policy-map\s+type\s+inspect\s+/i.test(trimmed)) {
      settleMatch();
      ctx = { kind: 'top' };
      report(n, raw, 'ignored', `inspection map for ${words[3]}: the lab's firewall sees only the SMTP path`);
      skipBlock = true;
      return;
    }
    if (/^policy-map\s+\S+$/i.test(trimmed)) {
      settleMatch();
      const name = words[1];
      if (!policies.has(name)) policies.set(name, { line: n, esmtp: [] });
      ctx = { kind: 'policy', name };
      sawAsa = true;
      report(n, raw, 'understood', `service policy ${name}`);
      skipBlock = false;
      return;
    }
    if (/^class-map\s+type\s+(regex|inspect)\b/i.test(trimmed)) {
      settleMatch();
      ctx = { kind: 'top' };
      skipBlock = true;
      report(n, raw, 'ignored', `a ${words[2]} class map groups matches the lab's esmtp-inspect stage does not model`);
      return;
    }
    if (/^regex\s+\S+/i.test(trimmed)) {
      settleMatch();
      ctx = { kind: 'top' };
      report(n, raw, 'ignored', 'a regular expression for sender or recipient matches, which the lab does not model');
      return;
    }
    if (/^class-map\s+/i.test(trimmed)) {
      settleMatch();
      ctx = { kind: 'class-map', name: words.at(-1)! };
      sawAsa = true;
      report(n, raw, 'understood', `traffic class ${words.at(-1)} (the lab's path is port 25 whatever the class matches)`);
      skipBlock = false;
      return;
    }
    if (/^service-policy\s+\S+\s+(global|interface\s+\S+)$/i.test(trimmed)) {
      settleMatch();
      ctx = { kind: 'top' };
      applied.add(words[1]);
      sawServicePolicy = true;
      report(n, raw, 'understood', `applies policy ${words[1]} (${words.slice(2).join(' ')})`);
      return;
    }
    if (lw[0] === 'exit') {
      settleMatch();
      report(n, raw, 'comment', 'leaves a sub-mode');
      ctx = ctx.kind === 'policy' && ctx.cls ? { kind: 'policy', name: ctx.name } : { kind: 'top' };
      return;
    }

    if (skipBlock && indented) {
      report(n, raw, 'ignored', 'inside a block the lab does not model (see the line that opened it)');
      return;
    }

    if (ctx.kind === 'esmtp-map') {
      const map = ctx.map;
      if (lw[0] === 'description') {
        report(n, raw, 'comment', 'description of the map');
        return;
      }
      if (lower === 'parameters') {
        settleMatch();
        ctx.parameters = true;
        report(n, raw, 'understood', 'parameters of the map');
        return;
      }
      if (/^(no\s+)?mask-banner$/.test(lower)) {
        map.maskBanner = !lower.startsWith('no');
        report(n, raw, 'understood', map.maskBanner ? 'the greeting banner is masked (mask-banner stage)' : 'the greeting banner passes');
        return;
      }
      if (/^(no\s+)?allow-tls(\s+action\s+log)?$/.test(lower)) {
        map.config.allowTls = !lower.startsWith('no');
        report(n, raw, 'understood', map.config.allowTls ? 'STARTTLS passes (allow-tls)' : 'STARTTLS is masked from the EHLO reply and the command overwritten (no allow-tls)');
        return;
      }
      if (/^(no\s+)?(mail-relay|special-character)\b/.test(lower)) {
        report(n, raw, 'ignored', `${lw[0] === 'no' ? lw[1] : lw[0]} is not modelled: the lab's two organisations relay only for their own domains`);
        return;
      }
      const match = /^match\s+(not\s+)?(.*)$/.exec(lower);
      if (match) {
        settleMatch();
        ctx.parameters = false;
        const body = match[2];
        const limit = /^(cmd line length|cmd rcpt count|header line length|sender-address length|mime filename length) gt (\d+)$/.exec(body);
        const malformed = !limit && /^(cmd line length|cmd rcpt count|header line length|sender-address length|mime filename length|body line length) gt(?!\s+\d+$)/.exec(body);
        if (malformed) {
          report(n, raw, 'error', `expected a whole number after "${malformed[1]} gt", as in "match ${malformed[1]} gt 512"`);
          return;
        }
        const m: PendingMatch = { line: n, kind: 'other', text: body };
        if (match[1]) m.kind = 'other';
        else if (limit) {
          const [key, actionKey] = limitKeys[limit[1] as keyof typeof limitKeys];
          Object.assign(m, { kind: 'limit', key, actionKey, value: Number(limit[2]) });
        }
        else if (/^body line length gt \d+$/.test(body)) m.kind = 'body';
        else if (body === 'ehlo-reply-parameter others') m.kind = 'ehlo-others';
        ctx.match = m;
        report(n, raw, 'understood', 'match (its action follows)');
        return;
      }
      const action = /^(drop-connection|reset|mask|log|drop)(\s+log)?$/.exec(lower);
      if (action && ctx.match) {
        const m = ctx.match;
        ctx.match = undefined;
        const matchLine = lines.find((l) => l.line === m.line)!;
        const verb = action[1];
        const note = (s: LineStatus, text: string) => {
          matchLine.status = s;
          matchLine.note = text;
          report(n, raw, s, s === 'understood' ? 'the action of the match above' : text);
        };
        if (m.kind === 'limit' && (verb === 'drop-connection' || verb === 'reset' || verb === 'log')) {
          map.config[m.key!] = m.value!;
          map.config[m.actionKey!] = verb;
          note('understood', verb === 'log'
            ? `${m.text}: logged only, the session goes on (esmtp-inspect ${m.key} ${m.value}, ${m.actionKey} log)`
            : `${m.text}: the connection is dropped (esmtp-inspect ${m.key} ${m.value}, ${m.actionKey} ${verb})`);
        } else if (m.kind === 'body' && verb === 'log') {
          note('understood', 'long body lines are logged only and pass (as the esmtp-inspect stage does)');
        } else if (m.kind === 'ehlo-others' && verb === 'mask') {
          note('understood', 'EHLO keywords the ASA does not know are masked with X…A (esmtp-inspect ehloKeywords)');
        } else {
          note('ignored', `"match ${m.text}" with action ${verb} is not modelled by the esmtp-inspect stage`);
        }
        return;
      }
      if (indented || ctx.parameters) {
        report(n, raw, 'ignored', `not an ESMTP inspection setting the lab models`);
        return;
      }
    }

    if (ctx.kind === 'class-map' && lw[0] === 'match') {
      report(n, raw, 'understood', lower.includes('default-inspection-traffic') || /\beq (25|smtp)\b/.test(lower)
        ? 'selects SMTP traffic (port 25)' : 'selects traffic (the lab path is SMTP on port 25 in any case)');
      return;
    }
    if (ctx.kind === 'policy') {
      if (lw[0] === 'class') {
        settleMatch();
        ctx.cls = words[1];
        report(n, raw, 'understood', `actions for class ${words[1]}`);
        return;
      }
      const insp = INSPECT.exec(trimmed);
      if (insp && ctx.cls) {
        inspectLine(insp, ctx.name, n, raw);
        return;
      }
      if (indented) {
        report(n, raw, 'ignored', 'a policy action other than ESMTP inspection');
        return;
      }
    }
    settleMatch();
    ctx = { kind: 'top' };
    // `inspect esmtp` / `no inspect esmtp` on its own, the line an ASA's policy-map carries: taken
    // as the factory policy's, global_policy's class inspection_default (docs/firewall-config.md).
    const bare = INSPECT.exec(trimmed);
    if (bare) {
      if (!policies.has(FACTORY_POLICY)) policies.set(FACTORY_POLICY, { line: n, esmtp: [] });
      sawAsa = true;
      inspectLine(bare, FACTORY_POLICY, n, raw, ' (a line of a policy-map; on its own, taken as the factory global_policy\'s class inspection_default)');
      return;
    }
    const first = lw[0] === 'no' ? lw[1] : lw[0];
    report(n, raw, 'ignored', NETWORK_WORDS.has(first ?? '')
      ? `${first}: addressing, access and management, not SMTP inspection (the lab's path between the two servers is fixed)`
      : `not a command the lab knows (${words[0]})`);
  });
  settleMatch();

  /** An `inspect <protocol> [map]` line of policy `policy`'s class, or its `no` form. */
  function inspectLine(insp: RegExpExecArray, policy: string, n: number, raw: string, where = ''): void {
    const proto = insp[2].toLowerCase();
    if (proto !== 'esmtp') {
      const meant = misspeltSmtp(proto, ASA_INSPECTS, 'esmtp');
      if (meant) report(n, raw, 'error', `no inspect "${proto}": did you mean ${meant}? (a misspelt protocol would leave ESMTP inspection off)`);
      else report(n, raw, 'ignored', `inspect ${proto}: the lab's firewall sees only the SMTP path`);
      return;
    }
    policies.get(policy)!.esmtp.push({ line: n, map: insp[3], off: !!insp[1] });
    report(n, raw, 'understood', `${insp[1] ? 'ESMTP inspection off' : `ESMTP inspection with ${insp[3] ?? 'the default map _default_esmtp_map'}`}${where}`);
  }

  function handleVersion(m: RegExpExecArray, n: number, raw: string) {
    if (m[1].toUpperCase() === 'PIX') {
      pixVersion = { major: Number(m[2]), text: `${m[2]}.${m[3]}`, line: n };
      report(n, raw, 'understood', Number(m[2]) < 5 ? 'PIX 4.x: Mailguard masks the whole banner (pix-4.4)' : 'PIX 5.x-6.x: Mailguard keeps 2, 0 and spaces in the banner (pix-5.1)');
    } else {
      sawAsa = true;
      asaVersionLine = n;
      report(n, raw, 'understood', 'ASA software: inspection by the modular policy framework');
    }
  }

  // —— Assemble the chain, each device's stages at the place of the line that turned it on ——
  const parts: { pos: number; refs: StageRef[] }[] = labStages.map((s) => ({ pos: s.pos, refs: [s.ref] }));
  let dialect: ParsedConfig['dialect'] = pixVersion ? 'pix' : 'none';
  if (pixVersion && !pixFixup) {
    // A PIX's configuration lists `fixup protocol smtp 25` (on by default) or its `no` form, so a
    // paste with neither is a part of one: say what the lab made of it.
    lines.find((l) => l.line === pixVersion!.line)!.note += '; no "fixup protocol smtp" line in the paste: taken as Mailguard off (paste the whole configuration: a PIX lists the fixup, on by default, or its "no" form)';
  }
  if (pixFixup) {
    dialect = 'pix';
    if (pixFixup.on) {
      const profile = pixVersion && pixVersion.major < 5 ? 'pix-4.4' : 'pix-5.1';
      if (!pixVersion) {
        const r = lines.find((l) => l.line === pixFixup!.line)!;
        r.note += ' (no "PIX Version" line: assumed 5.1 or later)';
      }
      parts.push({ pos: pixFixup.line, refs: PROFILES[profile].stages.map(normalizeRef) });
    }
  }
  if (asaVersionLine !== undefined && ![...policies.values()].some((p) => p.esmtp.length > 0)) {
    // As for a PIX above: the factory configuration's global_policy inspects ESMTP, so a paste
    // without any inspect esmtp line is a part of one.
    lines.find((l) => l.line === asaVersionLine)!.note += '; no "inspect esmtp" line in the paste: taken as ESMTP inspection off (paste the whole policy-map: a factory ASA\'s global_policy inspects ESMTP in class inspection_default)';
  }
  const used = new Set<string>();
  if (sawAsa) {
    dialect = dialect === 'pix' ? 'pix' : 'asa';
    for (const [name, p] of policies) {
      const active = applied.has(name) || !sawServicePolicy;
      for (const e of p.esmtp) {
        const r = lines.find((l) => l.line === e.line)!;
        if (!active) {
          r.status = 'ignored';
          r.note = `policy ${name} is not applied by any service-policy line`;
          continue;
        }
        if (!sawServicePolicy) r.note += ' (no service-policy line in the paste: assumed applied)';
        if (e.off) continue;
        const map = e.map && e.map !== '_default_esmtp_map' ? inspectMaps.get(e.map) : inspectMaps.get('_default_esmtp_map') ?? defaultEsmtpMap();
        if (map) used.add(map.name);
        if (!map) {
          r.status = 'error';
          r.note = `no "policy-map type inspect esmtp ${e.map}" in this configuration`;
          continue;
        }
        parts.push({ pos: e.line, refs: [...(map.maskBanner ? [normalizeRef({ name: 'mask-banner', config: {} })] : []), normalizeRef({ name: 'esmtp-inspect', config: map.config })] });
      }
    }
  }
  for (const map of inspectMaps.values()) {
    if (used.has(map.name)) continue;
    for (const n of map.lines) {
      const r = lines.find((l) => l.line === n);
      if (r && r.status === 'understood') {
        r.status = 'ignored';
        r.note = `${r.note} — but no applied policy inspects ESMTP with map ${map.name}`;
      }
    }
  }
  const chain = parts.sort((a, b) => a.pos - b.pos).flatMap((p) => p.refs);
  for (const w of withs) {
    const target = chain.find((r) => r.name === w.name);
    const r = lines.find((l) => l.line === w.line)!;
    if (!target) {
      r.status = 'error';
      r.note = `this configuration makes no ${w.name} stage to apply these settings to`;
      continue;
    }
    try {
      Object.assign(target, normalizeRef({ name: w.name, config: { ...target.config, ...w.config } }));
    } catch (error) {
      r.status = 'error';
      r.note = `settings of ${w.name}: ${(error as Error).message.replace(/\s+/g, ' ')}`;
    }
  }
  lines.sort((a, b) => a.line - b.line);
  notAConfiguration(lines);
  return { dialect, chain, lines, errors: lines.filter((l) => l.status === 'error') };
}

/**
 * A paste in which no line is one the lab reads is not taken as "a firewall that passes
 * everything": it is the wrong file or an empty one, and a tester who meant to rehearse their
 * firewall would otherwise run the lab through none without noticing. Its first line (or line 1
 * of an empty paste) carries the error; a firewall that really inspects nothing says so with a
 * line the lab reads (`no fixup protocol smtp 25`, `no inspect esmtp`, a version line).
 */
function notAConfiguration(lines: LineReport[]): void {
  if (lines.some((l) => l.status === 'understood' || l.status === 'error')) return;
  const readable = 'a line the lab reads from a PIX or ASA configuration (a "PIX Version" or "ASA Version" line, '
    + '"fixup protocol smtp 25", an "inspect esmtp" policy)';
  const first = lines.find((l) => l.status === 'ignored') ?? lines[0];
  if (!first) {
    lines.push({ line: 1, text: '', status: 'error', note: `the configuration is empty: expected at least ${readable}` });
    return;
  }
  first.status = 'error';
  first.note = `${first.note}; nothing in this configuration is ${readable}: is it the firewall's?`;
}
