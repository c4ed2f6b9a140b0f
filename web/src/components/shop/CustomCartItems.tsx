import { useMutation } from '@apollo/client';
import { ShopRemoveCustomCartItemDocument, type ShopCustomCartQuery } from '../../gql/graphql';
import { useFormat, useT } from '../../i18n';
import { describeError } from '../../errors';
import LineProduct from './LineProduct';

type Cart = NonNullable<ShopCustomCartQuery['customCart']>;

/** A custom cart's items; its owner can take one out. */
export default function CustomCartItems({ cart, isOwner }: { cart: Cart; isOwner: boolean }) {
  const t = useT();
  const format = useFormat();
  const [remove, removing] = useMutation(ShopRemoveCustomCartItemDocument);
  if (cart.items.length === 0) return <p className="shop-empty">{t('shop.customCartEmpty')}</p>;
  return (
    <>
      <ul className="shop-cart-lines">
        {cart.items.map((item) => {
          const name = item.product?.name ?? t('shop.unavailableProduct');
          return (
            <li key={item.id} className="shop-cart-line card">
              <LineProduct item={item} name={name}>
                <p>{t('shop.quantityValue', { count: item.quantity })}</p>
                {item.note && <p className="shop-note">“{item.note}”</p>}
                {item.product && !item.product.inStock && <p className="shop-warning">{t('shop.soldOut')}</p>}
              </LineProduct>
              {item.product && (
                <p className="shop-line-total">
                  <span className="visually-hidden">{t('shop.price')}: </span>
                  {format.price(item.product.price)}
                </p>
              )}
              {isOwner && (
                <button type="button" className="btn shop-remove" disabled={removing.loading}
                  onClick={() => void remove({ variables: { id: item.id } }).catch(() => undefined)}>
                  {t('shop.remove')}
                  <span className="visually-hidden"> {name}</span>
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {removing.error && <p role="alert" className="shop-inline-error">{describeError(t, removing.error, 'shop')}</p>}
    </>
  );
}
