// The middlebox cause reads only a path and the taps (app/lab/middlebox-cause.ts): no lab needed.
// It names the box from the path's current firewall, so a profile set by hand is the one it blames.
import { describe, expect, it } from 'vitest';
import { hostRefusal, middleboxCause, type CauseTaps } from '../../app/lab/middlebox-cause.ts';
import { buildPaths } from '../../app/lab/topology.ts';
import { lab as labSchema } from '../../app/config/lab.ts';
import { parseProfileSpec } from '../../app/path/profiles.ts';
import { TapLog, type TapConnection } from '../../app/capture/tap.ts';
import type { Failure, TranscriptLine } from '../../app/mta/outbound/client.ts';

const org = (id: string) => ({ id, domain: `${id}.example`, profile: 'generic', hosts: [{ name: `mail.${id}.example`, address: id === 'a' ? '192.0.2.10' : '198.51.100.25' }] });
const config = labSchema.parse({ orgs: [org('a'), org('b')], paths: [{ between: ['a', 'b'], via: 'firewall', firewall: { profile: 'asa' } }] });

const endpoint = { ip: '192.0.2.10', port: 49152 };
const reset = (reason: string): TapConnection => ({
  conn: 'c1', point: 'a-b/sent', client: endpoint, server: { ip: '198.51.100.25', port: 25 }, openedAt: 0, labTime: 0, closedBy: 'reset', closeReason: reason, side: 'client',
});
const taps = (c: TapConnection): CauseTaps => {
  const log = new TapLog();
  log.open(c);
  return log;
};
const transcript: TranscriptLine[] = [{ dir: 'in', layer: 'clear', text: '220 ****' }, { dir: 'out', layer: 'clear', text: 'EHLO mail.a.example' }];
const lost: Failure = { action: 'defer', reason: 'lost connection with mail.b.example[198.51.100.25]', status: '4.4.2', broken: 'closed' };

describe('middleboxCause', () => {
  it('names the firewall, its stage in the vendor\'s words, and the command it reset after', () => {
    const [path] = buildPaths(config);
    const cause = middleboxCause(taps(reset('esmtp-inspect: command line longer than 16 bytes')), path, 'c1', transcript, lost, 'mail.b.example[198.51.100.25]');
    expect(cause).toBe('reset by the firewall (asa, inspect esmtp) after EHLO: command line longer than 16 bytes');
  });

  it('reads the path\'s current firewall: after setFirewall(pass) an inspect stage is no longer blamed', () => {
    const [path] = buildPaths(config);
    path.setFirewall(parseProfileSpec('pass'));
    expect(path.config.firewall?.profile).toBe('pass');
    expect(config.paths[0].firewall?.profile).toBe('asa');
    expect(middleboxCause(taps(reset('esmtp-inspect: command line longer than 16 bytes')), path, 'c1', transcript, lost, 'peer')).toBeUndefined();
  });

  it('says nothing of a refusal the peer replied to, or of a direct path', () => {
    const [path] = buildPaths(config);
    const replied: Failure = { action: 'bounce', reason: '550 no', status: '5.0.0' };
    expect(middleboxCause(taps(reset('esmtp-inspect: x')), path, 'c1', transcript, replied, 'peer')).toBeUndefined();
    const direct = buildPaths(labSchema.parse({ orgs: [org('a'), org('b')] }))[0];
    expect(() => direct.setFirewall(parseProfileSpec('asa'))).toThrow('path a-b is direct: only a firewall path\'s profile can change');
  });
});

describe('hostRefusal', () => {
  it('reads the relay\'s record of a host that refused the connection, and nothing of a stage\'s refusal', () => {
    const refused = (reason: string): TapConnection => ({ ...reset(reason), closedBy: 'refused' });
    expect(hostRefusal(taps(refused('connect to mail.b.example[198.51.100.25]:25: Connection refused')), 'c1'))
      .toBe('connect to mail.b.example[198.51.100.25]:25: Connection refused');
    expect(hostRefusal(taps(refused('block: the firewall refuses port 25')), 'c1')).toBeUndefined();
    expect(hostRefusal(taps(reset('esmtp-inspect: x')), 'c1')).toBeUndefined();
  });
});
