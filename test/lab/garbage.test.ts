/**
 * Bad input (docs/lab.md, "Quality bars"): garbage, oversized lines and abrupt disconnects on every listener a lab
 * opens — mail hosts, submission ports, relays (direct, firewall, content scanner) and the MTA-STS
 * web host. Each gets a clear refusal or a closed connection; none dies; mail flows afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { createRng } from '../../app/base/rng.ts';
import { twoOrgs } from '../helpers/lab.ts';

let lab: Lab;

beforeAll(async () => {
  lab = await createLab(twoOrgs((l) => {
    l.orgs.push({ id: 'partner', domain: 'partner.example', users: ['pat'], hosts: [{ name: 'mail.partner.example', address: '203.0.113.25' }], inbound: { starttls: true }, mtaSts: { mode: 'enforce' } });
    l.orgs[1].inbound = { starttls: true };
    l.paths = [
      { between: ['intellinet', 'ntsol'], via: 'firewall', firewall: { profile: 'asa' } },
      { between: ['intellinet', 'partner'], via: 'content-scanner', scanner: { name: 'scanner.partner.example', address: '203.0.113.5' } },
    ];
  }));
});
afterAll(() => lab?.stop());

function listeners(): { what: string; port: number }[] {
  const out: { what: string; port: number }[] = [];
  for (const e of lab.endpoints() as Record<string, unknown>[]) {
    for (const key of ['smtp', 'submission', 'entry', 'https'] as const) {
      const v = e[key];
      if (typeof v === 'string' && v.startsWith('127.0.0.1:')) out.push({ what: `${e.type} ${String(e.name ?? e.to)} ${key}`, port: Number(v.split(':')[1]) });
    }
  }
  return out;
}

/** Write `bytes`, collect what comes back until the peer closes or a short quiet time passes. */
function poke(port: number, bytes: Buffer, destroyEarly = false): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    let timer: NodeJS.Timeout | undefined;
    const done = () => { clearTimeout(timer); s.destroy(); resolve(got); };
    s.on('data', (d) => { got += d.toString('latin1'); clearTimeout(timer); timer = setTimeout(done, 150); });
    s.on('error', () => done());
    s.on('close', () => done());
    s.on('connect', () => {
      s.write(bytes);
      if (destroyEarly) s.destroy();
      timer = setTimeout(done, 250);
    });
  });
}

describe('garbage on every listener', () => {
  it('finds the listeners a lab opens (hosts, submission, relays, scanner, MTA-STS host)', () => {
    const all = listeners().map((l) => l.what);
    expect(all.some((w) => w.includes('submission'))).toBe(true);
    expect(all.some((w) => w.includes('entry'))).toBe(true);
    expect(all.some((w) => w.includes('https'))).toBe(true);
    expect(all.some((w) => w.includes('scanner.partner.example'))).toBe(true);
  });

  it('survives random bytes, a 1 MiB line, a TLS ClientHello to a plain port and abrupt closes on each', async () => {
    const rng = createRng(2026);
    const garbage = [
      rng.bytes(4096),
      Buffer.concat([Buffer.alloc(1 << 20, 0x41), Buffer.from('\r\n')]),
      Buffer.from('16030100a5010000a10303', 'hex'),
      Buffer.from('EHLO x\r\nAUTH NTLM !!!notbase64!!!\r\nSTARTTLS now please\r\n\x00\x01\x02\r\n'),
    ];
    const early = rng.bytes(100);
    await Promise.all(listeners().map(async ({ port }) => {
      for (const bytes of garbage) await poke(port, bytes);
      await poke(port, early, true);
    }));
    // Every SMTP listener still greets; the HTTPS host still answers a TLS handshake.
    for (const { what, port } of listeners()) {
      const first = await poke(port, Buffer.alloc(0));
      if (what.includes('https')) continue;
      expect(first, what).toMatch(/^220 /);
    }
  });

  it('still delivers mail on every path afterwards, and lost nothing it accepted', async () => {
    lab.send({ id: 'after1', from: 'alice@intellinet.example', to: 'sean@ntsol.example', subject: 'after', body: 'still here' });
    lab.send({ id: 'after2', from: 'alice@intellinet.example', to: 'pat@partner.example', subject: 'after', body: 'still here' });
    expect(await lab.settle('after1', false)).toBe('delivered');
    expect(await lab.settle('after2', false)).toBe('delivered');
  });
});
