/**
 * Inferring a middlebox from both sides of it (docs/infer.md): the dialogue as the sender had it
 * (`sent`: its commands before the box, the replies it got after it) against the dialogue on the
 * wire (the commands the server got, the replies it sent). Each difference is explained by a stage
 * of the lab's registry (docs/stages.md) or reported, with its packet numbers, as unexplained.
 *
 *   greeting   "220 ***…"  vs "220 host ESMTP"     → mask-banner (2, 0 and spaces kept) / mask-banner-44
 *   command    "EHLO x"    vs "NOOP    …"          → command-filter { style: noop }
 *              "EHLO x"    vs "XXXXXX"             → command-filter { style: x } or esmtp-inspect
 *              STARTTLS withheld, answered 454     → strip-starttls
 *   EHLO reply "250-XXXXXXXA" vs "250-STARTTLS"   → esmtp-inspect (no allow-tls)
 *              STARTTLS line missing               → strip-starttls
 *   AUTH NTLM  flags cleared in NEGOTIATE/CHALLENGE → ntlm-downgrade { clear }
 *   sealed bytes → X…X on the wire                 → esmtp-inspect (mask after AUTH)
 *   lines after STARTTLS only on the wire          → injector { at: starttls, text }
 *   any other changed or dropped line              → rewrite rule (replace / drop)
 */
import type { StageRef } from '../path/profiles.ts';
import { firewallProfiles } from '../path/profiles.ts';
import { normalizeChain } from '../path/vendor/chain.ts';
import { MAILGUARD_COMMANDS } from '../path/stages/command-filter.ts';
import { NTLM_FLAGS } from '../path/stages/ntlm-downgrade.ts';
import { verbOf, type Dialogue, type Exchange, type Reply } from './smtp.ts';

export interface Evidence {
  stage: string;
  text: string;
  sentPackets: number[];
  wirePackets: number[];
}

export interface Unexplained {
  text: string;
  sentPackets: number[];
  wirePackets: number[];
}

export interface Inference {
  chain: StageRef[];
  evidence: Evidence[];
  unexplained: Unexplained[];
  pairs: { sent: Dialogue; wire: Dialogue }[];
}

interface Found {
  bannerMask?: 'mask-banner' | 'mask-banner-44' | 'mask-banner-44-keep';
  commandStyle?: 'noop' | 'x';
  denied: Set<string>;
  passed: Set<string>;
  asa: boolean;
  asaAllowTls?: boolean;
  strip: boolean;
  ntlmClear: Set<string>;
  inject?: string;
  injectReady?: string;
  rewrite: { dir: 'c2s' | 's2c'; match: { regex: string; flags: string }; action: 'replace' | 'drop'; replace?: string }[];
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pk = (l?: { packet: number }) => (l ? [l.packet] : []);

/** PIX 5.1+ Mailguard banner: every character but 2, 0 and space becomes * (docs/stages.md). */
export const maskBanner51 = (text: string) => text.slice(0, 4) + text.slice(4).replace(/[^20 ]/g, '*');

function compareGreeting(s: Reply | undefined, w: Reply | undefined, f: Found, ev: Evidence[], un: Unexplained[]): void {
  if (!s || !w) {
    if (s || w) un.push({ text: `the greeting is on only one side (${s ? 'sent' : 'wire'})`, sentPackets: pk(s), wirePackets: pk(w) });
    return;
  }
  const st = s.lines.map((l) => l.text).join('\n'), wt = w.lines.map((l) => l.text).join('\n');
  if (st === wt) return;
  const wLine = w.lines[0], sLine = s.lines[0];
  // PIX 4.4 masks the whole banner, its CRLF too. If the server spoke again before the session
  // ended (its own timeout, a 421), that reply ran on into the greeting's line on the sender's side.
  const masked = `220 ${'*'.repeat(wLine.raw.length - 4)}`;
  const neverEnded = !sLine.terminated && /^\*+$/.test(sLine.text.slice(4)) && sLine.raw.length === wLine.raw.length;
  const ranOn = w.lines.length === 1 && wLine.terminated && sLine.text.length > masked.length && sLine.text.startsWith(masked);
  if (neverEnded || ranOn) {
    f.bannerMask = 'mask-banner-44';
    const text = `the whole banner became * including its CRLF: the greeting never ended${ranOn ? ', and the next reply ran on in its line' : ''}`;
    ev.push({ stage: 'mask-banner-44', text, sentPackets: pk(sLine), wirePackets: pk(wLine) });
    return;
  }
  if (s.lines.length === w.lines.length && s.lines.every((l, i) => l.text === maskBanner51(w.lines[i].text))) {
    f.bannerMask = 'mask-banner';
    ev.push({ stage: 'mask-banner', text: 'banner characters other than 2, 0 and space became *', sentPackets: pk(sLine), wirePackets: pk(wLine) });
    return;
  }
  if (s.lines.every((l, i) => w.lines[i] && /^\*+$/.test(l.text.slice(4)) && l.text.length === w.lines[i].text.length)) {
    f.bannerMask = 'mask-banner-44-keep';
    ev.push({ stage: 'mask-banner-44', text: 'the whole banner text became *, line end kept', sentPackets: pk(sLine), wirePackets: pk(wLine) });
    return;
  }
  for (let i = 0; i < Math.max(s.lines.length, w.lines.length); i++) {
    const a = s.lines[i], b = w.lines[i];
    if (a && b && a.text !== b.text) f.rewrite.push({ dir: 's2c', match: { regex: `^${escapeRe(b.text)}$`, flags: '' }, action: 'replace', replace: a.text });
  }
  ev.push({ stage: 'rewrite', text: 'the greeting was rewritten', sentPackets: pk(sLine), wirePackets: pk(wLine) });
}

const isNoopOverwrite = (s: string, w: string) => w.length === s.length && /^NOOP *$/.test(w) && s.length >= 4;
const isXOverwrite = (s: string, w: string) => w.length === s.length && /^X+$/.test(w) && !/^X+$/.test(s);

function ntlmFlags(b64: string): number | undefined {
  const buf = Buffer.from(b64.trim(), 'base64');
  if (buf.length < 16 || buf.subarray(0, 8).toString('latin1') !== 'NTLMSSP\0') return undefined;
  const type = buf.readUInt32LE(8);
  if (type === 1) return buf.readUInt32LE(12);
  if (type === 2 && buf.length >= 24) return buf.readUInt32LE(20);
  return undefined;
}

function compareNtlm(sText: string, wText: string, f: Found, ev: Evidence[], sp: number[], wp: number[]): boolean {
  const blob = (t: string) => t.replace(/^(AUTH NTLM |334 )/i, '');
  const a = ntlmFlags(blob(sText)), b = ntlmFlags(blob(wText));
  if (a === undefined || b === undefined || a === b) return false;
  // The sender's own NEGOTIATE flags (c2s) were cleared on the way to the server; the server's
  // CHALLENGE flags (s2c) on the way back: either way the side that receives sees fewer bits.
  const [before, after] = sText.startsWith('334') ? [b, a] : [a, b];
  const cleared = Object.entries(NTLM_FLAGS).filter(([, bit]) => (before & bit) !== 0 && (after & bit) === 0).map(([n]) => n);
  if (cleared.length === 0 || (after & ~before) !== 0) return false;
  for (const c of cleared) f.ntlmClear.add(c);
  ev.push({ stage: 'ntlm-downgrade', text: `NTLM flags cleared in transit: ${cleared.join(', ')}`, sentPackets: sp, wirePackets: wp });
  return true;
}

function compareReply(s: Reply | undefined, w: Reply | undefined, verb: string, f: Found, ev: Evidence[], un: Unexplained[]): void {
  if (!s || !w) return;
  const st = s.lines.map((l) => l.text), wt = w.lines.map((l) => l.text);
  if (st.join('\n') === wt.join('\n')) return;
  if (verb === 'EHLO') {
    const masked = s.lines.filter((l, i) => wt[i] && l.text !== wt[i] && /^250[- ]X+A$/.test(l.text) && l.text.length === wt[i].length);
    if (masked.length && s.lines.length === w.lines.length) {
      f.asa = true;
      const starttls = masked.some((l) => /STARTTLS/i.test(wt[s.lines.indexOf(l)]));
      if (starttls) f.asaAllowTls = false;
      ev.push({ stage: 'esmtp-inspect', text: `EHLO keywords masked X…A: ${masked.map((l) => wt[s.lines.indexOf(l)].slice(4)).join(', ')}`, sentPackets: masked.map((l) => l.packet), wirePackets: pk(w) });
      return;
    }
    const missing = wt.filter((t) => !st.includes(t) && !st.includes(t.replace(/^250-/, '250 ')));
    if (missing.length === 1 && /^250[- ]STARTTLS$/i.test(missing[0]) && st.length === wt.length - 1) {
      f.strip = true;
      ev.push({ stage: 'strip-starttls', text: 'the STARTTLS line was deleted from the EHLO reply', sentPackets: pk(s), wirePackets: pk(w) });
      return;
    }
  }
  if (s.code === 334 && w.code === 334 && compareNtlm(st.join(''), wt.join(''), f, ev, pk(s), pk(w))) return;
  if (st.length === wt.length) {
    st.forEach((t, i) => {
      if (t !== wt[i]) f.rewrite.push({ dir: 's2c', match: { regex: `^${escapeRe(wt[i])}$`, flags: '' }, action: 'replace', replace: t });
    });
    ev.push({ stage: 'rewrite', text: `reply to ${verb || 'a command'} rewritten: "${wt.join(' / ')}" → "${st.join(' / ')}"`, sentPackets: pk(s), wirePackets: pk(w) });
    return;
  }
  un.push({ text: `the reply to ${verb || 'a command'} differs in its number of lines ("${wt.join(' / ')}" sent, "${st.join(' / ')}" received)`, sentPackets: pk(s), wirePackets: pk(w) });
}

function compareExchanges(sent: Dialogue, wire: Dialogue, f: Found, ev: Evidence[], un: Unexplained[]): void {
  const S = sent.exchanges, W = wire.exchanges;
  let i = 0, j = 0;
  const same = (a?: Exchange, b?: Exchange) => !!a && !!b && (a.line.text === b.line.text || (a.line.text.length === b.line.text.length && a.line.text.length > 0));
  while (i < S.length || j < W.length) {
    const s = S[i], w = W[j];
    if (s && !w) {
      const verb = verbOf(s.line.text);
      if (verb === 'STARTTLS' && s.reply?.code === 454) {
        f.strip = true;
        ev.push({ stage: 'strip-starttls', text: 'STARTTLS was withheld from the server and answered 454', sentPackets: [s.line.packet, ...pk(s.reply)], wirePackets: [] });
      } else un.push({ text: `"${s.line.text}" was sent but never reached the server${wire.endedBy?.how === 'rst' ? ' (the wire side was reset)' : ''}`, sentPackets: [s.line.packet], wirePackets: wire.endedBy ? [wire.endedBy.packet] : [] });
      i++;
      continue;
    }
    if (!s && w) {
      // Sealed bytes the box overwrote with X: compareOpaque explains them.
      if (sent.opaque?.from === 'binary' && /^X*$/.test(w.line.text)) {
        j++;
        continue;
      }
      un.push({ text: `"${w.line.text}" reached the server but the sender never sent it`, sentPackets: [], wirePackets: [w.line.packet] });
      j++;
      continue;
    }
    if (!same(s, w) && verbOf(s.line.text) === 'STARTTLS' && s.reply?.code === 454 && same(S[i + 1], w)) {
      f.strip = true;
      ev.push({ stage: 'strip-starttls', text: 'STARTTLS was withheld from the server and answered 454', sentPackets: [s.line.packet, ...pk(s.reply)], wirePackets: [] });
      i++;
      continue;
    }
    const st = s.line.text, wt = w.line.text, verb = verbOf(st);
    if (st === wt) {
      if (s.kind === 'command' && verb) f.passed.add(verb);
    } else if (isNoopOverwrite(st, wt)) {
      f.commandStyle = 'noop';
      f.denied.add(verb);
      ev.push({ stage: 'command-filter', text: `${verb} was overwritten in place with NOOP and spaces`, sentPackets: [s.line.packet], wirePackets: [w.line.packet] });
    } else if (isXOverwrite(st, wt)) {
      f.denied.add(verb);
      f.commandStyle ??= 'x';
      ev.push({ stage: 'command-filter', text: `${verb} was overwritten in place with X`, sentPackets: [s.line.packet], wirePackets: [w.line.packet] });
    } else if (/^AUTH NTLM /i.test(st) || s.kind === 'auth-response') {
      if (!compareNtlm(st, wt, f, ev, [s.line.packet], [w.line.packet])) {
        f.rewrite.push({ dir: 'c2s', match: { regex: `^${escapeRe(st)}$`, flags: '' }, action: 'replace', replace: wt });
        ev.push({ stage: 'rewrite', text: `AUTH line rewritten`, sentPackets: [s.line.packet], wirePackets: [w.line.packet] });
      }
    } else {
      f.rewrite.push({ dir: 'c2s', match: { regex: `^${escapeRe(st)}$`, flags: '' }, action: 'replace', replace: wt });
      ev.push({ stage: 'rewrite', text: `"${st}" reached the server as "${wt}"`, sentPackets: [s.line.packet], wirePackets: [w.line.packet] });
    }
    compareReply(s.reply, w.reply, verb, f, ev, un);
    i++;
    j++;
  }
}

function compareOpaque(sent: Dialogue, wire: Dialogue, f: Found, ev: Evidence[], un: Unexplained[]): void {
  // Sealed bytes after AUTH on the sender's side arrive as X…X lines on the wire (esmtp-inspect).
  if (sent.opaque?.from === 'binary' && !wire.opaque && wire.exchanges.length > sent.exchanges.length) {
    const extra = wire.exchanges.slice(sent.exchanges.length);
    if (extra.every((e) => /^X*$/.test(e.line.text))) {
      f.asa = true;
      ev.push({ stage: 'esmtp-inspect', text: 'sealed bytes after AUTH were overwritten with X on the way to the server', sentPackets: [sent.opaque.packet], wirePackets: extra.map((e) => e.line.packet) });
      return;
    }
  }
  if (sent.afterStarttls.length === 0 && wire.afterStarttls.length > 0) {
    f.inject = wire.afterStarttls.map((l) => l.raw.toString('latin1')).join('');
    ev.push({ stage: 'injector', text: `plaintext after STARTTLS reached the server that the sender never sent: ${JSON.stringify(f.inject)}`, sentPackets: [], wirePackets: wire.afterStarttls.map((l) => l.packet) });
  }
  if (sent.serverAfterStarttls.length > 0 && wire.serverAfterStarttls.length === 0) {
    f.injectReady = sent.serverAfterStarttls.map((l) => l.raw.toString('latin1')).join('');
    ev.push({ stage: 'injector', text: `plaintext after the 220 to STARTTLS reached the sender that the server never sent: ${JSON.stringify(f.injectReady)}`, sentPackets: sent.serverAfterStarttls.map((l) => l.packet), wirePackets: [] });
  }
  if (sent.opaque && wire.opaque && sent.opaque.from === 'tls') {
    // Inside TLS the box cannot read or change anything without the keys: nothing to compare.
    return;
  }
  if (!!sent.opaque !== !!wire.opaque && !f.asa) {
    un.push({ text: `opaque bytes (${(sent.opaque ?? wire.opaque)!.from}) on only one side`, sentPackets: sent.opaque ? [sent.opaque.packet] : [], wirePackets: wire.opaque ? [wire.opaque.packet] : [] });
  }
}

/** The stage chain the findings stand for, in the order the lab's profiles use. */
function chainOf(f: Found): StageRef[] {
  const chain: StageRef[] = [];
  if (f.bannerMask === 'mask-banner') chain.push({ name: 'mask-banner', config: {} });
  if (f.bannerMask === 'mask-banner-44') chain.push({ name: 'mask-banner-44', config: {} });
  if (f.bannerMask === 'mask-banner-44-keep') chain.push({ name: 'mask-banner-44', config: { keepLineEnd: true } });
  if (f.asa) chain.push({ name: 'esmtp-inspect', config: { allowTls: f.asaAllowTls ?? false } });
  else if (f.commandStyle) {
    const allow = new Set<string>(MAILGUARD_COMMANDS);
    for (const v of f.passed) allow.add(v);
    for (const v of f.denied) allow.delete(v);
    const def: string[] = [...MAILGUARD_COMMANDS];
    const list = [...allow];
    const sameAsDefault = list.length === def.length && def.every((v) => allow.has(v));
    chain.push({ name: 'command-filter', config: { style: f.commandStyle, ...(sameAsDefault ? {} : { allow: def.filter((v) => allow.has(v)).concat(list.filter((v) => !def.includes(v))) }) } });
  }
  if (f.strip) chain.push({ name: 'strip-starttls', config: {} });
  if (f.ntlmClear.size) chain.push({ name: 'ntlm-downgrade', config: { clear: Object.keys(NTLM_FLAGS).filter((n) => f.ntlmClear.has(n)) } });
  if (f.inject) chain.push({ name: 'injector', config: { at: 'starttls', text: f.inject } });
  if (f.injectReady) chain.push({ name: 'injector', config: { at: 'tls-ready', text: f.injectReady } });
  if (f.rewrite.length) {
    const seen = new Set<string>();
    const rules = f.rewrite.filter((r) => !seen.has(JSON.stringify(r)) && seen.add(JSON.stringify(r)));
    chain.push({ name: 'rewrite', config: { rules } });
  }
  return normalizeChain(chain);
}

export function inferFromDialogues(sent: Dialogue[], wire: Dialogue[]): Inference {
  const f: Found = { denied: new Set(), passed: new Set(), asa: false, strip: false, ntlmClear: new Set(), rewrite: [] };
  const evidence: Evidence[] = [], unexplained: Unexplained[] = [];
  const pairs: Inference['pairs'] = [];
  const n = Math.max(sent.length, wire.length);
  for (let k = 0; k < n; k++) {
    const s = sent[k], w = wire[k];
    if (!s || !w) {
      const only = (s ?? w)!;
      unexplained.push({ text: `an SMTP session on only the ${s ? 'sent' : 'wire'} side (${only.conn.client.ip}:${only.conn.client.port} → ${only.conn.server.ip}:${only.conn.server.port})`, sentPackets: s ? [s.conn.firstPacket] : [], wirePackets: w ? [w.conn.firstPacket] : [] });
      continue;
    }
    pairs.push({ sent: s, wire: w });
    compareGreeting(s.greeting, w.greeting, f, evidence, unexplained);
    compareExchanges(s, w, f, evidence, unexplained);
    compareOpaque(s, w, f, evidence, unexplained);
    for (const [side, d] of [['sent', s], ['wire', w]] as const) {
      for (const [off, packet] of [...d.conn.c2s.gaps, ...d.conn.s2c.gaps]) {
        unexplained.push({ text: `bytes missing from the ${side} capture at offset ${off} (the capture lost packets)`, sentPackets: side === 'sent' ? [packet] : [], wirePackets: side === 'wire' ? [packet] : [] });
      }
    }
  }
  // An ASA overwrites denied commands with X as well: the EHLO-reply mask decides which box it is.
  if (f.asa) f.commandStyle = undefined;
  let chain = chainOf(f);
  // A box that never let the sender get a command out (PIX 4.4's endless banner) shows only its
  // first stage. When that is the start of exactly one profile, the rest of that profile is
  // implied — said so in the evidence, not passed off as seen.
  const silent = pairs.length > 0 && pairs.every((p) => p.sent.exchanges.length === 0);
  if (silent && chain.length > 0) {
    const text = JSON.stringify(chain);
    const matches = firewallProfiles().filter((p) => {
      const full = normalizeChain(p.stages);
      return full.length > chain.length && JSON.stringify(full.slice(0, chain.length)) === text;
    });
    if (matches.length === 1) {
      const [p] = matches;
      const name = p.name;
      const rest = normalizeChain(p.stages).slice(chain.length);
      chain = [...chain, ...rest];
      evidence.push({ stage: rest.map((r) => r.name).join(', '), text: `implied by the ${name} profile: the sender never got a command through to show it`, sentPackets: [], wirePackets: [] });
    }
  }
  return { chain, evidence, unexplained, pairs };
}

/** The shipped profile a chain equals, if any (for the report). */
export function profileOfChain(chain: StageRef[]): string | undefined {
  const text = JSON.stringify(chain);
  return firewallProfiles().find((p) => JSON.stringify(normalizeChain(p.stages)) === text)?.name;
}

