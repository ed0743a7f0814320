/**
 * The example values of MS-NLMP §4.2 ("Cryptographic Values for Validation"), copied from the
 * specification, not computed by our code. Hex, grouped as the spec prints them.
 */
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** §4.2.1 Common Values. */
export const common = {
  user: 'User',
  userDom: 'Domain',
  password: 'Password',
  serverName: 'Server',
  workstation: 'COMPUTER',
  randomSessionKey: hex('55555555555555555555555555555555'),
  time: hex('0000000000000000'),
  clientChallenge: hex('aaaaaaaaaaaaaaaa'),
  serverChallenge: hex('0123456789abcdef'),
  /** "Plaintext" in UTF-16LE, the message of the GSS_WrapEx examples. */
  plaintext: hex('50006c00610069006e007400650078007400'),
};

/** §4.2.2 NTLM v1 Authentication. */
export const v1 = {
  flags: 0xe2028233,
  lmowf: hex('e52cac67419a9a224a3b108f3fa6cb6d'),
  ntowf: hex('a4f49c406510bdcab6824ee7c30fd852'),
  sessionBaseKey: hex('d87262b0cde4b1cb7499becccdf10784'),
  ntlmv1Response: hex('67c43011f30298a2ad35ece64f16331c44bdbed927841f94'),
  lmv1Response: hex('98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13'),
  /** §4.2.2.2.3: RC4 of the random session key under each KXKEY variant. */
  encryptedSessionKey: hex('518822b1b3f350c8958682ecbb3e3cb7'),
  encryptedSessionKeyNonNt: hex('7452ca55c225a1ca04b48fae32cf56fc'),
  encryptedSessionKeyLmKey: hex('4cd7bb57d697ef9b549f02b8f9b37864'),
  /** §4.2.2.3 CHALLENGE_MESSAGE. */
  challengeMessage: hex(`
    4e544c4d53535000 02000000 0c000c00 38000000 338202e2 0123456789abcdef
    0000000000000000 0000000000000000 060070170000000f
    530065007200760065007200`),
  /** §4.2.2.3 AUTHENTICATE_MESSAGE. */
  authenticateMessage: hex(`
    4e544c4d53535000 03000000 18001800 6c000000 18001800 84000000 0c000c00 48000000
    08000800 54000000 10001000 5c000000 10001000 9c000000 358280e2 0501280a0000000f
    44006f006d00610069006e00 5500730065007200 43004f004d0050005500540045005200
    98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13
    67c43011f30298a2ad35ece64f16331c44bdbed927841f94
    518822b1b3f350c8958682ecbb3e3cb7`),
  /** §4.2.2.4 GSS_WrapEx: RC4 with the random session key, CRC32 checksum. */
  sealedPlaintext: hex('56fe04d861f9319af0d7238a2e3b4d457fb8'),
  signature: hex('01000000 45c844e5 09dcd1df 2e459d36'),
};

/** §4.2.3 NTLMv1 with Client Challenge (extended session security, 56-bit, no key exchange). */
export const v1Ess = {
  flags: 0x820a8233,
  lmResponse: hex('aaaaaaaaaaaaaaaa00000000000000000000000000000000'),
  ntResponse: hex('7537f803ae367128ca458204bde7caf81e97ed2683267232'),
  keyExchangeKey: hex('eb93429a8bd952f8b89c55b87f475edc'),
  clientSealKey: hex('04dd7f014d8504d265a25cc86a3a7c06'),
  clientSignKey: hex('60e799be5c72fc92922ae8ebe961fb8d'),
  sealedPlaintext: hex('a02372f6530273f3aa1eb90190ce5200c99d'),
  signature: hex('01000000 ff2aeb52f681793a 00000000'),
};

/** §4.2.4 NTLMv2 Authentication. */
export const v2 = {
  flags: 0xe28a8233,
  /** §4.2.4: the TargetInfo AV pairs (NetBIOS domain "Domain", NetBIOS server "Server", EOL). */
  targetInfo: hex('02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000'),
  ntowf: hex('0c868a403bfd7a93a3001ef22ef02e3f'),
  sessionBaseKey: hex('8de40ccadbc14a82f15cb0ad0de95ca3'),
  lmv2Response: hex('86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa'),
  ntProofStr: hex('68cd0ab851e51c96aabc927bebef6a1c'),
  encryptedSessionKey: hex('c5dad2544fc9799094ce1ce90bc9d03e'),
  /** §4.2.4.3 CHALLENGE_MESSAGE. */
  challengeMessage: hex(`
    4e544c4d53535000 02000000 0c000c00 38000000 33828ae2 0123456789abcdef
    0000000000000000 24002400 44000000 060070170000000f
    530065007200760065007200
    02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000`),
  /** §4.2.4.3 AUTHENTICATE_MESSAGE. */
  authenticateMessage: hex(`
    4e544c4d53535000 03000000 18001800 6c000000 54005400 84000000 0c000c00 48000000
    08000800 54000000 10001000 5c000000 10001000 d8000000 358288e2 0501280a0000000f
    44006f006d00610069006e00 5500730065007200 43004f004d0050005500540045005200
    86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa
    68cd0ab851e51c96aabc927bebef6a1c 0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000
    02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000 00000000
    c5dad2544fc9799094ce1ce90bc9d03e`),
  clientSealKey: hex('59f600973cc4960a25480a7c196e4c58'),
  clientSignKey: hex('4788dc861b4782f35d43fd98fe1a2d39'),
  sealedPlaintext: hex('54e50165bf1936dc996020c1811b0f06fb5f'),
  signature: hex('01000000 7fb38ec5c55d4976 00000000'),
};
