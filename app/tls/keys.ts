/**
 * The lab's RSA key pool (docs/tls.md, "Keys and certificates": one pool, reused across labs).
 *
 * RSA 2048 generation costs tens to hundreds of milliseconds per key, so keys are made once and
 * kept in a directory: the lab workspace (a restart keeps its keys, and with them its
 * certificates), or a shared cache such as `node_modules/.cache/postcard-lab/keys` for tests.
 * The same label in the same directory always gives the same key.
 *
 * Keys come from node:crypto (docs/tls.md, "Keys and certificates": never pure-JS RSA), exported as PKCS#1 PEM because that is
 * what node-forge's `privateKeyFromPem` reads.
 *
 * Writes are atomic and first-writer-wins (files.ts), so parallel test workers sharing one cache
 * agree on one key per label.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readIfExists, replaceFile, writeOnce } from './files.ts';

export interface LabKey {
  label: string;
  /** PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`), what node-forge and node:tls both accept. */
  privateKeyPem: string;
  /** SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`). */
  publicKeyPem: string;
}

export interface KeyPool {
  /** The directory the keys live in. */
  readonly dir: string;
  /** The key for `label`: read from the directory, or generated and stored once. */
  take(label: string): Promise<LabKey>;
}

/** A cache directory shared by every test run on this machine (kept out of git by node_modules). */
export function sharedKeyCacheDir(projectRoot: string = process.cwd()): string {
  return resolve(projectRoot, 'node_modules', '.cache', 'postcard-lab', 'keys');
}

/** File name for a label: readable, and collision-free thanks to the hash suffix. */
export function keyFileName(label: string): string {
  const readable = label.toLowerCase().replace(/[^a-z0-9.-]+/g, '_').slice(0, 60);
  const digest = createHash('sha256').update(label).digest('hex').slice(0, 12);
  return `${readable}-${digest}.pem`;
}

function generateRsa(bits: number): Promise<string> {
  return new Promise((done, fail) => {
    generateKeyPair(
      'rsa',
      {
        modulusLength: bits,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      },
      (err, _publicKey, privateKey) => (err ? fail(err) : done(privateKey)),
    );
  });
}

/** Parse a stored key; undefined when the file is not a usable RSA private key (truncated, edited). */
function loadKey(label: string, pem: string): LabKey | undefined {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') return undefined;
    const privateKeyPem = key.export({ type: 'pkcs1', format: 'pem' }).toString();
    const publicKeyPem = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
    return { label, privateKeyPem, publicKeyPem };
  } catch {
    return undefined;
  }
}

export function createKeyPool(dir: string, options: { bits?: number } = {}): KeyPool {
  const bits = options.bits ?? 2048;
  const inFlight = new Map<string, Promise<LabKey>>();

  async function takeFromDisk(label: string): Promise<LabKey> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, keyFileName(label));
    const stored = await readIfExists(path);
    if (stored !== undefined) {
      const key = loadKey(label, stored);
      if (key) return key;
      // A damaged file (a crash cannot cause one, but a hand edit can): make a new key.
      const fresh = await generateRsa(bits);
      await replaceFile(path, fresh);
    } else {
      await writeOnce(path, await generateRsa(bits));
    }
    const winner = loadKey(label, await readFile(path, 'utf8'));
    if (!winner) throw new Error(`key pool: ${path} does not hold an RSA key`);
    return winner;
  }

  return {
    dir,
    take(label: string): Promise<LabKey> {
      // One generation per label per process, however many callers ask at once.
      let pending = inFlight.get(label);
      if (!pending) {
        pending = takeFromDisk(label);
        inFlight.set(label, pending);
        pending.catch(() => inFlight.delete(label));
      }
      return pending;
    },
  };
}
