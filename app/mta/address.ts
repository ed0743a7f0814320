/**
 * Mailbox syntax at the SMTP envelope (RFC 5321 §4.1.2): `Local-part "@" ( Domain /
 * address-literal )`. The one exception is `RCPT TO:<Postmaster>` without a domain, which every
 * server must accept and which means its own postmaster (RFC 5321 §4.1.1.3, §4.5.1).
 * A recipient that fails here is refused at RCPT, before anything is stored.
 */

/** RFC 5321 §4.1.2 `Domain`: sub-domains of letters, digits and inner hyphens (RFC 1035 §2.3.1). */
const SUB_DOMAIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** RFC 5321 §4.1.3 address literal, IPv4 form and the tagged (IPv6:…) form. */
const ADDRESS_LITERAL = /^\[(?:\d{1,3}(?:\.\d{1,3}){3}|IPv6:[0-9A-Fa-f:.]+)\]$/;
/** RFC 5321 §4.1.2 Dot-string atoms (atext of RFC 5322 §3.2.3), or a quoted string. */
const DOT_STRING = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const QUOTED = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$/;

export type RecipientCheck =
  | { ok: true; address: string }
  | { ok: false; reason: string };

/**
 * Checks a RCPT address; `<postmaster>` (any case) becomes `postmaster@<ownDomain>`.
 * Length limits: RFC 5321 §4.5.3.1.1 (local part 64) and §4.5.3.1.2 (domain 255).
 */
export function checkRecipientAddress(address: string, ownDomain: string): RecipientCheck {
  if (/^postmaster$/i.test(address)) return { ok: true, address: `postmaster@${ownDomain}` };
  const at = address.lastIndexOf('@');
  if (at <= 0) return { ok: false, reason: 'no domain' };
  const local = address.slice(0, at), domain = address.slice(at + 1);
  if (local.length > 64) return { ok: false, reason: 'local part longer than 64 octets' };
  if (!DOT_STRING.test(local) && !QUOTED.test(local)) return { ok: false, reason: 'bad local part' };
  if (domain.length === 0 || domain.length > 255) return { ok: false, reason: 'bad domain' };
  if (ADDRESS_LITERAL.test(domain)) return { ok: true, address };
  if (!domain.split('.').every((label) => SUB_DOMAIN.test(label))) return { ok: false, reason: 'bad domain' };
  return { ok: true, address };
}
