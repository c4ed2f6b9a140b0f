import { SellerStoreOrdersDocument } from '../../gql/graphql';
import { useFormat, useT } from '../../i18n';
import ListStates from '../../components/ListStates';
import LoadMore from '../../components/LoadMore';
import { usePagedQuery } from '../../usePagedQuery';
import LineActions from './LineActions';
import { shortId } from './orderIds';

const PAGE = 10;

/** Orders with the seller's lines (only theirs), the shipping details, and each line's next step. */
export default function StoreOrders() {
  const t = useT();
  const fmt = useFormat();
  const query = usePagedQuery(SellerStoreOrdersDocument, 'myStoreOrders', { variables: { first: PAGE }, fetchPolicy: 'cache-and-network' });
  const orders = query.edges.map((e) => e.node);

  return (
    <section aria-labelledby="seller-orders-heading" className="card stack">
      <h2 id="seller-orders-heading">{t('seller.ordersTitle')}</h2>
      <ListStates query={query} area="seller" empty={t('seller.noOrders')} />
      <ul className="seller-orders">
        {orders.map((o) => {
          const headingId = `seller-order-${shortId(o.id)}`;
          return (
            <li key={o.id}>
              <article className="seller-order" aria-labelledby={headingId}>
                <header className="seller-order-head">
                  <h3 id={headingId}>{t('seller.orderNumber', { number: shortId(o.id) })}</h3>
                  <span className="muted">{fmt.date(o.createdAt)}</span>
                </header>
                <dl className="seller-facts">
                  <dt>{t('seller.recipient')}</dt>
                  <dd>{o.recipient}</dd>
                  <dt>{t('seller.shipTo')}</dt>
                  <dd>{o.address}</dd>
                  {o.memo && (
                    <>
                      <dt>{t('seller.memo')}</dt>
                      <dd>{o.memo}</dd>
                    </>
                  )}
                </dl>
                <div className="seller-table-wrap">
                  <table className="seller-table">
                    <caption className="visually-hidden">{t('seller.linesCaption', { number: shortId(o.id) })}</caption>
                    <thead>
                      <tr>
                        <th scope="col">{t('seller.productName')}</th>
                        <th scope="col" className="num">
                          {t('seller.quantity')}
                        </th>
                        <th scope="col" className="num">
                          {t('seller.lineTotal')}
                        </th>
                        <th scope="col">{t('seller.status')}</th>
                        <th scope="col">{t('seller.fulfilment')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {o.lines.map((line) => (
                        <tr key={line.id}>
                          <th scope="row">
                            {line.productName}
                            {line.option && <span className="muted"> · {line.option}</span>}
                          </th>
                          <td className="num">{line.quantity}</td>
                          <td className="num">{fmt.price(line.lineTotal)}</td>
                          <td>
                            <span className={`badge seller-ostatus-${line.status.toLowerCase()}`}>{t(`seller.orderStatus_${line.status}`)}</span>
                          </td>
                          <td>
                            <LineActions line={line} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </article>
            </li>
          );
        })}
      </ul>
      <LoadMore look="seller" auto={false} hasMore={query.hasMore} loading={query.loadingMore} onLoadMore={query.loadMore} />
    </section>
  );
}
