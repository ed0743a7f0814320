/**
 * Small atomic file helpers for the key pool and the certificate cache (docs/lab.md, "Quality bars": writes
 * are atomic; a lab killed mid-write must not leave half a key behind).
 *
 * `writeOnce` is first-writer-wins: write a temporary file, then hard-link it to the final name.
 * `link` fails with EEXIST when another process got there first, and we adopt what it wrote, so
 * parallel test workers sharing one cache agree on one key per label. (A `rename` would silently
 * replace a key another process had already used to sign a certificate.)
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';

export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Store `content` at `path` unless a file is already there. Returns what is at `path` afterwards:
 * ours, or what another writer stored first.
 */
export async function writeOnce(path: string, content: string): Promise<string> {
  // The temporary name only has to be unique; it is not key material, but node:crypto is at hand
  // and the lab rng is not (and must not be consumed by file I/O).
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  try {
    await link(tmp, path);
    return content;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return (await readIfExists(path)) ?? content;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Replace whatever is at `path` (a stored file that was found unusable or stale). */
export async function replaceFile(path: string, content: string): Promise<string> {
  await unlink(path).catch(() => undefined);
  return writeOnce(path, content);
}
