import { useMutation } from '@apollo/client';
import { ShopRemoveFromCartDocument, ShopUpdateCartItemDocument } from '../../gql/graphql';
import { useFormat, useT } from '../../i18n';
import { writeCart, type CartData } from './cartCache';
import { describeError } from '../../errors';
import LineProduct from './LineProduct';

type Item = CartData['items'][number];

/** One cart line: product, option, quantity stepper, line total, remove. */
export default function CartLine({ item }: { item: Item }) {
  const t = useT();
  const format = useFormat();
  const [update, updating] = useMutation(ShopUpdateCartItemDocument, {
    update: (cache, { data }) => writeCart(cache, data?.updateCartItem),
  });
  const [remove, removing] = useMutation(ShopRemoveFromCartDocument, {
    update: (cache, { data }) => writeCart(cache, data?.removeFromCart),
  });
  const name = item.product?.name ?? t('shop.unavailableProduct');
  const busy = updating.loading || removing.loading;
  const setQty = (quantity: number) => {
    if (quantity < 1) return;
    void update({ variables: { id: item.id, quantity } }).catch(() => undefined);
  };
  const error = updating.error ?? removing.error;

  return (
    <li className={`shop-cart-line card${item.available ? '' : ' is-unavailable'}`} aria-busy={busy}>
      <LineProduct item={item} name={name}>
        <p>{t('shop.unitPrice', { price: format.price(item.unitPrice) })}</p>
        {!item.available && <p className="shop-warning">{t('shop.lineUnavailable')}</p>}
      </LineProduct>
      <div className="shop-qty" role="group" aria-label={t('shop.quantityOf', { name })}>
        <button type="button" className="btn" disabled={busy || item.quantity <= 1}
          aria-label={t('shop.decrease', { name })} onClick={() => setQty(item.quantity - 1)}>−</button>
        <output className="shop-qty-value" aria-live="polite">{item.quantity}</output>
        <button type="button" className="btn" disabled={busy}
          aria-label={t('shop.increase', { name })} onClick={() => setQty(item.quantity + 1)}>+</button>
      </div>
      <p className="shop-line-total">
        <span className="visually-hidden">{t('shop.lineTotal')}: </span>
        {format.price(item.lineTotal)}
      </p>
      <button type="button" className="btn shop-remove" disabled={busy}
        onClick={() => void remove({ variables: { id: item.id } }).catch(() => undefined)}>
        {t('shop.remove')}
        <span className="visually-hidden"> {name}</span>
      </button>
      {error && <p role="alert" className="shop-inline-error">{describeError(t, error, 'shop')}</p>}
    </li>
  );
}
