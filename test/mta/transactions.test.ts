/**
 * One SMTP transaction is all or nothing: a recipient the server cannot take is refused at RCPT
 * (RFC 5321 §4.1.2, RFC 3463 X.1.3), `<Postmaster>` without a domain is the server's own
 * postmaster (RFC 5321 §4.1.1.3), and an internal failure answers `451 4.3.0` without its detail
 * and without leaving a local copy that the client's retry would duplicate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../../app/lab/lab.ts';
import { rawClient, type RawClient } from '../helpers/net.ts';
import { twoOrgs } from '../helpers/lab.ts';
import { checkRecipientAddress } from '../../app/mta/address.ts';

const labs: Lab[] = [];
afterEach(async () => { for (const l of labs.splice(0)) await l.stop(); });

async function submission(): Promise<{ lab: Lab; client: RawClient }> {
  const lab = await createLab(twoOrgs());
  labs.push(lab);
  const port = lab.servers.get('intellinet')!.listeners.find((l) => l.role === 'submission')!.port;
  const client = await rawClient(port);
  await client.reply();
  client.send('EHLO client.example');
  await client.reply();
  return { lab, client };
}

async function say(client: RawClient, line: string): Promise<string> {
  client.send(line);
  return client.reply();
}

const mailbox = (lab: Lab, org: string, user: string) => lab.servers.get(org)!.mailboxes.list(user);

describe('recipients at RCPT', () => {
  it('takes <postmaster> without a domain as its own postmaster, beside a local user, in one 250', async () => {
    const { lab, client } = await submission();
    expect(await say(client, 'MAIL FROM:<alice@intellinet.example>')).toMatch(/^250/);
    expect(await say(client, 'RCPT TO:<alice@intellinet.example>')).toMatch(/^250/);
    expect(await say(client, 'RCPT TO:<postmaster>')).toMatch(/^250/);
    expect(await say(client, 'DATA')).toMatch(/^354/);
    const reply = await say(client, 'Subject: to the postmaster\r\n\r\nhello\r\n.');
    expect(reply).toMatch(/^250 2\.0\.0 OK: queued as /);
    expect(mailbox(lab, 'intellinet', 'alice')).toHaveLength(1);
    expect(mailbox(lab, 'intellinet', 'postmaster')).toHaveLength(1);
    expect(lab.servers.get('intellinet')!.internalErrors).toEqual([]);
  });

  it('refuses a recipient without a domain, or with a broken one, with 501 5.1.3 and stores nothing', async () => {
    const { lab, client } = await submission();
    expect(await say(client, 'MAIL FROM:<alice@intellinet.example>')).toMatch(/^250/);
    expect(await say(client, 'RCPT TO:<sean>')).toMatch(/^501 .*Bad recipient address syntax$/);
    expect(await say(client, 'RCPT TO:<sean@-ntsol.example>')).toMatch(/^501 .*Bad recipient address syntax$/);
    expect(await say(client, 'RCPT TO:<alice@intellinet.example>')).toMatch(/^250/);
    expect(await say(client, 'DATA')).toMatch(/^354/);
    expect(await say(client, 'Subject: x\r\n\r\nonly alice\r\n.')).toMatch(/^250/);
    expect(mailbox(lab, 'intellinet', 'alice')).toHaveLength(1);
    expect([...lab.servers.get('intellinet')!.entries.values()]).toEqual([]);
  });
});

describe('a failure inside the server', () => {
  it('answers 451 4.3.0 without the JavaScript detail, logs the detail, and leaves no local copy', async () => {
    const { lab, client } = await submission();
    const server = lab.servers.get('intellinet')!;
    // Make the queue write fail after the local recipient is known: a full disk, say.
    const original = server.submit.bind(server);
    server.submit = () => { throw new TypeError("Cannot read properties of undefined (reading 'toLowerCase')"); };
    expect(await say(client, 'MAIL FROM:<alice@intellinet.example>')).toMatch(/^250/);
    expect(await say(client, 'RCPT TO:<alice@intellinet.example>')).toMatch(/^250/);
    expect(await say(client, 'RCPT TO:<sean@ntsol.example>')).toMatch(/^250/);
    expect(await say(client, 'DATA')).toMatch(/^354/);
    expect(await say(client, 'Subject: x\r\n\r\nboth\r\n.')).toBe('451 4.3.0 Local error in processing');
    expect(client.received()).not.toMatch(/toLowerCase|TypeError|Cannot read/);
    expect(mailbox(lab, 'intellinet', 'alice')).toEqual([]);
    expect(server.internalErrors.map((e) => e.detail)).toEqual([expect.stringContaining("reading 'toLowerCase'")]);
    server.submit = original;
  });
});

describe('checkRecipientAddress (RFC 5321 §4.1.2)', () => {
  it.each([
    ['sean@ntsol.example', true],
    ['Postmaster', true],
    ['"sean o"@ntsol.example', true],
    ['sean@[198.51.100.25]', true],
    ['sean', false],
    ['@ntsol.example', false],
    ['sean@', false],
    ['sean@ntsol..example', false],
    ['sean@ntsol_example.com', false],
    ['se an@ntsol.example', false],
    [`${'a'.repeat(65)}@ntsol.example`, false],
  ])('%s → %s', (address, ok) => {
    expect(checkRecipientAddress(address, 'ntsol.example').ok).toBe(ok);
  });
});
