import { useQuery } from '@apollo/client';
import { Link } from 'react-router-dom';
import { RequireAuth } from '../../auth';
import { ShopMyCartDocument } from '../../gql/graphql';
import { useT } from '../../i18n';
import CartLine from '../../components/shop/CartLine';
import CouponForm from '../../components/shop/CouponForm';
import ErrorNote from '../../components/ErrorNote';
import Totals from '../../components/shop/Totals';
import '../../styles/shop.css';

function CartContent() {
  const t = useT();
  const { data, loading, error, refetch } = useQuery(ShopMyCartDocument, { fetchPolicy: 'cache-and-network' });
  const cart = data?.myCart;
  const anyAvailable = !!cart?.items.some((i) => i.available);

  return (
    <div className="page shop-cart-page">
      <h1>{t('shop.cartTitle')}</h1>
      <ErrorNote area="shop" error={error} onRetry={() => void refetch()} />
      {loading && !cart && <p className="muted" role="status">{t('common.loading')}</p>}
      {cart && cart.items.length === 0 && (
        <p className="shop-empty">
          {t('shop.cartEmpty')} <Link to="/">{t('shop.browseProducts')}</Link>
        </p>
      )}
      {cart && cart.items.length > 0 && (
        <div className="shop-cart-layout">
          <section aria-labelledby="shop-cart-items-h">
            <h2 id="shop-cart-items-h">
              {t('shop.cartItems', { count: cart.totalQuantity })}
            </h2>
            <ul className="shop-cart-lines">
              {cart.items.map((item) => (
                <CartLine key={item.id} item={item} />
              ))}
            </ul>
          </section>
          <section className="shop-summary card" aria-labelledby="shop-cart-summary-h">
            <h2 id="shop-cart-summary-h">{t('shop.orderSummary')}</h2>
            <Totals
              subtotal={cart.subtotal}
              discount={cart.discount}
              shippingFee={cart.shippingFee}
              total={cart.total}
              couponCode={cart.appliedCoupon?.code}
              testId="cart-totals"
            />
            <CouponForm cart={cart} />
            {anyAvailable ? (
              <Link to="/checkout" className="btn btn-primary shop-checkout-link">
                {t('shop.proceedToCheckout')}
              </Link>
            ) : (
              <p className="shop-warning">{t('shop.nothingToOrder')}</p>
            )}
          </section>
        </div>
      )}
    </div>
  );
}

/** The viewer's cart with quantities, coupon and totals (shipping included). */
export default function Cart() {
  return (
    <RequireAuth>
      <CartContent />
    </RequireAuth>
  );
}
