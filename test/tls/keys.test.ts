import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKeyPool, keyFileName } from '../../app/tls/keys.ts';

// The pool's mechanics are tested with 1024-bit keys in a fresh directory: what is under test is
// caching and atomic writes, not RSA.
const bits = 1024;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'postcard-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('KeyPool', () => {
  it('gives the same key for the same label, also after a restart on the same directory', async () => {
    const first = await createKeyPool(dir, { bits }).take('lab:ca');
    const again = await createKeyPool(dir, { bits }).take('lab:ca');
    expect(again.privateKeyPem).toBe(first.privateKeyPem);
    const other = await createKeyPool(dir, { bits }).take('lab:host:mail.ntsol.example');
    expect(other.privateKeyPem).not.toBe(first.privateKeyPem);
  });

  it('stores PKCS#1 PEM that node-forge reads, and leaves no temporary files behind', async () => {
    const key = await createKeyPool(dir, { bits }).take('lab:ca');
    expect(key.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const forgeKey = forge.pki.privateKeyFromPem(key.privateKeyPem);
    expect(forgeKey.n.bitLength()).toBe(bits);
    expect(await readdir(dir)).toEqual([keyFileName('lab:ca')]);
  });

  it('makes one key when many callers, or two pools racing on one directory, ask at once', async () => {
    const a = createKeyPool(dir, { bits });
    const b = createKeyPool(dir, { bits });
    const keys = await Promise.all([a.take('x'), a.take('x'), b.take('x'), b.take('x')]);
    expect(new Set(keys.map((k) => k.privateKeyPem)).size).toBe(1);
    expect(await readFile(join(dir, keyFileName('x')), 'utf8')).toBe(keys[0].privateKeyPem);
  });

  it('replaces a damaged key file instead of failing the lab', async () => {
    await writeFile(join(dir, keyFileName('broken')), '-----BEGIN RSA PRIVATE KEY-----\ntruncated');
    const key = await createKeyPool(dir, { bits }).take('broken');
    expect(forge.pki.privateKeyFromPem(key.privateKeyPem).n.bitLength()).toBe(bits);
  });

  it('keeps labels that differ only in punctuation apart', () => {
    expect(keyFileName('lab:host:a.example')).not.toBe(keyFileName('lab:host/a.example'));
  });
});
