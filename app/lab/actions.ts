/**
 * Lab actions (SPEC §9): the changes a scenario step or the UI makes to a running lab — accounts,
 * the security table, the profile and NT build, the inbound policy, DNS records. Each returns the
 * sentence the lab announces (`lab.changed`); a change that names nothing real is an error.
 */
import type { LabAction } from '../config/schema.ts';
import type { Lab } from './lab.ts';
import { LabError } from '../base/errors.ts';

export function applyLabAction(lab: Lab, action: LabAction): string {
  const server = lab.servers.get(action.org);
  if (!server) throw new LabError(`no organisation ${action.org}`);
  const c = server.config;
  const sameAccount = (a: { domain: string; user: string }) => (b: { domain: string; user: string }) => a.domain.toLowerCase() === b.domain.toLowerCase() && a.user.toLowerCase() === b.user.toLowerCase();
  let what: string;
  if (action.createAccount) {
    c.accounts = [...c.accounts.filter((a) => !sameAccount(action.createAccount!)(a)), action.createAccount];
    what = `account ${action.createAccount.domain}\\${action.createAccount.user} created`;
  } else if (action.deleteAccount) {
    const n = c.accounts.length;
    c.accounts = c.accounts.filter((a) => !sameAccount(action.deleteAccount!)(a));
    if (c.accounts.length === n) throw new LabError(`${action.org} has no account ${action.deleteAccount.domain}\\${action.deleteAccount.user}`);
    what = `account ${action.deleteAccount.domain}\\${action.deleteAccount.user} deleted`;
  } else if (action.disableAccount || action.setPassword) {
    const target = (action.disableAccount ?? action.setPassword)!;
    const account = server.findAccount(target.domain, target.user);
    if (!account) throw new LabError(`${action.org} has no account ${target.domain}\\${target.user}`);
    if (action.disableAccount) account.disabled = true;
    if (action.setPassword) account.password = action.setPassword.password;
    what = `account ${target.domain}\\${target.user} ${action.disableAccount ? 'disabled' : 'password changed'}`;
  } else if (action.setSecurity) {
    server.setSecurity(action.setSecurity);
    what = `security for ${action.setSecurity.domain} set to ${action.setSecurity.method}${action.setSecurity.level ? ` ${action.setSecurity.level}` : ''}`;
  } else if (action.removeSecurity) {
    c.security = c.security.filter((e) => e.domain.toLowerCase() !== action.removeSecurity!.domain.toLowerCase());
    what = `security for ${action.removeSecurity.domain} removed`;
  } else if (action.setProfile) {
    c.profile = action.setProfile;
    what = `profile set to ${action.setProfile}`;
  } else if (action.setNt) {
    if (!c.nt) throw new LabError(`${action.org} has no NT domain to change`);
    c.nt = { ...c.nt, ...Object.fromEntries(Object.entries(action.setNt).filter(([, v]) => v !== undefined)) };
    server.applyInbound();
    what = `NT settings changed: ${c.nt.crypto}, LM compatibility ${c.nt.lmCompatibility}`;
  } else if (action.setInbound) {
    c.inbound = { ...c.inbound, ...Object.fromEntries(Object.entries(action.setInbound).filter(([, v]) => v !== undefined)) };
    server.applyInbound();
    what = 'inbound policy changed';
  } else if (action.addDns) {
    lab.dns.add(action.addDns);
    what = `DNS ${action.addDns.type} ${action.addDns.name} added`;
  } else if (action.removeDns) {
    const n = lab.dns.remove(action.removeDns.name, action.removeDns.type, action.removeDns.value);
    if (n === 0) throw new LabError(`no DNS ${action.removeDns.type} record ${action.removeDns.name} to remove`);
    what = `DNS ${action.removeDns.type} ${action.removeDns.name} removed`;
  } else {
    throw new LabError('an action makes exactly one change');
  }
  return what;
}
