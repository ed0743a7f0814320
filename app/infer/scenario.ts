/**
 * The scenario an inference stands for (docs/infer.md): the two servers as the captures show them
 * (host names from the greeting and EHLO, addresses from the IP headers, the product from the
 * banner's wording, STARTTLS and AUTH NTLM from the EHLO reply), the inferred firewall between
 * them, and one `send` + `expect` per session that reached MAIL FROM, its outcome read from the
 * server's reply to the final dot. It validates against the scenario schema before it is written.
 */
import YAML from 'yaml';
import { decodeNtlmMessage } from '../ntlm/messages.ts';
import { scenario as scenarioSchema, type Scenario } from '../scenario/schema.ts';
import { chainSpec } from '../path/vendor/chain.ts';
import { profileOfChain, type Inference } from './infer.ts';
import { verbOf, type Dialogue } from './smtp.ts';

type ServerProfile = 'exchange-5.5' | 'exchange-2019' | 'postfix' | 'generic';

/** The product a banner's wording belongs to (the lab's own profiles, app/products/). */
export function profileFromBanner(text: string): ServerProfile {
  // The IMS's own banner (KB Q262945), and the wording the lab used before its dialects.
  if (/Microsoft Exchange Internet Mail Service 5\.5|Microsoft ESMTP MAIL Service, Version: 5\.5/i.test(text)) return 'exchange-5.5';
  if (/Microsoft ESMTP MAIL Service ready/i.test(text)) return 'exchange-2019';
  if (/Postfix/i.test(text)) return 'postfix';
  return 'generic';
}

/**
 * The sender's product as its NTLM habits show it (as `profileFromBanner` reads the wording; the
 * habits are the products' `ntlm` entries, app/products/): the IMS sent `AUTH NTLM` whether or not
 * EHLO offered it (KB Q262945: to a server listing only `AUTH LOGIN`); the lab's other senders send
 * it only when offered, which the generic profile replays. All of them put the NEGOTIATE on the
 * AUTH line (RFC 4954 §4 initial response), so that line says nothing either way; a bare `AUTH
 * NTLM` (swaks, a hand-typed session) is read the same way.
 */
export function senderProfileFromAuth(authLine: string | undefined, offered: boolean): ServerProfile {
  if (!authLine || !/^AUTH\s+NTLM\b/i.test(authLine)) return 'generic';
  return offered ? 'generic' : 'exchange-5.5';
}

const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const addressOf = (text: string) => /<([^<>\s@]+@[^<>\s@]+)>/.exec(text)?.[1];
const domainOfHost = (host: string) => host.split('.').slice(1).join('.');
/** The lab's own canary tokens (app/capture/leak.ts) in a captured message: the replay makes new ones. */
const withoutCanaries = (t: string) => t.replace(/\s*\[?PCL-[SHB]-[0-9a-f]+\]?/g, '').trim();

interface Message {
  from: string;
  to: string[];
  subject: string;
  body: string;
  outcome: 'delivered' | 'deferred' | 'bounced';
}

function messagesOf(d: Dialogue): Message[] {
  const out: Message[] = [];
  let cur: Omit<Message, 'outcome' | 'subject' | 'body'> | undefined;
  let contentIndex = 0;
  for (const x of d.exchanges) {
    const verb = verbOf(x.line.text);
    if (x.kind !== 'command') continue;
    if (verb === 'MAIL') cur = { from: addressOf(x.line.text) ?? 'unknown@unknown.example', to: [] };
    else if (verb === 'RCPT' && cur && x.reply && x.reply.code < 400) cur.to.push(addressOf(x.line.text) ?? 'unknown@unknown.example');
    else if (x.line.text === '.' && cur) {
      const content = d.content[contentIndex++] ?? [];
      const blank = content.findIndex((l) => l.text === '');
      const subject = content.slice(0, blank < 0 ? 0 : blank).find((l) => /^subject:/i.test(l.text))?.text.replace(/^subject:\s*/i, '') ?? '';
      const body = content.slice(blank + 1, -1).map((l) => l.text).filter((t) => !/^--|^content-/i.test(t)).slice(0, 5).join('\n');
      const code = x.reply?.code ?? 0;
      out.push({ ...cur, subject: withoutCanaries(subject), body: withoutCanaries(body), outcome: code >= 200 && code < 300 ? 'delivered' : code >= 500 ? 'bounced' : 'deferred' });
      cur = undefined;
    }
  }
  return out;
}

export interface InferredScenario {
  scenario: Scenario;
  yaml: string;
  /** What the scenario leaves out, in words. */
  notes: string[];
}

export function scenarioFromInference(inf: Inference, o: { id?: string; title?: string } = {}): InferredScenario {
  const title = o.title ?? 'A case inferred from captures';
  const notes: string[] = [];
  const first = inf.pairs[0];
  if (!first) throw new Error('no SMTP session appears on both sides: nothing to build a scenario from');
  const wire = first.wire, sent = first.sent;
  const bannerText = wire.greeting?.lines[0]?.text.slice(4) ?? '';
  const serverHost = HOST.test(bannerText.split(' ')[0] ?? '') ? bannerText.split(' ')[0].toLowerCase() : 'mail.ntsol.example';
  const ehlo = sent.exchanges.find((x) => /^(EHLO|HELO) /i.test(x.line.text))?.line.text.split(/\s+/)[1];
  const clientHost = ehlo && HOST.test(ehlo) ? ehlo.toLowerCase() : 'mail.intellinet.example';
  const messages = inf.pairs.flatMap((p) => messagesOf(p.sent).map((m, k) => {
    // The server's view decides the outcome: the reply it sent to the final dot.
    const onWire = messagesOf(p.wire)[k];
    return onWire ? { ...m, outcome: onWire.outcome } : { ...m, outcome: 'deferred' as const };
  }));
  const silent = inf.pairs.filter((p) => messagesOf(p.sent).length === 0);
  const opaquePairs = silent.filter((p) => p.sent.opaque && p.sent.exchanges.some((x) => ['STARTTLS', 'AUTH'].includes(verbOf(x.line.text))));
  // A sender that asked for AUTH NTLM and ended the session before MAIL, in clear: method ntlm,
  // failing closed (mailguard-blind-auth: Mailguard answered the AUTH with 250). Replayed too —
  // unless another session took a message without AUTH: one security entry cannot say both (the
  // capture of pix-mailguard, whose policy changed between its sessions).
  const askedNtlm = (p: (typeof silent)[number]) => p.sent.exchanges.some((x) => x.kind === 'command' && /^AUTH\s+NTLM\b/i.test(x.line.text));
  const clearWithoutAuth = inf.pairs.some((p) => messagesOf(p.sent).length > 0 && !askedNtlm(p));
  const refusedPairs = clearWithoutAuth ? [] : silent.filter((p) => !opaquePairs.includes(p) && askedNtlm(p));
  const senderDomain = messages[0]?.from.split('@')[1]?.toLowerCase() ?? domainOfHost(clientHost);
  let receiverDomain = messages[0]?.to[0]?.split('@')[1]?.toLowerCase() ?? domainOfHost(serverHost);
  if (receiverDomain === senderDomain) receiverDomain = `partner-${receiverDomain}`;
  const ehloReply = wire.exchanges.find((x) => /^EHLO /i.test(x.line.text))?.reply?.lines.map((l) => l.text.slice(4).toUpperCase()) ?? [];
  const starttls = ehloReply.includes('STARTTLS');
  const ntlmOffered = ehloReply.some((t) => /^AUTH\b.*\bNTLM\b/.test(t));
  const sentVerbs = inf.pairs.flatMap((p) => p.sent.exchanges.map((x) => verbOf(x.line.text)));
  // The AUTHENTICATE (type 3): the NEGOTIATE comes first when the sender waited for `334` (the IMS).
  const isAuthenticate = (text: string) => {
    const m = decodeNtlmMessage(Buffer.from(text, 'base64'));
    return m.ok && m.message.type === 3;
  };
  const authLine = inf.pairs.flatMap((p) => p.sent.exchanges).find((x) => x.kind === 'auth-response' && isAuthenticate(x.line.text));
  const auth = authLine ? decodeNtlmMessage(Buffer.from(authLine.line.text, 'base64')) : undefined;
  const seenLogon = auth?.ok && auth.message.type === 3 ? { domain: auth.message.domain || 'DOMAIN', user: auth.message.user || 'USER', password: 'not-in-the-capture' } : undefined;
  if (seenLogon) notes.push(`the NTLM logon ${seenLogon.domain}\\${seenLogon.user} is from the capture; its password is not, so both sides use a placeholder`);
  // No AUTHENTICATE crossed (the session failed before it): a placeholder account in the client's NT domain.
  const logon = seenLogon ?? (refusedPairs.length ? { domain: (clientHost.split('.')[1] ?? 'DOMAIN').toUpperCase(), user: 'USER', password: 'not-in-the-capture' } : undefined);
  if (!seenLogon && logon) notes.push(`the sender asked for AUTH NTLM but no logon crossed: both sides use the placeholder account ${logon.domain}\\${logon.user}`);
  const usesNtlm = sentVerbs.includes('AUTH') && logon;
  const usesTls = sentVerbs.includes('STARTTLS');
  // The sender's habits, replayed (the reply shapes depend on them): what it sent as AUTH, and
  // whether the EHLO reply it saw offered NTLM.
  const sentAuth = inf.pairs.flatMap((p) => p.sent.exchanges).find((x) => x.kind === 'command' && verbOf(x.line.text) === 'AUTH')?.line.text;
  const sentEhloReply = sent.exchanges.find((x) => /^EHLO /i.test(x.line.text))?.reply?.lines.map((l) => l.text.slice(4).toUpperCase()) ?? [];
  const senderProfile = usesNtlm ? senderProfileFromAuth(sentAuth, sentEhloReply.some((t) => /^AUTH\b.*\bNTLM\b/.test(t))) : 'generic';
  const security = usesNtlm
    ? [{ domain: receiverDomain, method: 'ntlm', logon }]
    : usesTls ? [{ domain: receiverDomain, method: 'tls', level: 'may' }] : [];
  const users = (domain: string, list: string[]) => [...new Set([...list, ...(opaquePairs.length || refusedPairs.length ? [`postmaster@${domain}`] : [])].filter((a) => a.toLowerCase().endsWith(`@${domain}`)).map((a) => a.split('@')[0].toLowerCase().replace(/[^a-z0-9._-]/g, '')))].filter(Boolean);
  const ip = (v: string, fallback: string) => (IPV4.test(v) ? v : fallback);
  const profile = profileOfChain(inf.chain);
  const firewall = profile ? { profile } : chainSpec(inf.chain);
  const raw = {
    id: o.id ?? 'inferred',
    title,
    level: 'advanced',
    story: `Built by postcard-lab infer from ${inf.pairs.length} SMTP session(s) seen on both sides of a middlebox.\n${inf.evidence.map((e) => `- ${e.stage}: ${e.text}`).filter((v, i, a) => a.indexOf(v) === i).join('\n')}\n`,
    lab: {
      seed: 1,
      orgs: [
        {
          id: 'sender', domain: senderDomain, profile: senderProfile,
          ...(usesNtlm ? { nt: { domain: logon!.domain } } : {}),
          users: users(senderDomain, messages.map((m) => m.from)).length ? users(senderDomain, messages.map((m) => m.from)) : ['postmaster'],
          hosts: [{ name: clientHost, address: ip(sent.conn.client.ip, '192.0.2.10') }],
          security,
        },
        {
          id: 'receiver', domain: receiverDomain, profile: profileFromBanner(bannerText),
          ...(ntlmOffered || usesNtlm ? { nt: { domain: (serverHost.split('.')[1] ?? 'PARTNER').toUpperCase() } } : {}),
          users: users(receiverDomain, messages.flatMap((m) => m.to)).length ? users(receiverDomain, messages.flatMap((m) => m.to)) : ['postmaster'],
          hosts: [{ name: serverHost, address: ip(wire.conn.server.ip, '198.51.100.25') }],
          ...(logon ? { accounts: [logon] } : {}),
          inbound: { starttls },
        },
      ],
      paths: [{ between: ['sender', 'receiver'], via: 'firewall', firewall }],
      settings: { timeout: '5s' },
    },
    steps: [
      ...messages.flatMap((m, k) => {
        const id = `m${k + 1}`;
        const to = m.to.filter((a) => a.toLowerCase().endsWith(`@${receiverDomain}`));
        if (to.length === 0) {
          notes.push(`message ${k + 1} (from ${m.from}) has no recipient at ${receiverDomain}: left out`);
          return [];
        }
        return [
          { send: { id, from: m.from, to: to.length === 1 ? to[0] : to, subject: m.subject, body: m.body } },
          { expect: { message: id, outcome: m.outcome } },
        ];
      }),
      // A session whose message went inside TLS or a seal: a stand-in message takes the same road.
      ...opaquePairs.flatMap((_, k) => [
        { send: { id: `sealed${k + 1}`, from: `postmaster@${senderDomain}`, to: `postmaster@${receiverDomain}`, subject: 'Stand-in for a message the capture could not read' } },
        { expect: { message: `sealed${k + 1}`, wire: 'no-leak' } },
      ]),
      // A session that asked for NTLM and gave up before MAIL: a stand-in message that must wait, unsent.
      ...refusedPairs.flatMap((_, k) => [
        { send: { id: `refused${k + 1}`, from: `postmaster@${senderDomain}`, to: `postmaster@${receiverDomain}`, subject: 'Stand-in for a message the sender held back' } },
        { expect: { message: `refused${k + 1}`, outcome: 'deferred', wire: 'no-leak' } },
      ]),
    ],
  };
  if (opaquePairs.length) notes.push(`${opaquePairs.length} session(s) carried their message inside TLS or an NTLM seal: replayed with a stand-in message between the postmasters`);
  if (refusedPairs.length) notes.push(`${refusedPairs.length} session(s) asked for AUTH NTLM and ended before MAIL (method ntlm, failing closed): replayed with a stand-in message that must be deferred`);
  if (silent.length > opaquePairs.length + refusedPairs.length) notes.push(`${silent.length - opaquePairs.length - refusedPairs.length} session(s) ended before a message was sent (a refused or fail-closed session): not replayed as steps`);
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`the inferred scenario is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const yaml = `# yaml-language-server: $schema=./schema.json\n# Written by postcard-lab infer. ${notes.join('. ')}${notes.length ? '.' : ''}\n${YAML.stringify(raw, { lineWidth: 0 })}`;
  return { scenario: parsed.data, yaml, notes };
}
