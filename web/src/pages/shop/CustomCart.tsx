import { useMutation, useQuery } from '@apollo/client';
import { useMemo } from 'react';
import { Link, useLocation, useParams } from 'react-router-dom';
import { useAuth } from '../../auth';
import { ShopAddCustomCartToCartDocument, ShopCustomCartDocument } from '../../gql/graphql';
import { useT } from '../../i18n';
import CustomCartItems from '../../components/shop/CustomCartItems';
import CustomCartOwnerTools from '../../components/shop/CustomCartOwnerTools';
import ErrorNote from '../../components/ErrorNote';
import ShareLink from '../../components/shop/ShareLink';
import { writeCart } from '../../components/shop/cartCache';
import { customCartRef } from '../../components/shop/customCartRef';
import { describeError } from '../../errors';
import { loginHref } from '../../components/shop/signIn';
import '../../styles/shop.css';

/**
 * A custom cart by id or share slug: its owner shares it (copy link, who may
 * open it); anyone who may read it, signed in, copies its items into their cart.
 */
export default function CustomCart() {
  const t = useT();
  const location = useLocation();
  const { user } = useAuth();
  const { id: key = '' } = useParams();
  const by = useMemo(() => customCartRef(key), [key]);
  const { data, loading, error, refetch } = useQuery(ShopCustomCartDocument, {
    variables: { by },
    fetchPolicy: 'cache-and-network',
  });
  const [copyToCart, copying] = useMutation(ShopAddCustomCartToCartDocument, {
    update: (cache, { data: d }) => writeCart(cache, d?.addCustomCartToCart.cart),
  });
  const cart = data?.customCart;

  if (loading && !data) {
    return <div className="page"><p className="muted" role="status">{t('common.loading')}</p></div>;
  }
  if (!cart) {
    return (
      <div className="page">
        <h1>{t('shop.customCartNotFound')}</h1>
        <ErrorNote area="shop" error={error} onRetry={() => void refetch()} />
        {!error && <p>{t('shop.customCartNotFoundBody')}</p>}
        {!user && <p><Link to={loginHref(location.pathname)}>{t('common.signIn')}</Link></p>}
      </div>
    );
  }

  const isOwner = !!user && cart.owner?.id === user.id;
  const result = copying.data?.addCustomCartToCart;
  return (
    <div className="page shop-custom-cart-page">
      <h1>{cart.title}</h1>
      <p className="muted">
        {cart.owner && !isOwner && t('shop.cartBy', { name: cart.owner.nickname })}{' '}
        <span className="badge">{t(`shop.visibility_${cart.visibility}`)}</span>{' '}
        {t('shop.itemsCount', { count: cart.itemCount })}
      </p>
      {cart.description && <p>{cart.description}</p>}
      <div className="shop-custom-layout">
        <section aria-labelledby="shop-cc-items-h">
          <h2 id="shop-cc-items-h">{t('shop.items')}</h2>
          <CustomCartItems cart={cart} isOwner={isOwner} />
        </section>
        <div className="stack">
          <section className="card stack shop-use-cart" aria-labelledby="shop-cc-buy-h">
            <h2 id="shop-cc-buy-h">{t('shop.useThisCart')}</h2>
            {user ? (
              <button type="button" className="btn btn-primary" disabled={copying.loading || cart.items.length === 0}
                onClick={() => void copyToCart({ variables: { by } }).catch(() => undefined)}>
                {t('shop.addAllToCart')}
              </button>
            ) : (
              <p>
                <Link to={loginHref(location.pathname)} className="btn btn-primary">{t('shop.signInToAddAll')}</Link>
              </p>
            )}
            <div aria-live="polite">
              {result && (
                <div className="shop-success">
                  <p>
                    {t('shop.addedAll', { count: result.added })} <Link to="/cart">{t('shop.goToCart')}</Link>
                  </p>
                  {result.skipped.length > 0 && (
                    <p className="shop-warning">{t('shop.skippedItems', { count: result.skipped.length })}</p>
                  )}
                </div>
              )}
            </div>
            {copying.error && <p role="alert" className="shop-inline-error">{describeError(t, copying.error, 'shop')}</p>}
          </section>
          {cart.shareSlug && <ShareLink slug={cart.shareSlug} isPrivate={cart.visibility === 'PRIVATE'} />}
          {isOwner && <CustomCartOwnerTools cartId={cart.id} visibility={cart.visibility} />}
        </div>
      </div>
    </div>
  );
}
