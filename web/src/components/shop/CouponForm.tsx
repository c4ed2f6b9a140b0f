import { useMutation } from '@apollo/client';
import { useId, useState, type FormEvent } from 'react';
import { ShopApplyCouponDocument, ShopRemoveCouponDocument } from '../../gql/graphql';
import { useT } from '../../i18n';
import { writeCart, type CartData } from './cartCache';
import { couponReason, describeError } from '../../errors';

/** Applies a coupon code to the cart, shows why it gives nothing, and takes it off. */
export default function CouponForm({ cart }: { cart: CartData }) {
  const t = useT();
  const id = useId();
  const [code, setCode] = useState('');
  const [apply, applying] = useMutation(ShopApplyCouponDocument, {
    update: (cache, { data }) => writeCart(cache, data?.applyCoupon.cart),
  });
  const [remove, removing] = useMutation(ShopRemoveCouponDocument, {
    update: (cache, { data }) => writeCart(cache, data?.removeCoupon.cart),
  });
  const coupon = cart.appliedCoupon;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!code.trim()) return;
    try {
      await apply({ variables: { code: code.trim() } });
      setCode('');
    } catch {
      /* shown below */
    }
  };

  return (
    <div className="shop-coupon stack">
      {coupon ? (
        <div className="shop-coupon-applied">
          <p>
            {t('shop.couponApplied', { code: coupon.code })}
            {coupon.description && <span className="muted"> — {coupon.description}</span>}
          </p>
          {cart.couponInvalidReason && (
            <p className="shop-warning" role="status">
              {t('shop.couponNotNow', { reason: couponReason(t, cart.couponInvalidReason) })}
            </p>
          )}
          <button type="button" className="btn" disabled={removing.loading} onClick={() => void remove().catch(() => undefined)}>
            {t('shop.removeCoupon')}
          </button>
        </div>
      ) : (
        <form onSubmit={submit} className="row shop-coupon-form">
          <label htmlFor={`${id}-code`}>{t('shop.couponCode')}</label>
          <input id={`${id}-code`} value={code} autoComplete="off" onChange={(e) => setCode(e.target.value)} />
          <button type="submit" className="btn" disabled={applying.loading || !code.trim()}>
            {t('shop.applyCoupon')}
          </button>
        </form>
      )}
      {(applying.error ?? removing.error) && (
        <p role="alert" className="shop-inline-error">{describeError(t, applying.error ?? removing.error, 'shop')}</p>
      )}
    </div>
  );
}
