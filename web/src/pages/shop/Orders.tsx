import { Link } from 'react-router-dom';
import { RequireAuth } from '../../auth';
import { ShopMyOrdersDocument } from '../../gql/graphql';
import { useT } from '../../i18n';
import ListStates from '../../components/ListStates';
import LoadMore from '../../components/LoadMore';
import OrderCard from '../../components/shop/OrderCard';
import { usePagedQuery } from '../../usePagedQuery';
import '../../styles/shop.css';

function OrdersContent() {
  const t = useT();
  const query = usePagedQuery(ShopMyOrdersDocument, 'myOrders', { variables: { first: 10 }, fetchPolicy: 'cache-and-network' });
  const orders = query.edges.map((e) => e.node);

  return (
    <div className="page shop-orders-page">
      <h1>{t('shop.ordersTitle')}</h1>
      <ListStates
        query={query}
        area="shop"
        emptyClassName="shop-empty"
        empty={<>{t('shop.noOrders')} <Link to="/">{t('shop.browseProducts')}</Link></>}
      />
      <ul className="shop-orders">
        {orders.map((o) => (
          <li key={o.id}>
            <OrderCard order={o} />
          </li>
        ))}
      </ul>
      <LoadMore look="shop" hasMore={query.hasMore} loading={query.loadingMore} onLoadMore={query.loadMore} />
    </div>
  );
}

/** The buyer's orders, newest first, with their lines, status and payment. */
export default function Orders() {
  return (
    <RequireAuth>
      <OrdersContent />
    </RequireAuth>
  );
}
