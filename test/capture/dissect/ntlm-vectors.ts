/** MS-NLMP §4.2.2 (NTLM v1 authentication) example messages, as the specification prints them. */
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

export const FLAGS = 0xe2028233;

/** §4.2.2.3 CHALLENGE_MESSAGE: target "Server", challenge 0123456789abcdef. */
export const challengeMessage = hex(`
  4e544c4d53535000 02000000 0c000c00 38000000 338202e2 0123456789abcdef
  0000000000000000 0000000000000000 060070170000000f 530065007200760065007200`);

/** §4.2.2.3 AUTHENTICATE_MESSAGE: domain "Domain", user "User", workstation "COMPUTER". */
export const authenticateMessage = hex(`
  4e544c4d53535000 03000000 18001800 6c000000 18001800 84000000 0c000c00 48000000
  08000800 54000000 10001000 5c000000 10001000 9c000000 358280e2 0501280a0000000f
  44006f006d00610069006e00 5500730065007200 43004f004d0050005500540045005200
  98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13
  67c43011f30298a2ad35ece64f16331c44bdbed927841f94
  518822b1b3f350c8958682ecbb3e3cb7`);

/** §4.2.1 random session key (the exported session key with KEY_EXCH in §4.2.2). */
export const randomSessionKey = hex('55555555555555555555555555555555');

/** §4.2.2.4 GSS_WrapEx of "Plaintext" (UTF-16LE): sealed bytes and signature, sequence 0. */
export const plaintext = hex('50006c00610069006e007400650078007400');
export const sealed = hex('56fe04d861f9319af0d7238a2e3b4d457fb8');
export const signature = hex('01000000 45c844e5 09dcd1df 2e459d36');

/** A NEGOTIATE_MESSAGE (§2.2.1.1) with the same flags and no domain or workstation. */
export function negotiateMessage(): Buffer {
  const m = Buffer.alloc(32);
  m.write('NTLMSSP\0', 'latin1');
  m.writeUInt32LE(1, 8);
  m.writeUInt32LE(FLAGS, 12);
  return m;
}

/** The turns of an SMTP AUTH NTLM with these messages, up to the 235 after which SEAL applies. */
export function ntlmAuthTurns(): ['c2s' | 's2c', string][] {
  const b64 = (b: Buffer) => b.toString('base64');
  return [
    ['c2s', `AUTH NTLM ${b64(negotiateMessage())}\r\n`],
    ['s2c', `334 ${b64(challengeMessage)}\r\n`],
    ['c2s', `${b64(authenticateMessage)}\r\n`],
    ['s2c', '235 2.7.0 Authentication successful\r\n'],
  ];
}
