import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { useT } from '../../i18n';
import ProductImage, { type ImageLike } from './ProductImage';

type LineProductItem = {
  option?: string | null;
  product?: { id: string; images: readonly (ImageLike | null | undefined)[]; store?: { name: string } | null } | null;
};

/**
 * The product part of a cart line: its picture and name (a link while the
 * product exists), the store and the chosen option, then what the line adds.
 */
export default function LineProduct({ item, name, children }: { item: LineProductItem; name: string; children?: ReactNode }) {
  const t = useT();
  return (
    <>
      <ProductImage image={item.product?.images[0]} alt={name} size={96} className="shop-cart-img" />
      <div className="shop-cart-line-body">
        <h3 className="shop-cart-line-title">
          {item.product ? <Link to={`/products/${encodeURIComponent(item.product.id)}`}>{name}</Link> : name}
        </h3>
        {item.product?.store && <p className="muted">{item.product.store.name}</p>}
        {item.option && <p>{t('shop.optionValue', { option: item.option })}</p>}
        {children}
      </div>
    </>
  );
}
