/**
 * The reply catalogue: every SMTP reply text, enhanced status code and queue/defer reason the lab
 * speaks, in one place (docs/architecture.md, "Conventions"). Profiles (app/mta/profiles/) may reword a reply; code never
 * spells a reply inline.
 *
 * Codes: RFC 5321 §4.2; enhanced status codes: RFC 3463 and the IANA registry (RFC 5248).
 */

export interface ReplyText {
  code: number;
  /** Enhanced status code (RFC 3463), when the reply carries one. */
  status?: string;
  text: string;
}

export const replies = {
  // RFC 5321 §4.2.2
  closing: { code: 221, status: '2.0.0', text: 'Bye' },
  ok: { code: 250, status: '2.0.0', text: 'OK' },
  queued: { code: 250, status: '2.0.0', text: 'OK: queued as %s' },
  startMail: { code: 354, text: 'End data with <CR><LF>.<CR><LF>' },
  // RFC 3207 §4
  readyToStartTls: { code: 220, status: '2.0.0', text: 'Ready to start TLS' },
  tlsNotAvailable: { code: 454, status: '4.7.0', text: 'TLS not available due to temporary reason' },
  // RFC 3207 §4: a server that requires TLS answers other commands with 530
  mustStartTls: { code: 530, status: '5.7.0', text: 'Must issue a STARTTLS command first' },
  // RFC 5321 §3.8 / §4.2.3: 421 closes the channel; RFC 3463 X.3.2 (system not accepting) and X.4.2 (connection dropped)
  tooManyConnections: { code: 421, status: '4.3.2', text: '%s Too many connections, try again later' },
  sessionTimeLimit: { code: 421, status: '4.4.2', text: '%s Session time limit exceeded, closing connection' },
  // RFC 4954 §6 (535 5.7.8 Authentication credentials invalid) and MS-SMTPNTLM §2.2.1
  authOk: { code: 235, status: '2.7.0', text: 'Authentication successful' },
  authFailed: { code: 535, status: '5.7.8', text: 'Authentication credentials invalid' },
  authMechanismUnknown: { code: 504, status: '5.5.4', text: 'Unrecognized authentication type' },
  ntlmSupported: { code: 334, text: 'ntlm supported' },
  // RFC 4954 §4: `*` cancels; a line that is not base64 cannot be decoded
  authCancelled: { code: 501, status: '5.7.0', text: 'Authentication cancelled' },
  authCannotDecode: { code: 501, status: '5.5.2', text: 'Cannot decode response' },
  authNtlmSyntax: { code: 501, status: '5.5.4', text: 'Syntax: AUTH NTLM [initial-response]' },
  // RFC 5321 §4.5.3.1
  lineTooLong: { code: 500, status: '5.5.2', text: 'Line too long' },
  userUnknown: { code: 550, status: '5.1.1', text: '<%s>: Recipient address rejected: User unknown' },
  relayDenied: { code: 550, status: '5.7.1', text: '<%s>: Relay access denied' },
  // RFC 3463 X.1.3: bad destination mailbox address syntax (Postfix's wording)
  badRecipientSyntax: { code: 501, status: '5.1.3', text: 'Bad recipient address syntax' },
  // The detail of a local error goes to the server's error log, never onto the wire.
  localError: { code: 451, status: '4.3.0', text: 'Local error in processing' },
  // RFC 1870 §6.1
  messageTooBig: { code: 552, status: '5.3.4', text: 'Message size exceeds fixed maximum message size' },
} as const satisfies Record<string, ReplyText>;

/**
 * Reasons a sending server gives for deferring a message (docs/lab.md, "Outbound security"). These are the texts a
 * Postfix administrator knows from `mailq` and the maillog; other profiles reword them.
 */
export const deferReasons = {
  tlsNotOffered: 'TLS is required, but was not offered by host %s',
  tlsRefused: 'TLS is required, but host %s refused to start TLS: %s',
  tlsHandshake: 'Cannot start TLS: handshake failure',
  certNotVerified: 'Server certificate not verified',
  daneNoUsableTlsa: 'No usable TLSA records for host %s',
  dnssecBogus: 'DNSSEC validation failed for %s',
  mtaStsMxMismatch: 'MX host %s does not match the MTA-STS policy of %s',
  authNotOffered: 'NTLM authentication is required, but was not offered by host %s',
  authRejected: 'host %s said: %s (in reply to AUTH NTLM)',
  authNotAnswered: 'host %s answered AUTH NTLM with "%s" instead of 334: the command never reached an NTLM server (a firewall rewrote it?)',
  sealNotNegotiated: 'NTLM sealing is required, but host %s did not negotiate SEAL',
  keyTooWeak: 'NTLM session key is %d-bit, weaker than the required %d-bit',
  connectFailed: 'connect to %s: %s',
  lostConnection: 'lost connection with %s while %s',
  timedOut: 'conversation with %s timed out while %s',
  noMx: 'Host or domain name not found: %s',
  // RFC 8689 §5: the enhanced status codes 5.7.30 and 5.7.10 go with these.
  requireTlsNotSupported: 'REQUIRETLS support required, but host %s does not offer it',
  requireTlsNoTls: 'REQUIRETLS: the message needs a verified TLS connection: %s',
} as const;

/**
 * What a middlebox did, when a session broke without a reply (docs/ui.md, "Errors that name what
 * acted"): the lab sees both sides, so the queue, the bounce and the transcript name the box, its
 * profile and its feature in the vendor's words instead of the sender's bare "lost connection".
 */
export const middleboxReasons = {
  /** The box: `the firewall (asa, inspect esmtp)`. */
  actor: 'the %s (%s, %s)',
  /** A stage reset the connection: `reset by the firewall (asa, inspect esmtp) after EHLO: …`. */
  reset: 'reset by %s after %s: %s',
  refused: 'connection refused by %s: %s',
  /** A stage changed or dropped bytes, and the session broke after that. */
  acted: '%s %s %s (%s); then %s',
  peerClosed: '%s closed the connection',
  timedOut: 'the conversation with %s timed out',
  unreadable: 'the reply could not be read (%s)',
} as const;

/**
 * Why a `may` session went on in cleartext (docs/lab.md, "Outbound security": the message is marked
 * *downgraded* with the reason). Postfix logs the same facts at `smtp_tls_loglevel` 1.
 */
export const downgradeReasons = {
  notOffered: 'STARTTLS not offered by host %s',
  refused: 'host %s refused to start TLS: %s',
  handshake: 'TLS handshake with host %s failed: %s',
} as const;

/** Fill `%s` / `%d` placeholders in order. */
export function format(template: string, ...args: (string | number)[]): string {
  let i = 0;
  return template.replace(/%[sd]/g, () => String(args[i++] ?? ''));
}

/**
 * A reply for smtp-server's hooks, which take the code apart from the text: the text starts with
 * the enhanced status code (RFC 2034 §3), as smtp-server then sends it unchanged.
 */
export function hookReply(reply: ReplyText, ...args: (string | number)[]): { code: number; message: string } {
  const text = format(reply.text, ...args);
  return { code: reply.code, message: reply.status ? `${reply.status} ${text}` : text };
}

/** A reply as it goes on the wire: `535 5.7.8 Authentication credentials invalid`. */
export function replyLine(reply: ReplyText, ...args: (string | number)[]): string {
  const text = format(reply.text, ...args);
  return reply.status ? `${reply.code} ${reply.status} ${text}` : `${reply.code} ${text}`;
}
