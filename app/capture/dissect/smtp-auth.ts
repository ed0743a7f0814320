/**
 * What AUTH exchanges give away (RFC 4954): PLAIN and LOGIN carry the password in base64, which
 * is no protection at all; NTLM carries NTLMSSP blobs (MS-SMTPNTLM §2.2), dissected by ntlmssp.ts.
 */
import type { ByteRange, DetailNode, Pdu } from './types.ts';
import { field, node } from './types.ts';
import type { NtlmMessage } from '../../ntlm/messages.ts';
import { dissectNtlmssp } from './ntlmssp.ts';

/** Strict base64 (RFC 4648 §4) as AUTH uses it; "=" alone is an empty initial response. */
export function decodeBase64(text: string): Buffer | undefined {
  const t = text.trim();
  if (t === '=') return Buffer.alloc(0);
  if (t.length === 0 || t.length % 4 === 1 || !/^[A-Za-z0-9+/]+={0,2}$/.test(t)) return undefined;
  return Buffer.from(t, 'base64');
}

export interface AuthState {
  mech: string;
  /** Client responses seen so far (LOGIN: 0 → user name, 1 → password). */
  step: number;
}

export interface AuthResult {
  /** Detail nodes; they carry the fields (smtp.auth.username …). */
  nodes: DetailNode[];
  pdus: Pdu[];
  ntlm?: NtlmMessage;
  note?: string;
}

const printableText = (b: Buffer) => b.toString('utf8').replace(/[\x00-\x1f\x7f]/g, '.');

/** A client's AUTH response (initial response or continuation line), decoded by mechanism. */
export function clientAuthResponse(auth: AuthState, text: string, depth: number, range: ByteRange): AuthResult {
  const result: AuthResult = { nodes: [], pdus: [] };
  if (text.trim() === '*') {
    result.note = 'authentication cancelled';
    return result;
  }
  const raw = decodeBase64(text);
  if (!raw) {
    result.nodes.push(node('[Not base64]', [field('_ws.malformed', 'AUTH response is not base64')]));
    return result;
  }
  switch (auth.mech) {
    case 'PLAIN': {
      // RFC 4616 §2: [authzid] NUL authcid NUL passwd.
      const parts = raw.toString('utf8').split('\0');
      if (parts.length === 3) {
        result.nodes.push(node(`Username: ${parts[1]}`, [field('smtp.auth.username', parts[1])]), node(`Password: ${parts[2]}`, [field('smtp.auth.password', parts[2])]));
        result.note = `User: ${parts[1]}, Pass: ${parts[2]}`;
      }
      break;
    }
    case 'LOGIN': {
      const value = printableText(raw);
      const name = auth.step === 0 ? 'smtp.auth.username' : 'smtp.auth.password';
      result.nodes.push(node(`${auth.step === 0 ? 'Username' : 'Password'}: ${value}`, [field(name, value)]));
      result.note = `${auth.step === 0 ? 'User' : 'Pass'}: ${value}`;
      break;
    }
    case 'NTLM': {
      const { pdu, message } = dissectNtlmssp(raw, depth + 1, range);
      result.pdus.push(pdu);
      if (message) result.ntlm = message;
      break;
    }
    default:
      result.nodes.push(node(`Response (${raw.length} bytes, ${auth.mech})`));
  }
  auth.step++;
  return result;
}

/** A server's 334 text: a base64 challenge (NTLM CHALLENGE, LOGIN prompts) or plain words. */
export function serverChallenge(auth: AuthState, text: string, depth: number, range: ByteRange): AuthResult {
  const result: AuthResult = { nodes: [], pdus: [] };
  const raw = decodeBase64(text);
  if (!raw || raw.length === 0) return result; // "334 ntlm supported" (MS-SMTPNTLM §3.2.5.1)
  if (auth.mech === 'NTLM') {
    const { pdu, message } = dissectNtlmssp(raw, depth + 1, range);
    result.pdus.push(pdu);
    if (message) result.ntlm = message;
  } else {
    result.nodes.push(node(`Challenge: ${printableText(raw)}`));
  }
  return result;
}
