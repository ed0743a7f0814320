// The terminal through the contract, as the Terminal tab drives it: a raw session to a host,
// STARTTLS on its own connection with the certificate checked against the lab's, its bytes on the
// tap; and character mode through the ASA, one keystroke per packet.
import { X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createDispatch } from '../../app/api/dispatch.ts';
import { createHandlers } from '../../app/api/handlers.ts';
import { TERMINALS_PER_CONNECTION, TERMINALS_PER_LAB } from '../../app/terminal/service.ts';
import { drive, type Driven } from '../api/helpers.ts';

let d: Driven | undefined;
afterEach(async () => {
  await d?.session.close();
  d = undefined;
});

async function started(id: string): Promise<Driven> {
  d = drive();
  await d.call('openScenario', { id });
  await d.call('startLab', {});
  return d;
}

/** Output of a session until `pattern` shows up in it. */
async function until(x: Driven, session: string, pattern: RegExp): Promise<string> {
  const text = () => x.events.filter((e) => e.event === 'terminal.output' && e.payload.session === session).map((e) => (e.payload as { text: string }).text).join('');
  while (!pattern.test(text())) await x.next((e) => e.event === 'terminal.output' || e.event === 'terminal.closed');
  return text();
}

describe('terminal', () => {
  it('lists every mail host and every path entry', async () => {
    const x = await started('asa-breaks-ntlm');
    const { targets } = await x.call('terminalTargets', {});
    expect(targets.map((t) => t.id)).toEqual(expect.arrayContaining([
      'host:mail.intellinet.example', 'host:mail.ntsol.example', 'path:intellinet-ntsol:intellinet:mail.ntsol.example',
    ]));
    expect((await x.fail('terminalOpen', { target: 'host:nowhere.example' })).message).toContain('no terminal target "host:nowhere.example"');
  });

  it('telnet-starttls: ehlo, starttls, the certificate is the lab\'s, and the typed bytes are on the tap', async () => {
    const x = await started('telnet-starttls');
    const t = await x.call('terminalOpen', { target: 'host:mail.partner.example', mode: 'line' });
    expect(t.point).toBe(`terminal/${t.id}`);
    await until(x, t.id, /^220 /m);
    await x.call('terminalSend', { session: t.id, data: 'ehlo x\r\n' });
    await until(x, t.id, /^250 /m);
    await x.call('terminalSend', { session: t.id, data: 'starttls\r\n' });
    const tls = x.events.find((e) => e.event === 'terminal.tls') ?? await x.next((e) => e.event === 'terminal.tls');
    const cert = (tls.payload as { certificate: { fingerprint256: string; subject: string; validNow: boolean } }).certificate;
    const issued = x.session.lab.security.certs.get('mail.partner.example')!;
    expect(cert.fingerprint256).toBe(new X509Certificate(issued.certPem).fingerprint256);
    expect(cert.subject).toContain('CN=mail.partner.example');
    expect(cert.validNow).toBe(true);
    const out = await until(x, t.id, /SHA-256: /);
    expect(out).toContain('220 ');
    expect(out).toContain(cert.fingerprint256);
    // Inside TLS, the server answers a fresh EHLO.
    await x.call('terminalSend', { session: t.id, data: 'ehlo y\r\n' });
    const after = await until(x, t.id, /SHA-256:[^]*^250 /m);
    expect(after.split('SHA-256:')[1]).not.toContain('STARTTLS');
    // The tap saw the typed bytes at the terminal's own capture point, and they are in the packet view.
    const typed = Buffer.concat([...x.session.lab.taps.records].filter((r) => r.point === t.point && r.dir === 'c2s').map((r) => r.bytes)).toString('latin1');
    expect(typed.startsWith('ehlo x\r\nstarttls\r\n')).toBe(true);
    const page = await x.call('pagePackets', { point: t.point, filter: 'frame contains "ehlo x"' });
    expect(page.rows).toHaveLength(1);
    expect(page.rows[0].info).toContain('ehlo x');
    // With the lab's keys the packet view reads the EHLO inside TLS too.
    const decrypted = await x.call('pagePackets', { point: t.point, decrypt: true });
    expect(decrypted.rows.map((r) => r.info).join('\n')).toContain('ehlo y');
    const { links } = await x.call('getLinks', {});
    expect(links.find((l) => l.point === t.point)!.last).toMatchObject({ protection: 'tls', tls: { verified: false } });
    await x.call('terminalClose', { session: t.id });
  });

  it('character mode through the ASA: one keystroke is one packet, and the ASA turns each into an X (Cisco tech note 113423)', async () => {
    const x = await started('asa-breaks-ntlm');
    const t = await x.call('terminalOpen', { target: 'path:intellinet-ntsol:intellinet:mail.ntsol.example', mode: 'character' });
    await until(x, t.id, /^220 /m);
    const keys = ['h', 'e', 'l', 'o', ' ', 'x', '\r\n'];
    for (const k of keys) await x.call('terminalSend', { session: t.id, data: k });
    // The server read a line of Xs, not HELO, and says so.
    const answer = (await until(x, t.id, /^5\d\d [^\r\n]*\r?\n/m)).split(/\r?\n/).find((l) => /^5\d\d /.test(l));
    expect(answer).toMatch(/^50[02] /);
    for (const point of [t.point, 'intellinet-ntsol/sent', 'intellinet-ntsol/received']) {
      const page = await x.call('pagePackets', { point, filter: 'tcp.len > 0' });
      const c2s = page.rows.filter((r) => r.source.startsWith('192.0.2.10') || r.source.startsWith('mail.intellinet'));
      expect(c2s.map((r) => r.length - 54), point).toEqual(keys.map((k) => Buffer.byteLength(k)));
    }
    const typed = (point: string) => Buffer.concat([...x.session.lab.taps.records].filter((r) => r.point === point && r.dir === 'c2s').map((r) => r.bytes)).toString('latin1');
    expect(typed('intellinet-ntsol/sent')).toBe('helo x\r\n');
    expect(typed('intellinet-ntsol/received')).toBe('XXXXXX\r\n');

    // The same line typed whole (line mode) is a command the ASA passes: the server answers HELO.
    const line = await x.call('terminalOpen', { target: 'path:intellinet-ntsol:intellinet:mail.ntsol.example', mode: 'line' });
    await until(x, line.id, /^220 /m);
    await x.call('terminalSend', { session: line.id, data: 'helo x\r\n' });
    expect(await until(x, line.id, /^250 /m)).toMatch(/^250 /m);
    await x.call('terminalClose', { session: t.id });
    await x.call('terminalClose', { session: line.id });
  });
});

describe('terminal sessions: limits and lifetime (one client must not use up the process)', () => {
  /** One connection of the API (a page's socket): its own dispatch, as the bridge gives each socket. */
  const connectionOf = (x: Driven) => {
    const owner = {};
    const dispatch = createDispatch(createHandlers(x.session, owner));
    return { owner, open: () => dispatch('terminalOpen', { target: 'host:mail.ntsol.example', mode: 'line' }) };
  };

  it('refuses more than a few per connection and per lab, clearly, before any socket is made; closing one makes room', async () => {
    const x = await started('postcard');
    const a = connectionOf(x);
    // Asked all at once, as a flood would: only the allowed number is made.
    const burst = await Promise.all(Array.from({ length: 10 }, () => a.open()));
    const made = burst.filter((r) => r.ok);
    expect(made).toHaveLength(TERMINALS_PER_CONNECTION);
    const refused = burst.find((r) => !r.ok);
    expect(refused).toEqual({ ok: false, error: { code: 'failed', message: `this connection has ${TERMINALS_PER_CONNECTION} terminal sessions open, the most one page may hold; close one first` } });
    expect(x.session.terminals.list()).toHaveLength(TERMINALS_PER_CONNECTION);

    // Other connections share the lab's limit.
    const others = Array.from({ length: TERMINALS_PER_LAB }, () => connectionOf(x));
    const more = [];
    for (const c of others) more.push(await c.open());
    expect(more.filter((r) => r.ok)).toHaveLength(TERMINALS_PER_LAB - TERMINALS_PER_CONNECTION);
    expect(more.at(-1)).toEqual({ ok: false, error: { code: 'failed', message: `this lab has ${TERMINALS_PER_LAB} terminal sessions open, the most it holds at once; close one first` } });

    // Closing one makes room again, and the new session works.
    const first = (made[0] as { result: { id: string } }).result.id;
    await x.call('terminalClose', { session: first });
    const again = await others.at(-1)!.open();
    expect(again.ok).toBe(true);
    const id = (again as { result: { id: string } }).result.id;
    await until(x, id, /^220 /m);
  });

  it('closes the sessions of a connection when it closes, not another\'s; a late send says why', async () => {
    const x = await started('postcard');
    const a = connectionOf(x), b = connectionOf(x);
    const mine = await a.open(), theirs = await b.open();
    if (!mine.ok || !theirs.ok) throw new Error('terminalOpen failed');
    const aId = (mine.result as { id: string }).id, bId = (theirs.result as { id: string }).id;
    x.session.closeTerminalsOf(a.owner);
    expect(x.events).toContainEqual({ event: 'terminal.closed', payload: { session: aId, reason: 'the connection that opened it closed' } });
    expect(x.session.terminals.list().map((t) => t.id)).toEqual([bId]);
    expect(await x.fail('terminalSend', { session: aId, data: 'QUIT\r\n' })).toEqual({ code: 'failed', message: `terminal ${aId} is closed (the connection that opened it closed)` });
    // The other connection's session goes on.
    await x.call('terminalSend', { session: bId, data: 'EHLO b\r\n' });
    await until(x, bId, /^250 /m);
    // A closed connection opens nothing more.
    expect(await a.open()).toEqual({ ok: false, error: { code: 'failed', message: 'the connection that asked for this terminal has closed' } });
  });
});

