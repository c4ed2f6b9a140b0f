import { useQuery } from '@apollo/client';
import { RequireAuth } from '../../auth';
import { SellerMyStoreDocument } from '../../gql/graphql';
import { useFormat, useT } from '../../i18n';
import ErrorNote from '../../components/ErrorNote';
import StoreApplication from './StoreApplication';
import StoreOrders from './StoreOrders';
import StoreProducts from './StoreProducts';
import StoreShipping from './StoreShipping';
import '../../styles/seller.css';

function SellerContent() {
  const t = useT();
  const fmt = useFormat();
  const { data, loading, error, refetch } = useQuery(SellerMyStoreDocument, { fetchPolicy: 'cache-and-network' });
  const store = data?.myStore ?? null;

  let body;
  if (!data) {
    body = loading ? (
      <p className="muted" role="status">
        {t('common.loading')}
      </p>
    ) : null;
  } else if (!store) {
    body = (
      <section aria-labelledby="seller-apply-heading" className="card stack">
        <h2 id="seller-apply-heading">{t('seller.applyTitle')}</h2>
        <p>{t('seller.applyIntro')}</p>
        <StoreApplication />
      </section>
    );
  } else if (store.status === 'PENDING') {
    body = (
      <section aria-labelledby="seller-pending-heading" className="card stack seller-pending">
        <h2 id="seller-pending-heading">{store.name}</h2>
        <p role="status">
          <span className="badge seller-status seller-status-pending">{t('seller.storeStatus_PENDING')}</span>{' '}
          {t('seller.pendingBody', { date: fmt.date(store.createdAt) })}
        </p>
        <dl className="seller-facts">
          <dt>{t('seller.licenseNumber')}</dt>
          <dd>{store.licenseNumber}</dd>
          {store.description && (
            <>
              <dt>{t('seller.storeDescription')}</dt>
              <dd>{store.description}</dd>
            </>
          )}
        </dl>
      </section>
    );
  } else if (store.status === 'REJECTED') {
    body = (
      <section aria-labelledby="seller-rejected-heading" className="card stack">
        <h2 id="seller-rejected-heading">{store.name}</h2>
        <p>
          <span className="badge seller-status seller-status-rejected">{t('seller.storeStatus_REJECTED')}</span>{' '}
          {store.reviewReason ? t('seller.rejectedReason', { reason: store.reviewReason }) : t('seller.rejectedNoReason')}
        </p>
        <h3>{t('seller.reapplyTitle')}</h3>
        <StoreApplication
          initial={{ name: store.name, licenseNumber: store.licenseNumber ?? '', description: store.description }}
        />
      </section>
    );
  } else {
    body = (
      <>
        <section aria-labelledby="seller-store-heading" className="card stack">
          <h2 id="seller-store-heading">{store.name}</h2>
          <p>
            <span className="badge seller-status seller-status-approved">{t('seller.storeStatus_APPROVED')}</span>{' '}
            {store.rating != null
              ? t('seller.ratingSummary', { rating: store.rating.toFixed(1), count: store.reviewCount })
              : t('seller.noReviews')}
          </p>
          {store.description && <p>{store.description}</p>}
          <StoreShipping
            shippingFee={store.shippingFee}
            freeShippingThreshold={store.freeShippingThreshold ?? null}
          />
        </section>
        <StoreProducts />
        <StoreOrders />
      </>
    );
  }

  return (
    <div className="page seller-page stack">
      <h1>{t('seller.title')}</h1>
      <ErrorNote area="seller" error={error} onRetry={() => void refetch()} />
      {body}
    </div>
  );
}

/** The seller's home: apply for a store, wait for approval, then run it (products, order lines). */
export default function SellerHome() {
  return (
    <RequireAuth>
      <SellerContent />
    </RequireAuth>
  );
}
