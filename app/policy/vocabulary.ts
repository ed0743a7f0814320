/**
 * One security setting in every product's words (docs/lab.md, "Outbound security": the policy translator shows one
 * entry in every vocabulary). The lab's own model is Postfix's levels plus method `ntlm`; each product
 * maps its settings onto it, both ways, in its own module (app/products/<name>.ts), and says
 * plainly what it cannot express. This module is the translator's front: one entry → every
 * product's view of it.
 *
 *   Exchange 5.5 IMS, Security tab       Exchange 2019 send connector           lab / Postfix level
 *   No authentication or encryption      RequireTLS $false                       none (2019: may)
 *   Windows NT challenge/response …      —                                       method ntlm
 *   SASL/SSL security + SSL encryption   RequireTLS $true, EncryptionOnly        encrypt
 *   —                                    RequireTLS $true, CertificateValidation verify
 *   —                                    RequireTLS $true, DomainValidation      secure
 */
import type { SecurityEntry } from '../config/schema.ts';
import { PRODUCTS } from '../products/index.ts';

export { fromIms, toIms, type ImsOption, type ImsSetting } from '../products/exchange-5.5.ts';
export { fromSendConnector, toSendConnector, type SendConnectorTls } from '../products/exchange-2019.ts';
export { toPostfix } from '../products/postfix.ts';
export type { Translation } from '../products/types.ts';

export type TlsLevel = NonNullable<SecurityEntry['level']>;

export interface ProductView {
  product: string;
  /** The product's console words for the entry. */
  said: string;
  exact: boolean;
  /** Why the product cannot say it exactly. */
  note?: string;
  /** Parts of the entry the product cannot express at all (e.g. `minKeyBits` on the IMS). */
  inexpressible: string[];
}

/** One entry as every product of the registry would state it. */
export function translate(e: SecurityEntry): ProductView[] {
  return PRODUCTS.map((p) => {
    const t = p.vocabulary.toSetting(e);
    return {
      product: p.name, said: p.vocabulary.describe(e), exact: t.ok,
      ...(t.ok ? (t.note ? { note: t.note } : {}) : { note: t.reason }),
      inexpressible: p.vocabulary.inexpressible?.(e) ?? [],
    };
  });
}
