import { useMutation, useQuery } from '@apollo/client';
import { useId, useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { RequireAuth } from '../../auth';
import {
  ShopMyAddressesDocument,
  ShopMyCartDocument,
  ShopPlaceOrderDocument,
  ShopSaveAddressDocument,
  type AddressInput,
  type PlaceOrderInput,
} from '../../gql/graphql';
import { useT } from '../../i18n';
import AddressFields, { EMPTY_ADDRESS } from '../../components/shop/AddressFields';
import ErrorNote from '../../components/ErrorNote';
import OrderCard from '../../components/shop/OrderCard';
import Totals from '../../components/shop/Totals';
import { describeError } from '../../errors';
import { newIdempotencyKey } from '../../components/shop/idempotency';
import '../../styles/shop.css';

const NEW = 'new';

function CheckoutContent() {
  const t = useT();
  const id = useId();
  const cartQuery = useQuery(ShopMyCartDocument, { fetchPolicy: 'cache-and-network' });
  const addressQuery = useQuery(ShopMyAddressesDocument, { variables: { first: 20 } });
  const addresses = addressQuery.data?.myAddresses.edges.map((e) => e.node) ?? [];
  const [choice, setChoice] = useState('');
  const [address, setAddress] = useState<AddressInput>(EMPTY_ADDRESS);
  const [saveIt, setSaveIt] = useState(true);
  const [memo, setMemo] = useState('');
  // One key per distinct order: a retry of the same input reuses it, so it cannot order twice.
  const attempt = useRef<{ input: string; key: string } | null>(null);
  const [place, placing] = useMutation(ShopPlaceOrderDocument, {
    refetchQueries: [ShopMyCartDocument],
  });
  const [saveAddress, saving] = useMutation(ShopSaveAddressDocument, { refetchQueries: [ShopMyAddressesDocument] });

  const selected = choice || addresses.find((a) => a.isDefault)?.id || addresses[0]?.id || NEW;
  const cart = cartQuery.data?.myCart;
  const order = placing.data?.placeOrder;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const input: PlaceOrderInput = { from: { cart: true }, memo: memo.trim() || undefined };
    if (selected === NEW) input.address = address;
    else input.addressId = selected;
    const text = JSON.stringify(input);
    if (attempt.current?.input !== text) attempt.current = { input: text, key: newIdempotencyKey() };
    try {
      await place({ variables: { input, idempotencyKey: attempt.current.key } });
      if (selected === NEW && saveIt) {
        await saveAddress({ variables: { input: { address } } }).catch(() => undefined);
      }
    } catch {
      /* shown below */
    }
  };

  if (order) {
    return (
      <div className="page shop-checkout-page">
        <h1>{t('shop.orderPlaced')}</h1>
        <p role="status" className="shop-success">{t('shop.orderPlacedBody')}</p>
        <OrderCard order={order} autoPay />
        <p className="row shop-links">
          <Link to="/orders">{t('shop.viewOrders')}</Link>
          <Link to="/">{t('shop.continueShopping')}</Link>
        </p>
      </div>
    );
  }

  return (
    <div className="page shop-checkout-page">
      <h1>{t('shop.checkoutTitle')}</h1>
      <ErrorNote area="shop" error={cartQuery.error} onRetry={() => void cartQuery.refetch()} />
      {cartQuery.loading && !cart && <p className="muted" role="status">{t('common.loading')}</p>}
      {cart && cart.items.length === 0 && (
        <p className="shop-empty">{t('shop.cartEmpty')} <Link to="/">{t('shop.browseProducts')}</Link></p>
      )}
      {cart && cart.items.length > 0 && (
        <form className="shop-checkout-layout" onSubmit={submit}>
          <div className="stack">
            <fieldset className="card stack">
              <legend>{t('shop.deliveryAddress')}</legend>
              {addresses.map((a) => (
                <label key={a.id} className="shop-address-choice">
                  <input type="radio" name={`${id}-addr`} value={a.id} checked={selected === a.id} onChange={() => setChoice(a.id)} />
                  <span>
                    <strong>{a.label || a.recipient}</strong>
                    {a.isDefault && <span className="badge">{t('shop.defaultAddress')}</span>}
                    <br />
                    {a.recipient} · {a.phone}
                    <br />({a.postalCode}) {a.roadAddress} {a.detailAddress}
                  </span>
                </label>
              ))}
              {addresses.length > 0 && (
                <label className="shop-address-choice">
                  <input type="radio" name={`${id}-addr`} value={NEW} checked={selected === NEW} onChange={() => setChoice(NEW)} />
                  <span>{t('shop.newAddress')}</span>
                </label>
              )}
              {selected === NEW && (
                <>
                  <AddressFields value={address} onChange={setAddress} />
                  <label className="shop-check">
                    <input type="checkbox" checked={saveIt} onChange={(e) => setSaveIt(e.target.checked)} />
                    {t('shop.saveAddress')}
                  </label>
                </>
              )}
              <div className="shop-field">
                <label htmlFor={`${id}-memo`}>{t('shop.deliveryMemo')}</label>
                <input id={`${id}-memo`} maxLength={100} value={memo} placeholder={t('shop.deliveryMemoExample')}
                  onChange={(e) => setMemo(e.target.value)} />
              </div>
            </fieldset>
          </div>
          <section className="card stack shop-summary" aria-labelledby={`${id}-sum`}>
            <h2 id={`${id}-sum`}>{t('shop.orderSummary')}</h2>
            <ul className="shop-summary-items">
              {cart.items.filter((i) => i.available).map((i) => (
                <li key={i.id}>
                  {i.product?.name ?? t('shop.unavailableProduct')}
                  {i.option && <span className="muted"> · {i.option}</span>} × {i.quantity}
                </li>
              ))}
            </ul>
            {cart.items.some((i) => !i.available) && <p className="shop-warning">{t('shop.unavailableLeftOut')}</p>}
            <Totals subtotal={cart.subtotal} discount={cart.discount} shippingFee={cart.shippingFee}
              total={cart.total} couponCode={cart.appliedCoupon?.code} testId="checkout-totals" />
            <p className="muted"><Link to="/cart">{t('shop.editCart')}</Link></p>
            <button type="submit" className="btn btn-primary" disabled={placing.loading || saving.loading}>
              {placing.loading ? t('shop.placingOrder') : t('shop.placeOrder')}
            </button>
            {placing.error && <p role="alert" className="shop-inline-error">{describeError(t, placing.error, 'shop')}</p>}
          </section>
        </form>
      )}
    </div>
  );
}

/** Checkout of the cart: delivery address, `placeOrder` (idempotent), then `payOrder`. */
export default function Checkout() {
  return (
    <RequireAuth>
      <CheckoutContent />
    </RequireAuth>
  );
}
