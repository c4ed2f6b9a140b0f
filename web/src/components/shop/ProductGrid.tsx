import type { ReactNode } from 'react';
import ProductCard, { type CardProduct } from './ProductCard';

/** A list of product cards (a `ul`, so screen readers announce how many). */
export default function ProductGrid({
  products,
  label,
  eagerFirst = 0,
  action,
}: {
  products: readonly CardProduct[];
  label?: string;
  eagerFirst?: number;
  /** An extra control under each card (e.g. "Not interested" on recommendations). */
  action?: (product: CardProduct) => ReactNode;
}) {
  return (
    <ul className="shop-grid" aria-label={label}>
      {products.map((p, i) => (
        <li key={p.id}>
          <ProductCard product={p} eager={i < eagerFirst} />
          {action?.(p)}
        </li>
      ))}
    </ul>
  );
}
