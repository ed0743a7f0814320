/**
 * A whole lab's configuration: its organisations (app/config/schema.ts), DNS, DNSSEC, the paths
 * between organisations with their middleboxes, and lab settings. The scenario file embeds it under
 * `lab:`. Apart from app/config/schema.ts because a path embeds the firewall profile spec
 * (app/path/profiles.ts): what the API's requests use stays free of the path engine.
 */
import { z } from 'zod';
import { profileSpecSchema } from '../path/profiles.ts';
import { certificateVariant, dnsRecord, hostName, id, ipv4, org, securityEntry, serverProfile, timeoutDuration } from './schema.ts';

/**
 * The smallest capture budget a lab may ask for (settings.captureLimit, in bytes): below it a single
 * TLS handshake would not fit, and a packet count written before the limit was in bytes is refused.
 */
export const MIN_CAPTURE_BYTES = 64 * 1024;

export const pathSpec = z.strictObject({
  between: z.tuple([id, id]),
  via: z.enum(['direct', 'firewall', 'content-scanner']).default('direct'),
  /** Only connections to this host take the path (an alternate path); default: every host of the pair. */
  to: hostName.optional(),
  /** The middlebox: a named profile with optional extra stages (docs/stages.md, "Profiles"). */
  firewall: profileSpecSchema.optional(),
  /**
   * Whose firewall it is: the organisation at whose edge it stands (default: the second of
   * `between`, the partner being reached). The Internet is on the other side of it, which names
   * the packet view's capture points (docs/packet-view.md).
   */
  owner: id.optional(),
  /**
   * A content scanner (docs/lab.md, "Fail closed"): a store-and-forward relay host of its own. It ends the SMTP
   * session, reads the message and relays it onward under its own outbound policy.
   */
  scanner: z.strictObject({
    name: hostName,
    address: ipv4,
    profile: serverProfile.default('generic'),
    certificate: certificateVariant.default('valid'),
    inbound: z.strictObject({ starttls: z.boolean().default(true), requireTls: z.boolean().default(false) }).default({ starttls: true, requireTls: false }),
    security: z.array(securityEntry).default([]),
  }).optional(),
});

export const lab = z.strictObject({
  seed: z.number().int().optional(),
  clock: z.strictObject({ start: z.iso.datetime({ offset: true }).optional() }).optional(),
  orgs: z.array(org).min(1),
  dns: z.array(dnsRecord).default([]),
  dnssec: z.array(z.strictObject({ zone: z.string(), state: z.enum(['secure', 'insecure', 'bogus']) })).default([]),
  paths: z.array(pathSpec).default([]),
  settings: z.strictObject({
    /** Socket idle timeout, real time (more than 0, at most 24 days). */
    timeout: timeoutDuration.optional(),
    maxMessageSize: z.number().int().positive().optional(),
    /**
     * Bytes the lab keeps of its capture, tap log and packet view together (app/capture/budget.ts;
     * default 128 MiB); the oldest go first, and the drop is counted in packets and bytes.
     */
    captureLimit: z.number().int().min(MIN_CAPTURE_BYTES, `captureLimit is in bytes (the tap log and the packet view together) and must be at least ${MIN_CAPTURE_BYTES} (64 KiB)`).optional(),
  }).optional(),
});

export type LabConfig = z.infer<typeof lab>;
export type PathConfig = z.infer<typeof pathSpec>;

/** A path's id, as actions (`setFirewall.path`) and the packet view name it: `a-b`, or `a-b@host` for an alternate path. */
export function pathId(config: Pick<PathConfig, 'between' | 'to'>): string {
  const [a, b] = config.between;
  return config.to ? `${a}-${b}@${config.to}` : `${a}-${b}`;
}
