/**
 * Whether OpenSSL takes a server's inbound TLS settings (versions, ciphers), asked before anything
 * uses them: by the scenario loader (a bad cipher string is a mistake in the file, at its line) and
 * by `setInbound` (a change OpenSSL refuses changes nothing). smtp-server builds its contexts with
 * `tls.createSecureContext` (`updateSecureContext`); this builds one the same way with the
 * product's TLS (app/products/) under the settings, as app/lab/security.ts `inboundOptions` does.
 */
import tls from 'node:tls';
import type { OrgConfig } from '../config/schema.ts';
import { product } from '../products/index.ts';

type InboundTls = NonNullable<OrgConfig['inbound']['tls']>;

/** What is wrong with `settings` for OpenSSL, and which of its keys; undefined when a context builds. */
export function inboundTlsProblem(profile: OrgConfig['profile'], settings: InboundTls): { key: keyof InboundTls | undefined; message: string } | undefined {
  const merged = { ...product(profile).tls, ...settings };
  try {
    tls.createSecureContext({
      ...(merged.minVersion ? { minVersion: merged.minVersion } : {}),
      ...(merged.maxVersion ? { maxVersion: merged.maxVersion } : {}),
      ...(merged.ciphers !== undefined ? { ciphers: merged.ciphers } : {}),
    });
    return undefined;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    // OpenSSL's "error:0A0000B9:SSL routines::no cipher match" (SSL_CTX_set_cipher_list found none).
    if (e.code === 'ERR_SSL_NO_CIPHER_MATCH') {
      return { key: 'ciphers', message: `no cipher OpenSSL knows matches ${JSON.stringify(merged.ciphers)} (OpenSSL's names, as \`openssl ciphers -v\` lists them, e.g. AES128-SHA:AES256-SHA or DEFAULT:@SECLEVEL=0)` };
    }
    return { key: undefined, message: `OpenSSL refuses these TLS settings: ${e.message}` };
  }
}
