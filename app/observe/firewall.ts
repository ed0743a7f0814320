/**
 * The firewall's own view (a path `via: firewall`): its configuration in the vendor's words, the
 * stage chain it runs, counters in the style of `show service-policy inspect esmtp`, and a syslog
 * stream in the vendor's message formats — all derived from what the taps recorded and the marks
 * the stages left on the bytes they changed, never from a second model of the firewall.
 *
 * Interfaces: the firewall stands in front of the receiving server (Mailguard and `inspect esmtp`
 * protect an inside mail server), so the client's side is `outside` and the server's `inside`.
 * Message formats: docs/ui.md says which come from Cisco's syslog reference and which are
 * reconstructed.
 */
import type { Lab } from '../lab/lab.ts';
import { MONTHS, pad2, timeOfDay } from '../base/calendar.ts';
import type { PathInfo } from '../lab/topology.ts';
import { firewallProfile, firewallProfileNames, profileStages, type ProfileSpec, type StageRef } from '../path/profiles.ts';
import { stageDefinition } from '../path/stages/stage.ts';
import type { Endpoint, StageMark, TapConnection, TapRecord } from '../capture/tap.ts';
import type { ConnFacts } from './facts.ts';
import { packetOf } from './facts.ts';
import { readSmtp } from './smtp-reader.ts';

export interface FirewallCounters {
  connections: number;
  /** SMTP command lines the firewall read from clients (outside TLS, seal layers and DATA content). */
  commands: number;
  /** Marks of bytes a stage changed in place (masked or overwritten). */
  masked: number;
  /** Marks of bytes a stage dropped. */
  dropped: number;
  /** Connections the firewall reset or refused. */
  reset: number;
  /** Bytes a stage let pass but logged (an ASA `match … log`). */
  logged: number;
  perStage: { stage: string; changed: number; dropped: number; added: number; logged: number }[];
}

export interface SyslogLine {
  text: string;
  labTime: number;
  conn: string;
  point: string;
  packet?: number;
}

export interface FirewallView {
  path: string;
  profile: string;
  vendor: 'pix' | 'asa' | 'lab';
  summary: string;
  /** The configuration as the vendor's CLI shows it (`show running-config`). */
  config: string[];
  stages: { name: string; summary: string; config: Record<string, unknown> }[];
  /** PIX only: what the sender gets back for EHLO, and why (the `command-filter` style). */
  ehlo?: { style: 'noop' | 'x'; reply: string; how: string };
  counters: FirewallCounters;
  /** `show service-policy inspect esmtp` (ASA) / `show fixup` (PIX), with the counters filled in. */
  show: string[];
  syslog: SyslogLine[];
}

type Vendor = FirewallView['vendor'];

function vendorOf(profile: string): Vendor {
  if (profile.startsWith('pix-')) return 'pix';
  return profile === 'asa' ? 'asa' : 'lab';
}

function stageConfig(stages: StageRef[], name: string): Record<string, unknown> {
  const ref = stages.find((s) => s.name === name);
  const parsed = ref ? stageDefinition(name)?.schema.safeParse(ref.config) : undefined;
  return parsed?.success ? (parsed.data as Record<string, unknown>) : {};
}

/** `match … gt N` and its action as `show running-config policy-map` prints them (a drop is always logged). */
function limitLines(c: Record<string, unknown>, key: string, actionKey: string, match: string): string[] {
  const action = String(c[actionKey] ?? 'drop-connection');
  return [` match ${match} gt ${String(c[key])}`, `  ${action === 'log' ? 'log' : `${action} log`}`];
}

/**
 * The PIX's answer to EHLO (Microsoft KB 320027: "you receive a 'Command unrecognized' or an 'OK'
 * response"): Mailguard writes NOOP over it and the server answers 250 OK (style noop), or Xs and
 * the server answers 500 Command unrecognized (style x) — docs/firewall-config.md.
 */
export function pixEhloOutcome(profile: string, stages: StageRef[]): { style: 'noop' | 'x'; reply: string; how: string } | undefined {
  if (vendorOf(profile) !== 'pix') return undefined;
  const style = stageConfig(stages, 'command-filter').style === 'x' ? 'x' : 'noop';
  return style === 'x'
    ? { style, reply: '500 Command unrecognized', how: 'EHLO overwritten with Xs, the server refuses it and the sender falls back to HELO' }
    : { style, reply: '250 OK', how: 'EHLO overwritten with NOOP, the server answers the NOOP' };
}

/** A firewall spec's EHLO outcome when it is a PIX (the command filter's style), for the Rehearse tab's control. */
export function pixEhlo(spec: ProfileSpec | undefined): 'noop' | 'x' | undefined {
  return spec ? pixEhloOutcome(spec.profile, profileStages(spec))?.style : undefined;
}

/**
 * Every registered firewall profile as a list shows it (the contract's FirewallProfileView): its
 * summary, its vendor's words, the command that turns it off, and a PIX's own EHLO outcome.
 */
export function firewallProfileList(): { name: string; summary: string; label?: string; off?: string; ehlo?: 'noop' | 'x' }[] {
  return firewallProfileNames().map((name) => {
    const p = firewallProfile(name)!;
    const ehlo = pixEhloOutcome(name, p.stages)?.style;
    return { name, summary: p.summary, ...(p.label ? { label: p.label } : {}), ...(p.off ? { off: p.off } : {}), ...(ehlo ? { ehlo } : {}) };
  });
}

/** The configuration lines of the modelled device, with the parameters the lab's stages use. */
export function firewallConfig(profile: string, stages: StageRef[], inside: { address: string; name: string }): string[] {
  const common = (version: string) => [
    `: ${version} — the lines of the configuration this lab models`,
    'nameif ethernet0 outside security0',
    'nameif ethernet1 inside security100',
    `static (inside,outside) ${inside.address} ${inside.address} netmask 255.255.255.255`,
  ];
  const vendor = vendorOf(profile);
  switch (vendor) {
    case 'pix': {
      const ehlo = pixEhloOutcome(profile, stages);
      const outcome = ehlo ? [`! EHLO outcome: ${ehlo.reply} (${ehlo.how}; lab setting command-filter style ${ehlo.style})`] : [];
      return profile === 'pix-4.4'
        ? [...common('PIX Version 4.4(4)'), `conduit permit tcp host ${inside.address} eq smtp any`, 'fixup protocol smtp 25', ...outcome]
        : [...common('PIX Version 5.1(1)'), `access-list outside_in permit tcp any host ${inside.address} eq smtp`, 'access-group outside_in in interface outside', 'fixup protocol smtp 25', ...outcome];
    }
    case 'asa': {
      const c = stageConfig(stages, 'esmtp-inspect');
      const masked = stages.some((s) => s.name === 'mask-banner');
      return [
        ': ASA Version 9.x — the lines of the configuration this lab models',
        'interface GigabitEthernet0/0', ' nameif outside', ' security-level 0',
        'interface GigabitEthernet0/1', ' nameif inside', ' security-level 100',
        `access-list outside_in extended permit tcp any host ${inside.address} eq smtp`,
        'access-group outside_in in interface outside',
        'policy-map type inspect esmtp _default_esmtp_map',
        ' description Default ESMTP policy-map',
        ' parameters',
        ...(masked ? ['  mask-banner'] : []),
        '  no mail-relay',
        '  no special-character',
        `  ${c.allowTls ? 'allow-tls' : 'no allow-tls'}`,
        ...limitLines(c, 'maxCommandLine', 'commandLineAction', 'cmd line length'),
        ...limitLines(c, 'maxRcpts', 'rcptsAction', 'cmd RCPT count'),
        ' match body line length gt 998', '  log',
        ...limitLines(c, 'maxHeaderLine', 'headerLineAction', 'header line length'),
        ...limitLines(c, 'maxSenderAddress', 'senderAddressAction', 'sender-address length'),
        ...limitLines(c, 'maxMimeFilename', 'mimeFilenameAction', 'MIME filename length'),
        ' match ehlo-reply-parameter others', '  mask',
        'policy-map global_policy', ' class inspection_default', '  inspect esmtp _default_esmtp_map',
        'service-policy global_policy global',
      ];
    }
    case 'lab':
      return [`! ${profile}: a lab model with no vendor configuration; its stages are listed below`];
    default: {
      const never: never = vendor;
      return never;
    }
  }
}

// —— syslog ——

/** `logging timestamp` style: `Nov 28 2026 09:00:00` (UTC, the lab clock). */
export function syslogStamp(labTime: number): string {
  const d = new Date(labTime);
  return `${MONTHS[d.getUTCMonth()]} ${pad2(d.getUTCDate())} ${d.getUTCFullYear()} ${timeOfDay(d)}`;
}

function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 3600)}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}`;
}

const ep = (e: Endpoint) => `${e.ip}/${e.port}`;
const connId = (conn: string) => Number(/\d+/.exec(conn)?.[0] ?? 0);
/** Printable text of bytes a stage touched, one line, cut. */
function shown(bytes: Buffer | undefined): string {
  const text = (bytes ?? Buffer.alloc(0)).toString('latin1').replace(/\r?\n$/, '').replace(/[\x00-\x1f\x7f-\xff]/g, '.');
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

export interface SyslogInput {
  vendor: Vendor;
  connection: TapConnection;
}

/** `%ASA-6-302013` / `%PIX-6-302013`: a connection through the firewall was built. */
export function builtLine(v: Vendor, c: TapConnection): string {
  const tag = v === 'pix' ? 'PIX' : 'ASA';
  return `%${tag}-6-302013: Built inbound TCP connection ${connId(c.conn)} for outside:${ep(c.client)} (${ep(c.client)}) to inside:${ep(c.server)} (${ep(c.server)})`;
}

/** `%ASA-6-302014`: teardown, with the bytes carried and why it ended. */
export function teardownLine(v: Vendor, c: TapConnection, bytes: number): string {
  const tag = v === 'pix' ? 'PIX' : 'ASA';
  const why = c.closedBy === 'reset' ? 'Flow closed by inspection' : c.closedBy === 'client' ? 'TCP FINs' : c.closedBy === 'server' ? 'TCP FINs' : 'TCP Reset-O';
  return `%${tag}-6-302014: Teardown TCP connection ${connId(c.conn)} for outside:${ep(c.client)} to inside:${ep(c.server)} duration ${duration((c.closedAt ?? c.openedAt) - c.openedAt)} bytes ${bytes} ${why}`;
}

/**
 * One stage mark as the device would log it. PIX: `%PIX-4-108002: SMTP replaced string: out A in B
 * data: S` (Mailguard's replacement message). ASA: `%ASA-4-108004: action_class: action ESMTP
 * req_resp from src_ifc:sip/sport to dest_ifc:dip/dport;further_info`.
 */
export function markLine(v: Vendor, c: TapConnection, dir: 'c2s' | 's2c', mark: StageMark): string {
  const data = shown(mark.original);
  if (v === 'pix') return `%PIX-4-108002: SMTP replaced string: out ${c.client.ip} in ${c.server.ip} data: ${data}`;
  const from = dir === 'c2s' ? `outside:${ep(c.client)}` : `inside:${ep(c.server)}`;
  const to = dir === 'c2s' ? `inside:${ep(c.server)}` : `outside:${ep(c.client)}`;
  const action = mark.action === 'dropped' ? 'Drop-connection' : mark.action === 'added' || mark.action === 'logged' ? 'Log' : 'Mask';
  const reqResp = dir === 'c2s' ? 'Request' : 'Response';
  const tag = v === 'asa' ? '%ASA-4-108004' : `postcard-lab ${mark.stage}`;
  return `${tag}: ${mark.stage}: ${action} ESMTP ${reqResp} from ${from} to ${to};${mark.note ?? ''}${data ? ` data: ${data}` : ''}`;
}

export function firewallView(lab: Lab, path: PathInfo, facts: ConnFacts[]): FirewallView {
  const profile = path.config.firewall?.profile ?? 'pass';
  const vendor = vendorOf(profile);
  const refs = profileStages(path.config.firewall ?? {});
  const mine = facts.filter((f) => f.path === path.id);
  const inside = lab.config.orgs.find((o) => o.id === path.config.between[1])?.hosts.find((h) => !path.config.to || h.name === path.config.to)
    ?? { name: path.config.between[1], address: '0.0.0.0' };
  // The wire point records what one side of the box records (docs/packet-view.md): counted once,
  // at the box's own edges — the sender's side of each connection and the receiver's.
  const roles = (point: string) => lab.pointRoles().get(point) ?? [];
  const edges = mine.filter((f) => roles(f.point).some((r) => r !== 'wire'));
  const outsideFacts = edges.filter((f) => roles(f.point).includes('sender'));

  const perStage = new Map<string, FirewallCounters['perStage'][number]>();
  for (const ref of refs) if (!perStage.has(ref.name)) perStage.set(ref.name, { stage: ref.name, changed: 0, dropped: 0, added: 0, logged: 0 });
  let commands = 0;
  const syslog: (SyslogLine & { order: number })[] = [];
  const log = (text: string, f: ConnFacts, order: number, record?: TapRecord) =>
    syslog.push({ text: `${syslogStamp(record?.labTime ?? f.connection.labTime)}: ${text}`, labTime: record?.labTime ?? f.connection.labTime, conn: f.conn, point: f.point, order, ...(record ? { packet: packetOf(lab, record) } : {}) });

  for (const f of outsideFacts) {
    const c = f.connection;
    commands += readSmtp(f.records, { sealed: f.attempt?.sealed === true }).filter((i) => i.kind === 'command' && !i.continuation).length;
    log(builtLine(vendor, c), f, c.openedAt);
    if (c.closedAt !== undefined) {
      const bytes = edges.filter((x) => x.conn === f.conn && roles(x.point).includes('receiver')).flatMap((x) => x.records).reduce((n, r) => n + r.bytes.length, 0);
      log(teardownLine(vendor, c, bytes), f, c.closedAt + 0.5);
    }
  }
  for (const f of edges) {
    for (const { record, mark } of f.marks) {
      const s = perStage.get(mark.stage) ?? { stage: mark.stage, changed: 0, dropped: 0, added: 0, logged: 0 };
      s[mark.action]++;
      perStage.set(mark.stage, s);
      log(markLine(vendor, f.connection, record.dir, mark), f, record.t, record);
    }
  }
  const resetConns = new Set(mine.filter((f) => f.connection.closedBy === 'reset' || f.connection.closedBy === 'refused').map((f) => f.conn));
  const stages = [...perStage.values()];
  const counters: FirewallCounters = {
    connections: outsideFacts.length,
    commands,
    masked: stages.reduce((n, s) => n + s.changed, 0),
    dropped: stages.reduce((n, s) => n + s.dropped, 0),
    logged: stages.reduce((n, s) => n + s.logged, 0),
    reset: resetConns.size,
    perStage: stages,
  };
  return {
    path: path.id, profile, vendor, summary: firewallProfile(profile)?.summary ?? profile,
    config: firewallConfig(profile, refs, inside),
    stages: refs.map((r) => ({ name: r.name, summary: stageDefinition(r.name)?.summary ?? '', config: stageConfig(refs, r.name) })),
    ...(pixEhloOutcome(profile, refs) ? { ehlo: pixEhloOutcome(profile, refs) } : {}),
    counters,
    show: showInspect(vendor, counters, outsideFacts.reduce((n, f) => n + f.records.length, 0)),
    syslog: syslog.sort((a, b) => a.order - b.order).map(({ order: _order, ...line }) => line),
  };
}

/** The counters as the device's show command words them. */
export function showInspect(vendor: Vendor, c: FirewallCounters, packets: number): string[] {
  const stage = (name: string) => c.perStage.find((s) => s.stage === name) ?? { changed: 0, dropped: 0, added: 0, logged: 0 };
  switch (vendor) {
    case 'asa': {
      const inspect = stage('esmtp-inspect');
      return [
        'Global policy:',
        '  Service-policy: global_policy',
        '    Class-map: inspection_default',
        `      Inspect: esmtp _default_esmtp_map, packet ${packets}, lock fail 0, drop ${c.dropped}, reset-drop ${c.reset}`,
        `        commands inspected ${c.commands}, masked ${c.masked}, connections reset ${c.reset}`,
        `        mask-banner, count ${stage('mask-banner').changed}`,
        `        match ehlo-reply-parameter others / not an inspected command: mask, count ${inspect.changed}`,
        `        drop-connection log, count ${inspect.dropped}`,
        `        log, count ${inspect.logged}`,
      ];
    }
    case 'pix':
      return [
        'fixup protocol smtp 25',
        `  (lab counters, the PIX shows none) connections ${c.connections}, commands seen ${c.commands}, replaced ${c.masked}, dropped ${c.dropped}, reset ${c.reset}`,
      ];
    case 'lab':
      return [`connections ${c.connections}, commands seen ${c.commands}, changed ${c.masked}, dropped ${c.dropped}, reset ${c.reset}`];
    default: {
      const never: never = vendor;
      return never;
    }
  }
}
