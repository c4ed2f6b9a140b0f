import { useMutation, useQuery } from '@apollo/client';
import { useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { ShopAddCustomCartItemDocument, ShopMyCustomCartsDocument } from '../../gql/graphql';
import { useT } from '../../i18n';
import { describeError } from '../../errors';

/** Puts the product (with the chosen option and quantity) into one of the viewer's custom carts. */
export default function AddToCustomCart({
  productId,
  option,
  quantity,
}: {
  productId: string;
  option: string | null;
  quantity: number;
}) {
  const t = useT();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [cartId, setCartId] = useState('');
  const [note, setNote] = useState('');
  const [done, setDone] = useState<{ id: string; title: string } | null>(null);
  const carts = useQuery(ShopMyCustomCartsDocument, { variables: { first: 50 }, skip: !open });
  const [add, adding] = useMutation(ShopAddCustomCartItemDocument);
  const list = carts.data?.myCustomCarts.edges.map((e) => e.node) ?? [];
  const chosen = cartId || list[0]?.id || '';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!chosen) return;
    setDone(null);
    try {
      const res = await add({
        variables: {
          input: { customCartId: chosen, productId, option, quantity, note: note.trim() || undefined },
        },
      });
      const cart = res.data?.addCustomCartItem;
      if (cart) setDone({ id: cart.id, title: cart.title });
      setNote('');
    } catch {
      /* shown below */
    }
  };

  return (
    <details className="shop-custom-add" onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>{t('shop.addToCustomCart')}</summary>
      {carts.loading && <p className="muted">{t('common.loading')}</p>}
      {carts.error && <p role="alert">{describeError(t, carts.error, 'shop')}</p>}
      {carts.data && list.length === 0 && (
        <p>
          {t('shop.noCustomCartsYet')} <Link to="/carts">{t('shop.createCustomCartLink')}</Link>
        </p>
      )}
      {list.length > 0 && (
        <form onSubmit={submit} className="stack">
          <div className="shop-field">
            <label htmlFor={`${id}-cart`}>{t('shop.customCart')}</label>
            <select id={`${id}-cart`} value={chosen} onChange={(e) => setCartId(e.target.value)}>
              {list.map((c) => (
                <option key={c.id} value={c.id}>
                  {t('shop.customCartOption', { title: c.title, count: c.itemCount })}
                </option>
              ))}
            </select>
          </div>
          <div className="shop-field">
            <label htmlFor={`${id}-note`}>{t('shop.itemNote')}</label>
            <input id={`${id}-note`} value={note} maxLength={200} onChange={(e) => setNote(e.target.value)} />
          </div>
          <button type="submit" className="btn" disabled={adding.loading}>
            {t('shop.addToThisCustomCart')}
          </button>
        </form>
      )}
      <div aria-live="polite">
        {done && (
          <p className="shop-success">
            {t('shop.addedToCustomCart', { title: done.title })}{' '}
            <Link to={`/carts/${encodeURIComponent(done.id)}`}>{t('shop.viewCustomCart')}</Link>
          </p>
        )}
      </div>
      {adding.error && <p role="alert" className="shop-inline-error">{describeError(t, adding.error, 'shop')}</p>}
    </details>
  );
}
