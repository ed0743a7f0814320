/**
 * One item of a mailbox as the server files it and the contract shows it. A leaf with no imports,
 * so the contract's types (app/api/contract.ts) stay free of Node types for the renderer.
 */
export interface MailboxItem {
  id: string;
  user: string;
  kind: 'mail' | 'bounce';
  from: string;
  subject: string;
  receivedAt: number;
  size: number;
  /** The scenario message this is (or, for a bounce, the one it reports on). */
  ref?: string;
  /** For a bounce: the queue entry and connection that caused it (links to transcript and packets). */
  cause?: { queueId: string; conn?: string; attempt?: number; transcriptLine?: number };
  /** How it travelled: the Received header's `with` clause (ESMTP, ESMTPS, ESMTPA, ESMTPSA). */
  via?: string;
  /** It arrived with REQUIRETLS (RFC 8689). */
  requireTls?: boolean;
}
