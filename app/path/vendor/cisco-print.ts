/**
 * Printing a stage chain as Cisco configuration (docs/firewall-config.md): the parts a PIX or an
 * ASA can say in its own commands, and `! postcard-lab …` comment lines for the rest (a device
 * ignores comments; cisco-parse.ts reads them back), so every chain round-trips.
 *
 *   mask-banner-44 + command-filter{x}       → PIX Version 4.4 … fixup protocol smtp 25
 *   mask-banner + command-filter{noop}       → PIX Version 5.1 … fixup protocol smtp 25
 *   [mask-banner +] esmtp-inspect            → policy-map type inspect esmtp … service-policy …
 *   anything else                            → ! postcard-lab stage NAME {settings}
 */
import { PROFILES, type StageRef } from '../profiles.ts';
import { nonDefault, normalizeChain } from './chain.ts';
import { UNLIMITED } from './cisco-parse.ts';

export interface PrintOptions {
  /** The dialect of a chain with no SMTP inspection (`no fixup …` or `no inspect esmtp`). */
  dialect?: 'pix' | 'asa';
  /** The name of the printed ESMTP inspect map. */
  mapName?: string;
}

/** Does `refs` start (at i) with the stages of a profile, the named keys equal? */
function startsWithProfile(refs: StageRef[], i: number, profile: 'pix-4.4' | 'pix-5.1'): boolean {
  const want = normalizeChain(PROFILES[profile].stages);
  // Either EHLO outcome (command-filter style, docs/firewall-config.md) is the same fixup line.
  return want.every((w, k) => refs[i + k]?.name === w.name);
}

/** The command filter's settings a fixup line cannot say: its style when not the version's own. */
function filterWith(ref: StageRef, profile: 'pix-4.4' | 'pix-5.1'): string[] {
  const own = PROFILES[profile].stages.find((s) => s.name === 'command-filter')!.config.style;
  const extra = Object.fromEntries(Object.entries(nonDefault(ref.name, ref.config)).filter(([k]) => k !== 'style'));
  if (ref.config.style !== own) extra.style = ref.config.style;
  return Object.keys(extra).length ? [`! postcard-lab with ${ref.name} ${JSON.stringify(extra)}`] : [];
}

const labWith = (ref: StageRef, except: string[] = []): string[] => {
  const extra = Object.fromEntries(Object.entries(nonDefault(ref.name, ref.config)).filter(([k]) => !except.includes(k)));
  return Object.keys(extra).length ? [`! postcard-lab with ${ref.name} ${JSON.stringify(extra)}`] : [];
};

/**
 * The map, then the policy line that applies it, so the stage sits where the parser puts it (at
 * its `inspect esmtp` line) — before any lab stage printed after it.
 */
function esmtpBlock(maskBanner: boolean, ref: StageRef, mapName: string, first: boolean): string[] {
  const c = ref.config;
  // Cisco's `drop-connection log` for the lab's drop-connection (every drop is logged), `reset log`, or `log`.
  const limit = (key: string, actionKey: string, match: string) => (c[key] as number) >= UNLIMITED ? []
    : [` match ${match} gt ${String(c[key])}`, `  ${c[actionKey] === 'log' ? 'log' : `${String(c[actionKey] ?? 'drop-connection')} log`}`];
  return [
    `policy-map type inspect esmtp ${mapName}`,
    ' parameters',
    `  ${maskBanner ? '' : 'no '}mask-banner`,
    `  ${c.allowTls ? '' : 'no '}allow-tls`,
    ...limit('maxCommandLine', 'commandLineAction', 'cmd line length'),
    ...limit('maxRcpts', 'rcptsAction', 'cmd RCPT count'),
    ' match body line length gt 998',
    '  log',
    ...limit('maxHeaderLine', 'headerLineAction', 'header line length'),
    ...limit('maxSenderAddress', 'senderAddressAction', 'sender-address length'),
    ...limit('maxMimeFilename', 'mimeFilenameAction', 'MIME filename length'),
    ' match ehlo-reply-parameter others',
    '  mask',
    ...labWith(ref, ['allowTls', 'maxCommandLine', 'maxRcpts', 'maxHeaderLine', 'maxSenderAddress', 'maxMimeFilename',
      'commandLineAction', 'rcptsAction', 'headerLineAction', 'senderAddressAction', 'mimeFilenameAction']),
    ...(first ? ['class-map inspection_default', ' match default-inspection-traffic'] : []),
    'policy-map global_policy',
    ' class inspection_default',
    `  inspect esmtp ${mapName}`,
  ];
}

export function printCiscoConfig(input: readonly StageRef[], options: PrintOptions = {}): string {
  const refs = normalizeChain(input);
  const out: string[] = [];
  let pix: '4.4' | '5.1' | undefined;
  const maps: string[] = [];
  for (let i = 0; i < refs.length;) {
    const r = refs[i];
    if (!pix && startsWithProfile(refs, i, 'pix-4.4')) {
      pix = '4.4';
      out.push('fixup protocol smtp 25', ...labWith(refs[i]), ...filterWith(refs[i + 1], 'pix-4.4'));
      i += 2;
    } else if (!pix && startsWithProfile(refs, i, 'pix-5.1')) {
      pix = '5.1';
      out.push('fixup protocol smtp 25', ...filterWith(refs[i + 1], 'pix-5.1'));
      i += 2;
    } else if (r.name === 'mask-banner' && refs[i + 1]?.name === 'esmtp-inspect') {
      const name = `${options.mapName ?? 'postcard_esmtp_map'}${maps.length ? `_${maps.length + 1}` : ''}`;
      maps.push(name);
      out.push(...esmtpBlock(true, refs[i + 1], name, maps.length === 1));
      i += 2;
    } else if (r.name === 'esmtp-inspect') {
      const name = `${options.mapName ?? 'postcard_esmtp_map'}${maps.length ? `_${maps.length + 1}` : ''}`;
      maps.push(name);
      out.push(...esmtpBlock(false, r, name, maps.length === 1));
      i += 1;
    } else {
      const extra = nonDefault(r.name, r.config);
      out.push(`! postcard-lab stage ${r.name}${Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : ''}`);
      i += 1;
    }
  }
  const head = pix ? [`PIX Version ${pix}(1)`] : [];
  const tail = maps.length ? ['service-policy global_policy global'] : [];
  if (!pix && maps.length === 0) {
    const dialect = options.dialect ?? 'pix';
    if (dialect === 'pix') head.push('no fixup protocol smtp 25');
    else tail.push('policy-map global_policy', ' class inspection_default', '  no inspect esmtp', 'service-policy global_policy global');
  }
  const body = [...head, ...out, ...tail];
  return `${body.join('\n')}\n`;
}
