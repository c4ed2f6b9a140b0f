import { useMutation } from '@apollo/client';
import { useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { useAuth } from '../../auth';
import { ShopAddToCartDocument, type ShopProductPageQuery } from '../../gql/graphql';
import { useFormat, useT } from '../../i18n';
import AddToCustomCart from './AddToCustomCart';
import { writeCart } from './cartCache';
import { describeError } from '../../errors';
import { useEnsureSignedIn } from './signIn';
import WishlistButton from './WishlistButton';

type Product = NonNullable<ShopProductPageQuery['product']>;

/** Option (variant), quantity, add to cart, wishlist and custom cart. */
export default function PurchasePanel({ product }: { product: Product }) {
  const t = useT();
  const format = useFormat();
  const id = useId();
  const { user } = useAuth();
  const ensureSignedIn = useEnsureSignedIn();
  const options = product.variants.filter((v) => v.label != null);
  const firstAvailable = options.find((v) => v.inStock) ?? options[0];
  const [variantId, setVariantId] = useState(firstAvailable?.id ?? '');
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState<number | null>(null);
  const [add, adding] = useMutation(ShopAddToCartDocument, {
    update: (cache, { data }) => writeCart(cache, data?.addToCart),
  });

  const variant = options.find((v) => v.id === variantId) ?? null;
  const unitPrice = variant?.price ?? product.price;
  const available = variant ? variant.inStock : product.inStock;
  const maxQty = Math.max(1, variant ? variant.stock : product.stock);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setAdded(null);
    if (!ensureSignedIn()) return;
    try {
      const res = await add({ variables: { productId: product.id, option: variant?.label ?? null, quantity } });
      if (res.data) setAdded(res.data.addToCart.totalQuantity);
    } catch {
      /* shown below */
    }
  };

  return (
    <section className="shop-purchase card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`} className="visually-hidden">{t('shop.buyHeading')}</h2>
      <p className="shop-price-big">
        <span className="visually-hidden">{t('shop.price')}: </span>
        {format.price(unitPrice)}
      </p>
      <p className={available ? 'shop-stock' : 'shop-stock shop-stock-out'}>
        {available ? t('shop.inStockCount', { count: variant ? variant.stock : product.stock }) : t('shop.soldOut')}
      </p>
      <form onSubmit={submit} className="stack">
        {options.length > 0 && (
          <div className="shop-field">
            <label htmlFor={`${id}-variant`}>{t('shop.option')}</label>
            <select id={`${id}-variant`} value={variantId} onChange={(e) => setVariantId(e.target.value)} required>
              {options.map((v) => (
                <option key={v.id} value={v.id} disabled={!v.inStock}>
                  {v.inStock
                    ? t('shop.variantOption', { label: v.label ?? '', price: format.price(v.price) })
                    : t('shop.variantSoldOut', { label: v.label ?? '' })}
                </option>
              ))}
            </select>
          </div>
        )}
        <div className="shop-field">
          <label htmlFor={`${id}-qty`}>{t('shop.quantity')}</label>
          <input
            id={`${id}-qty`}
            type="number"
            inputMode="numeric"
            min={1}
            max={maxQty}
            value={quantity}
            onChange={(e) => setQuantity(Math.max(1, Math.floor(Number(e.target.value) || 1)))}
          />
        </div>
        <div className="row shop-buy-buttons">
          <button type="submit" className="btn btn-primary" disabled={!available || adding.loading}>
            {adding.loading ? t('shop.adding') : t('shop.addToCart')}
          </button>
          <WishlistButton productId={product.id} productName={product.name} inWishlist={product.inMyWishlist} />
        </div>
      </form>
      <div aria-live="polite">
        {added != null && (
          <p className="shop-success">
            {t('shop.addedToCart', { count: added })} <Link to="/cart">{t('shop.goToCart')}</Link>
          </p>
        )}
      </div>
      {adding.error && <p role="alert" className="shop-inline-error">{describeError(t, adding.error, 'shop')}</p>}
      {user && <AddToCustomCart productId={product.id} option={variant?.label ?? null} quantity={quantity} />}
      {product.store && (
        <p className="muted shop-shipping-note">
          {product.store.freeShippingThreshold != null
            ? t('shop.shippingNoteFree', {
                fee: format.price(product.store.shippingFee),
                threshold: format.price(product.store.freeShippingThreshold),
              })
            : t('shop.shippingNote', { fee: format.price(product.store.shippingFee) })}
        </p>
      )}
    </section>
  );
}
