import { describe, expect, it } from 'vitest';
import { createRng } from '../../app/base/rng.ts';
import { NtlmClientSession } from '../../app/ntlm/client.ts';
import { desl } from '../../app/ntlm/crypto.ts';
import type { NtlmClientOptions } from '../../app/ntlm/client.ts';
import {
  NTLMSSP_NEGOTIATE_128,
  NTLMSSP_NEGOTIATE_56,
  NTLMSSP_NEGOTIATE_KEY_EXCH,
  NTLMSSP_NEGOTIATE_NTLM,
  NTLMSSP_NEGOTIATE_SEAL,
  NTLMSSP_NEGOTIATE_SIGN,
  NTLMSSP_NEGOTIATE_UNICODE,
} from '../../app/ntlm/flags.ts';
import { decodeNtlmMessage, encodeAuthenticate, encodeNegotiate } from '../../app/ntlm/messages.ts';
import { lmowfv1 } from '../../app/ntlm/responses.ts';
import { createSealContext } from '../../app/ntlm/seal.ts';
import { NtlmServerSession, accountLookup } from '../../app/ntlm/server.ts';
import type { NtlmServerOptions } from '../../app/ntlm/server.ts';
import { common, v1, v2 } from './ms-nlmp-vectors.ts';

const accounts = [{ domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42' }, { domain: 'NTSOL', user: 'sean', password: 'Tide-7' }];

function server(over: Partial<NtlmServerOptions> = {}): NtlmServerSession {
  const rng = createRng(1);
  return new NtlmServerSession({
    ntDomain: 'NTSOL', serverName: 'MAIL', crypto: 'us-128', lmCompatibility: 2,
    randomBytes: (n) => rng.bytes(n), lookupAccount: accountLookup(accounts), ...over,
  });
}

function client(over: Partial<NtlmClientOptions> = {}): NtlmClientSession {
  const rng = createRng(2);
  return new NtlmClientSession({
    domain: 'INTELLINET', user: 'DOUG', password: 'Sunrise-42', workstation: 'MAIL', responses: 'v2', crypto: 'us-128',
    randomBytes: (n) => rng.bytes(n), ...over,
  });
}

/** Runs the three messages between a client and a server session. */
function logon(c: NtlmClientSession, s: NtlmServerSession) {
  const challenge = s.onNegotiate(c.negotiate());
  if (!challenge.ok) throw new Error(challenge.error);
  const auth = c.onChallenge(challenge.challenge);
  if (!auth.ok) throw new Error(auth.error);
  return s.onAuthenticate(auth.authenticate);
}

describe('NtlmServerSession against the MS-NLMP §4.2 AUTHENTICATE messages', () => {
  const vectorServer = () => server({
    ntDomain: 'Domain', serverName: 'Server',
    randomBytes: (n) => (n === 8 ? common.serverChallenge : Buffer.alloc(n)),
    lookupAccount: accountLookup([{ domain: 'Domain', user: 'User', password: 'Password' }]),
  });

  it('accepts the §4.2.4.3 NTLMv2 logon and recovers the §4.2.4.4 sealing keys', () => {
    const s = vectorServer();
    expect(s.onNegotiate(encodeNegotiate({ flags: v2.flags })).ok).toBe(true);
    const r = s.onAuthenticate(v2.authenticateMessage);
    expect(r).toMatchObject({ ok: true, identity: { domain: 'Domain', user: 'User', workstation: 'COMPUTER' }, response: 'ntlmv2', keyBits: 128, sealNegotiated: true });
    if (!r.ok || !r.keys) throw new Error('no keys');
    expect(r.keys.clientSealingKey).toEqual(v2.clientSealKey);
    expect(r.keys.clientSigningKey).toEqual(v2.clientSignKey);
    expect(createSealContext(r.keys, 'server').receive.unseal(v2.sealedPlaintext, v2.signature)).toEqual({ ok: true, message: common.plaintext });
  });

  it('accepts the §4.2.2.3 NTLMv1 logon and unseals the §4.2.2.4 message', () => {
    const s = vectorServer();
    expect(s.onNegotiate(encodeNegotiate({ flags: v1.flags })).ok).toBe(true);
    const r = s.onAuthenticate(v1.authenticateMessage);
    expect(r).toMatchObject({ ok: true, response: 'ntlm', sealNegotiated: true });
    if (!r.ok || !r.keys) throw new Error('no keys');
    expect(createSealContext(r.keys, 'server').receive.unseal(v1.sealedPlaintext, v1.signature)).toEqual({ ok: true, message: common.plaintext });
  });
});

describe('NtlmServerSession: who gets in', () => {
  it.each([
    ['NTLMv2', 'v2', 'ntlmv2'],
    ['NTLMv1 with extended session security', 'v1', 'ntlm2-session'],
  ] as const)('%s with the right password: both ends hold the same 128-bit keys', (_, responses, kind) => {
    const c = client({ responses });
    const r = logon(c, server());
    expect(r).toMatchObject({ ok: true, identity: { domain: 'INTELLINET', user: 'DOUG', workstation: 'MAIL' }, response: kind, keyBits: 128, sealNegotiated: true });
    if (!r.ok) return;
    expect(r.keys).toEqual(c.keys());
    expect(c.sealNegotiated()).toBe(true);
    expect(c.keyBits()).toBe(128);
  });

  it('names and domains compare case-insensitively', () => {
    expect(logon(client({ domain: 'intellinet', user: 'doug' }), server())).toMatchObject({ ok: true });
  });

  it('an empty domain logs on to the server\'s own NT domain (docs/ntlm.md)', () => {
    expect(logon(client({ domain: '', user: 'SEAN', password: 'Tide-7' }), server())).toMatchObject({ ok: true, identity: { domain: 'NTSOL', user: 'SEAN' } });
    expect(logon(client({ domain: '', user: 'DOUG' }), server())).toMatchObject({ ok: false, reason: 'unknown-account', detail: 'no account NTSOL\\DOUG' });
  });

  it.each(['v1', 'v2'] as const)('a wrong password is a bad response (%s)', (responses) => {
    expect(logon(client({ responses, password: 'Sunrise-43' }), server())).toMatchObject({ ok: false, reason: 'bad-response' });
  });

  it('an account the server does not have is unknown', () => {
    expect(logon(client({ user: 'ALICE' }), server())).toMatchObject({ ok: false, reason: 'unknown-account', detail: 'no account INTELLINET\\ALICE' });
  });

  it('LM compatibility 5 refuses NTLMv1 and accepts NTLMv2', () => {
    expect(logon(client({ responses: 'v1' }), server({ lmCompatibility: 5 }))).toMatchObject({ ok: false, reason: 'v1-refused' });
    expect(logon(client({ responses: 'v2' }), server({ lmCompatibility: 5 }))).toMatchObject({ ok: true });
  });

  it('LM compatibility 4 refuses an LM-only response; 2 accepts it', () => {
    const lmOnly = (s: NtlmServerSession) => {
      const ch = s.onNegotiate(encodeNegotiate({ flags: NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_UNICODE }));
      if (!ch.ok) throw new Error(ch.error);
      const c = decodeNtlmMessage(ch.challenge);
      if (!c.ok || c.message.type !== 2) throw new Error('no challenge');
      const lm = desl(lmowfv1('Sunrise-42'), c.message.serverChallenge);
      return s.onAuthenticate(encodeAuthenticate({
        flags: NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_UNICODE, lmResponse: lm, ntResponse: Buffer.alloc(0),
        domain: 'INTELLINET', user: 'DOUG', workstation: 'OLD', encryptedRandomSessionKey: Buffer.alloc(0),
      }));
    };
    expect(lmOnly(server({ lmCompatibility: 4 }))).toMatchObject({ ok: false, reason: 'v1-refused' });
    expect(lmOnly(server({ lmCompatibility: 2 }))).toMatchObject({ ok: true, response: 'lm' });
  });
});

describe('NtlmServerSession: what is negotiated', () => {
  it('an export-40 server grants neither 128 nor 56 bits to a us-128 client: 40-bit keys', () => {
    const c = client();
    const r = logon(c, server({ crypto: 'export-40' }));
    expect(r).toMatchObject({ ok: true, keyBits: 40 });
    expect(c.keyBits()).toBe(40);
    if (r.ok) expect(r.flags & (NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_56)).toBe(0);
  });

  it('an export-40 client gets 40 bits from a us-128 server', () => {
    expect(logon(client({ crypto: 'export-40' }), server())).toMatchObject({ ok: true, keyBits: 40 });
  });

  it('a client that asks for no SEAL and no SIGN gets no keys and no sealing (as swaks)', () => {
    const s = server();
    const flags = NTLMSSP_NEGOTIATE_NTLM | NTLMSSP_NEGOTIATE_UNICODE;
    const ch = s.onNegotiate(encodeNegotiate({ flags }));
    if (!ch.ok) throw new Error(ch.error);
    const decoded = decodeNtlmMessage(ch.challenge);
    expect(decoded.ok && decoded.message.flags & (NTLMSSP_NEGOTIATE_SEAL | NTLMSSP_NEGOTIATE_SIGN | NTLMSSP_NEGOTIATE_KEY_EXCH)).toBe(0);
  });

  it('a CHALLENGE names the server\'s domain and computer in TargetInfo', () => {
    const ch = server().onNegotiate(client().negotiate());
    if (!ch.ok) throw new Error(ch.error);
    const m = decodeNtlmMessage(ch.challenge);
    if (!m.ok || m.message.type !== 2) throw new Error('no challenge');
    expect(m.message.targetName).toBe('NTSOL');
    expect(m.message.targetInfo.map((p) => p.value.toString('utf16le'))).toEqual(['NTSOL', 'MAIL']);
  });

  it('refuses messages out of order or malformed, without throwing', () => {
    expect(server().onAuthenticate(v2.authenticateMessage)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(server().onNegotiate(Buffer.from('garbage'))).toMatchObject({ ok: false });
    const s = server();
    s.onNegotiate(client().negotiate());
    expect(s.onAuthenticate(Buffer.from('NTLMSSP\0\x03\0\0\0', 'latin1'))).toMatchObject({ ok: false, reason: 'malformed' });
  });
});
