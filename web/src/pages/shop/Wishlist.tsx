import { Link } from 'react-router-dom';
import { RequireAuth } from '../../auth';
import { ShopMyWishlistDocument } from '../../gql/graphql';
import { useT } from '../../i18n';
import ListStates from '../../components/ListStates';
import LoadMore from '../../components/LoadMore';
import ProductGrid from '../../components/shop/ProductGrid';
import { usePagedQuery } from '../../usePagedQuery';
import '../../styles/shop.css';

function WishlistContent() {
  const t = useT();
  const query = usePagedQuery(ShopMyWishlistDocument, 'myWishlist', { variables: { first: 24 }, fetchPolicy: 'cache-and-network' });
  // A product taken off the list elsewhere (the heart on its card) leaves at once.
  const products = query.edges
    .map((e) => e.node.product)
    .filter((p): p is NonNullable<typeof p> => !!p && p.inMyWishlist);

  return (
    <div className="page shop-wishlist-page">
      <h1>{t('shop.wishlistTitle')}</h1>
      <ListStates
        query={query}
        area="shop"
        count={products.length}
        emptyClassName="shop-empty"
        empty={<>{t('shop.wishlistEmpty')} <Link to="/">{t('shop.browseProducts')}</Link></>}
      />
      <ProductGrid products={products} label={t('shop.wishlistTitle')} />
      <LoadMore look="shop" hasMore={query.hasMore} loading={query.loadingMore} onLoadMore={query.loadMore} />
    </div>
  );
}

/** The viewer's wishlist. */
export default function Wishlist() {
  return (
    <RequireAuth>
      <WishlistContent />
    </RequireAuth>
  );
}
