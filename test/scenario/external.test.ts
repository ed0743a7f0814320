/**
 * An external organisation (`external: { smtp: "host:port" }`) is an existing server the lab
 * delivers to through its own paths and taps. It needs no `hosts:`: the lab derives its one mail
 * host (`mx.<domain>`, or `external.name`) with a documentation address.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseScenario } from '../../app/scenario/load.ts';
import { runScenario } from '../../app/scenario/run.ts';
import { bareSmtpServer, type BareServer } from '../helpers/lab.ts';

const servers: BareServer[] = [];
afterEach(async () => { for (const s of servers.splice(0)) await s.close(); });

const yaml = (port: number, external: string) => `
title: Rehearse against a staging server
lab:
  seed: 3
  orgs:
    - { id: intellinet, domain: intellinet.example, users: [alice], hosts: [{ name: mail.intellinet.example, address: 192.0.2.10 }] }
    - { id: staging, domain: staging.example, users: [sam], external: { smtp: "127.0.0.1:${port}"${external} } }
  paths:
    - { between: [intellinet, staging], via: firewall, firewall: { profile: pass } }
steps:
  - send: { id: m1, from: alice@intellinet.example, to: sam@staging.example, subject: To staging, body: "Hello staging" }
  - expect: { message: m1, outcome: delivered, wire: cleartext }
`;

describe('an external organisation without hosts', () => {
  it('gets mx.<domain> at a documentation address, and mail reaches the real server through the path', async () => {
    const partner = await bareSmtpServer();
    servers.push(partner);
    const loaded = parseScenario(yaml(partner.port, ''), 'staging.yaml');
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
    const [host] = loaded.scenario.lab.orgs[1].hosts;
    expect(host.name).toBe('mx.staging.example');
    expect(host.address).toMatch(/^203\.0\.113\.\d+$/);

    const result = await runScenario('staging.yaml', 'staging', loaded.scenario);
    expect(result.steps.map((s) => [s.kind, s.status, s.message])).toEqual([
      ['send', 'passed', expect.any(String)],
      ['expect', 'passed', expect.any(String)],
    ]);
    expect(partner.received).toHaveLength(1);
    expect(partner.received[0]).toMatchObject({ from: 'alice@intellinet.example', to: ['sam@staging.example'] });
    expect(partner.received[0].data.toString()).toContain('Hello staging');
  });

  it('takes the name and address the scenario gives', () => {
    const loaded = parseScenario(yaml(2525, ', name: smtp.staging.example, address: 198.51.100.77'), 'staging.yaml');
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
    expect(loaded.scenario.lab.orgs[1].hosts).toEqual([{ name: 'smtp.staging.example', address: '198.51.100.77', certificate: 'valid' }]);
  });

  it('still needs hosts for an organisation the lab runs itself, and says where', () => {
    const text = yaml(2525, '').replace(', hosts: [{ name: mail.intellinet.example, address: 192.0.2.10 }]', '');
    const loaded = parseScenario(text, 'staging.yaml');
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.errors.map((e) => `${e.line}:${e.path}: ${e.message}`)).toEqual([
      '6:lab.orgs[0].hosts: an organisation needs at least one mail host (only an external one may leave hosts out)']);
  });
});
