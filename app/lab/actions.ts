/**
 * Lab actions (docs/scenario-format.md): the changes a scenario step or the UI makes to a running lab — accounts,
 * the security table, the profile and NT build, the inbound policy, DNS records. Each returns the
 * sentence the lab announces (`lab.changed`); a change that names nothing real is an error.
 */
import type { LabAction } from '../config/schema.ts';
import type { MailServer } from '../mta/server.ts';
import type { SimDns } from './dns.ts';
import type { PathInfo } from './topology.ts';
import { LabError } from '../base/errors.ts';
import { parseProfileSpec, ProfileSpecError, type ProfileSpec } from '../path/profiles.ts';

/**
 * What an action may change, each through its owner's methods: a server's live organisation, the
 * lab's DNS, a path's firewall. The configuration the lab was built from is never written to.
 */
export interface ActionContext {
  readonly servers: ReadonlyMap<string, Pick<MailServer, 'config' | 'createAccount' | 'deleteAccount' | 'disableAccount' | 'enableAccount' | 'setAccountPassword'
    | 'setSecurity' | 'removeSecurity' | 'setProfile' | 'setNt' | 'setInbound' | 'setConnections'>>;
  readonly dns: Pick<SimDns, 'add' | 'remove'>;
  readonly paths: readonly Pick<PathInfo, 'id' | 'config' | 'setFirewall'>[];
}

export function applyLabAction(lab: ActionContext, action: LabAction): string {
  const server = lab.servers.get(action.org);
  if (!server) throw new LabError(`no organisation ${action.org}`);
  // The server owns its live settings; the action only asks it (the lab's configuration stays as given).
  let what: string;
  if (action.createAccount) {
    const { domain, user } = action.createAccount;
    if (!server.createAccount(action.createAccount)) {
      throw new LabError(`${action.org} already has an account ${domain}\\${user}: change its password, enable it, or delete it first`);
    }
    what = `account ${domain}\\${user} created`;
  } else if (action.deleteAccount) {
    if (!server.deleteAccount(action.deleteAccount.domain, action.deleteAccount.user)) throw new LabError(`${action.org} has no account ${action.deleteAccount.domain}\\${action.deleteAccount.user}`);
    what = `account ${action.deleteAccount.domain}\\${action.deleteAccount.user} deleted`;
  } else if (action.disableAccount || action.enableAccount || action.setPassword) {
    const target = (action.disableAccount ?? action.enableAccount ?? action.setPassword)!;
    const found = action.disableAccount ? server.disableAccount(target.domain, target.user)
      : action.enableAccount ? server.enableAccount(target.domain, target.user)
      : server.setAccountPassword(target.domain, target.user, action.setPassword!.password);
    if (!found) throw new LabError(`${action.org} has no account ${target.domain}\\${target.user}`);
    what = `account ${target.domain}\\${target.user} ${action.disableAccount ? 'disabled' : action.enableAccount ? 'enabled' : 'password changed'}`;
  } else if (action.setSecurity) {
    server.setSecurity(action.setSecurity);
    what = `security for ${action.setSecurity.domain} set to ${action.setSecurity.method}${action.setSecurity.level ? ` ${action.setSecurity.level}` : ''}`;
  } else if (action.removeSecurity) {
    server.removeSecurity(action.removeSecurity.domain);
    what = `security for ${action.removeSecurity.domain} removed`;
  } else if (action.setProfile) {
    server.setProfile(action.setProfile);
    what = `profile set to ${action.setProfile}`;
  } else if (action.setNt) {
    if (!server.setNt(action.setNt)) throw new LabError(`${action.org} has no NT domain to change`);
    what = `NT settings changed: ${server.config.nt!.crypto}, LM compatibility ${server.config.nt!.lmCompatibility}`;
  } else if (action.setInbound) {
    server.setInbound(action.setInbound);
    what = 'inbound policy changed';
  } else if (action.setConnections) {
    const { host: name, authentication, encryption } = action.setConnections;
    const host = server.setConnections(name, { authentication, encryption });
    if (!host?.accept) throw new LabError(`${action.org} has no host ${name} (hosts: ${server.config.hosts.map((h) => h.name).join(', ')})`);
    what = `connections on ${host.name}: ${acceptWords(host.accept)}`;
  } else if (action.addDns) {
    lab.dns.add(action.addDns);
    what = `DNS ${action.addDns.type} ${action.addDns.name} added`;
  } else if (action.removeDns) {
    const n = lab.dns.remove(action.removeDns.name, action.removeDns.type, action.removeDns.value);
    if (n === 0) throw new LabError(`no DNS ${action.removeDns.type} record ${action.removeDns.name} to remove`);
    what = `DNS ${action.removeDns.type} ${action.removeDns.name} removed`;
  } else if (action.setFirewall) {
    const { path: id } = action.setFirewall;
    let firewall: ProfileSpec;
    try {
      firewall = parseProfileSpec(action.setFirewall.firewall);
    } catch (error) {
      if (error instanceof ProfileSpecError) throw new LabError(`setFirewall.firewall: ${error.message}`);
      throw error;
    }
    const p = lab.paths.find((x) => x.id === id);
    if (!p) throw new LabError(`no path ${id} (paths: ${lab.paths.map((x) => x.id).join(', ')})`);
    if (!p.config.between.includes(action.org)) throw new LabError(`path ${id} is between ${p.config.between.join(' and ')}; ${action.org} has no firewall on it`);
    p.setFirewall(firewall);
    what = `firewall on ${id} set to ${firewallWords(firewall)}`;
  } else {
    throw new LabError('an action makes exactly one change');
  }
  return what;
}

/** The IMS Connections tab's words for an interface's setting (docs/products.md). */
export function acceptWords(a: { authentication: boolean; encryption: boolean } | undefined): string {
  if (!a || (!a.authentication && !a.encryption)) return 'accepts mail from all hosts';
  const what = [a.authentication ? 'authentication' : '', a.encryption ? 'encryption' : ''].filter(Boolean).join(' and ');
  return `accepts mail only from hosts using ${what}`;
}

/** The change in the words the firewall's own administrator would type (docs/stages.md). */
export function firewallWords(spec: ProfileSpec): string {
  const extra = spec.before.length + spec.stages.length;
  const base = spec.profile === 'pass' ? 'pass (no fixup protocol smtp 25 / no inspect esmtp)' : spec.profile;
  // The PIX's EHLO outcome (docs/firewall-config.md): the command filter's style, when set.
  const style = spec.with['command-filter']?.style;
  const ehlo = style === 'x' ? ', EHLO answered 500 Command unrecognized' : style === 'noop' ? ', EHLO answered 250 OK' : '';
  return `${base}${ehlo}${extra ? ` with ${extra} more stage${extra > 1 ? 's' : ''}` : ''}`;
}
