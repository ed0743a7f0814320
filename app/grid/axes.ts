/**
 * The compatibility grid's axes (docs/grid.md): sender server profile × receiver server profile ×
 * firewall profile × security method/level. A cell is one combination; it becomes a two-organisation
 * lab of its own (cellLab) with one message from Alice to Sean across the firewall.
 *
 * The firewall axis reads the profile registry (app/path/profiles.ts), so a profile added there is a
 * new column without a change here.
 */
import { firewallProfile, firewallProfileNames, PROFILE_NAMES } from '../path/profiles.ts';
import type { LabConfig } from '../config/lab.ts';
import type { SecurityEntry } from '../config/schema.ts';
import { serverProfile } from '../config/schema.ts';

export const SERVER_PROFILES = serverProfile.options;

/** The firewall axis: the profile registry's names (the API's enum) and summaries. */
export const FIREWALL_NAMES = PROFILE_NAMES;
export const FIREWALLS = (): { name: string; summary: string }[] => firewallProfileNames().map((name) => ({ name, summary: firewallProfile(name)!.summary }));
export type ServerProfileName = (typeof SERVER_PROFILES)[number];

/** The sender's security entry for the partner's domain, by a short name the grid prints. */
export const SECURITY_METHODS = {
  none: { method: 'none' },
  ntlm: { method: 'ntlm' },
  'ntlm-128': { method: 'ntlm', minKeyBits: 128 },
  may: { method: 'tls', level: 'may' },
  encrypt: { method: 'tls', level: 'encrypt' },
  verify: { method: 'tls', level: 'verify' },
} as const satisfies Record<string, Omit<SecurityEntry, 'domain' | 'logon' | 'via'>>;
export type SecurityMethodName = keyof typeof SECURITY_METHODS;
export const SECURITY_METHOD_NAMES = Object.keys(SECURITY_METHODS) as SecurityMethodName[];

export interface GridAxes {
  senders: ServerProfileName[];
  receivers: ServerProfileName[];
  firewalls: string[];
  methods: SecurityMethodName[];
}

export interface GridCell {
  /** Position in the full grid (row-major over senders, receivers, firewalls, methods). */
  index: number;
  sender: ServerProfileName;
  receiver: ServerProfileName;
  firewall: string;
  method: SecurityMethodName;
}

/**
 * The default grid's products: the four the lab's stories are about (docs/grid.md). Any other
 * registered product can be chosen with --senders / --receivers or in the grid view.
 */
export const DEFAULT_PROFILES: ServerProfileName[] = ['exchange-5.5', 'exchange-2019', 'postfix', 'generic'];

export function defaultAxes(): GridAxes {
  return { senders: [...DEFAULT_PROFILES], receivers: [...DEFAULT_PROFILES], firewalls: [...PROFILE_NAMES], methods: [...SECURITY_METHOD_NAMES] };
}

export function gridCells(axes: GridAxes): GridCell[] {
  const cells: GridCell[] = [];
  for (const sender of axes.senders) {
    for (const receiver of axes.receivers) {
      for (const firewall of axes.firewalls) {
        for (const method of axes.methods) cells.push({ index: cells.length, sender, receiver, firewall, method });
      }
    }
  }
  return cells;
}

/** `--shard I/N`: every N-th cell starting at I (1-based), as `run --shard` picks scenarios. */
export function shardCells(cells: GridCell[], shard: { index: number; count: number } | undefined): GridCell[] {
  return shard ? cells.filter((_, i) => i % shard.count === shard.index - 1) : cells;
}

export const cellId = (c: Pick<GridCell, 'sender' | 'receiver' | 'firewall' | 'method'>): string =>
  `${c.sender}__${c.receiver}__${c.firewall}__${c.method}`;

export const CELL_LOGON = { domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' };

/**
 * The lab of one cell. Both organisations keep NT accounts (so AUTH NTLM is offered) and the
 * receiver offers STARTTLS with a valid certificate: every failure is then the firewall's or the
 * policy's, never a missing feature of the lab. `timeout` bounds a session that waits on a
 * greeting that never ends (pix-4.4).
 */
export function cellLab(cell: GridCell, options: { seed: number; timeout: string; firewall?: unknown }): LabConfig {
  const entry = { domain: 'ntsol.example', ...SECURITY_METHODS[cell.method], ...(SECURITY_METHODS[cell.method].method === 'ntlm' ? { logon: CELL_LOGON } : {}) } as SecurityEntry;
  return {
    seed: options.seed,
    clock: { start: '2026-11-28T09:00:00Z' },
    orgs: [
      {
        id: 'intellinet', domain: 'intellinet.example', profile: cell.sender, aliases: [],
        nt: { domain: 'INTELLINET', crypto: 'us-128', lmCompatibility: 2 },
        users: ['alice'], hosts: [{ name: 'mail.intellinet.example', address: '192.0.2.10', certificate: 'valid' }],
        accounts: [], inbound: { starttls: true, requireTls: false }, security: [entry],
      },
      {
        id: 'ntsol', domain: 'ntsol.example', profile: cell.receiver, aliases: [],
        nt: { domain: 'NTSOL', crypto: 'us-128', lmCompatibility: 2 },
        users: ['sean'], hosts: [{ name: 'mail.ntsol.example', address: '198.51.100.25', certificate: 'valid' }],
        accounts: [{ ...CELL_LOGON, disabled: false }], inbound: { starttls: true, requireTls: false }, security: [],
      },
    ],
    dns: [], dnssec: [],
    paths: [{ between: ['intellinet', 'ntsol'], via: 'firewall', firewall: (options.firewall ?? { profile: cell.firewall }) as never }],
    settings: { timeout: options.timeout },
  };
}
