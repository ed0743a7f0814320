/**
 * The Rehearse tab's firewall choices, derived from the engine's profile registry as the lab
 * snapshot carries it (`firewallProfiles`, app/path/profiles.ts): a profile registered there is
 * offered here without a change to the renderer.
 */
import type { FirewallProfileView } from '../../app/api/contract.ts';

/** One option of the profile list: the name, then the vendor's words or the summary. */
export function profileChoices(profiles: readonly FirewallProfileView[]): { id: string; label: string }[] {
  return profiles.map((p) => ({ id: p.name, label: `${p.name} — ${p.label ?? p.summary}` }));
}

/** The vendor's own command that turns this profile's SMTP inspection off, if it has one. */
export function offCommand(profiles: readonly FirewallProfileView[], name: string | undefined): string | undefined {
  return profiles.find((p) => p.name === name)?.off;
}

/**
 * A PIX profile's own EHLO outcome (docs/firewall-config.md): `x` (500 Command unrecognized) or
 * `noop` (250 OK); undefined for a profile without the command filter, which offers no choice.
 */
export function ownEhlo(profiles: readonly FirewallProfileView[], name: string | undefined): 'noop' | 'x' | undefined {
  return profiles.find((p) => p.name === name)?.ehlo;
}

/**
 * A stage's settings as `key: value` pairs, a list's items with a space after each comma: the line
 * wraps between values in a narrow column, where the settings' JSON had nowhere to break.
 */
export function stageParams(config: Record<string, unknown>): string {
  return Object.entries(config)
    .map(([key, value]) => `${key}: ${Array.isArray(value) ? value.map((x) => JSON.stringify(x)).join(', ') : JSON.stringify(value)}`)
    .join(' · ');
}
