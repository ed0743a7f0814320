/**
 * The product registry (docs/products.md): every server profile the lab can run, in one list.
 * Adding a product is one module in this folder and one line here; the scenario schema's
 * profile enum, the contract's setting union, `policy --as`, the security dialog and the MTA
 * read from this list.
 */
import type { Product, Vocabulary } from './types.ts';
import { exchange55 } from './exchange-5.5.ts';
import { exchange2019 } from './exchange-2019.ts';
import { postfix } from './postfix.ts';
import { generic } from './generic.ts';
import { exim } from './exim.ts';

export const PRODUCTS = [exchange55, exchange2019, postfix, generic, exim] as const satisfies readonly Product[];

export const PRODUCT_NAMES = PRODUCTS.map((p) => p.name) as [string, ...string[]];

/** The product an organisation runs; throws on a name the registry does not have (the schema refuses those first). */
export function product(name: string): Product {
  const p = PRODUCTS.find((x) => x.name === name);
  if (!p) throw new Error(`unknown server profile "${name}" (known: ${PRODUCT_NAMES.join(', ')})`);
  return p;
}

/** Every distinct vocabulary, once (postfix, generic and exim share the TLS levels). */
export const VOCABULARIES: Vocabulary[] = [...new Map(PRODUCTS.map((p) => [p.vocabulary.id, p.vocabulary])).values()];

export type { Product } from './types.ts';
