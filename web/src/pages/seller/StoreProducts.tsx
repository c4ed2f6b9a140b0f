import { useMutation } from '@apollo/client';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { SellerSetProductStatusDocument, SellerStoreProductsDocument, type ProductSort } from '../../gql/graphql';
import { useFormat, useLocale, useT } from '../../i18n';
import ErrorNote from '../../components/ErrorNote';
import ListStates from '../../components/ListStates';
import LoadMore from '../../components/LoadMore';
import { usePagedQuery } from '../../usePagedQuery';

const SORTS: ProductSort[] = ['NEWEST', 'POPULAR', 'PRICE_ASC', 'PRICE_DESC', 'RATING'];
const PAGE = 20;

/** Every product of the seller's store, hidden ones included, with a link to the editor. */
export default function StoreProducts() {
  const t = useT();
  const fmt = useFormat();
  const locale = useLocale();
  const [sort, setSort] = useState<ProductSort>('NEWEST');
  const query = usePagedQuery(SellerStoreProductsDocument, 'myStoreProducts', {
    variables: { sort, first: PAGE },
    fetchPolicy: 'cache-and-network',
  });
  const [setStatus, status] = useMutation(SellerSetProductStatusDocument);
  const products = query.edges.map((e) => e.node);

  return (
    <section aria-labelledby="seller-products-heading" className="card stack">
      <div className="row seller-section-head">
        <h2 id="seller-products-heading">{t('seller.productsTitle')}</h2>
        <Link className="btn btn-primary" to="/seller/products/new">
          {t('seller.newProduct')}
        </Link>
      </div>
      <div className="seller-field seller-inline-field">
        <label htmlFor="seller-products-sort">{t('seller.sortLabel')}</label>
        <select id="seller-products-sort" value={sort} onChange={(e) => setSort(e.target.value as ProductSort)}>
          {SORTS.map((s) => (
            <option key={s} value={s}>
              {t(`seller.sort_${s}`)}
            </option>
          ))}
        </select>
      </div>
      <ErrorNote area="seller" error={status.error} />
      <ListStates query={query} area="seller" empty={t('seller.noProducts')} />
      {products.length > 0 && (
        <div className="seller-table-wrap">
          <table className="seller-table">
            <caption className="visually-hidden">{t('seller.productsCaption')}</caption>
            <thead>
              <tr>
                <th scope="col">
                  <span className="visually-hidden">{t('seller.photo')}</span>
                </th>
                <th scope="col">{t('seller.productName')}</th>
                <th scope="col">{t('seller.category')}</th>
                <th scope="col" className="num">
                  {t('seller.price')}
                </th>
                <th scope="col" className="num">
                  {t('seller.stock')}
                </th>
                <th scope="col" className="num">
                  {t('seller.sold')}
                </th>
                <th scope="col">{t('seller.status')}</th>
                <th scope="col">{t('seller.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {products.map((p) => {
                const image = p.images[0];
                const next = p.status === 'ACTIVE' ? 'HIDDEN' : 'ACTIVE';
                return (
                  <tr key={p.id}>
                    <td>
                      {image ? (
                        <img className="seller-thumb" src={image.thumbnailUrl ?? image.url} alt="" width={48} height={48} loading="lazy" />
                      ) : (
                        <span className="seller-thumb seller-thumb-empty" aria-hidden="true" />
                      )}
                    </td>
                    <th scope="row">
                      <Link to={`/seller/products/${encodeURIComponent(p.id)}`}>{p.name}</Link>
                    </th>
                    <td>{p.category ? (locale === 'ko' ? p.category.nameKo : p.category.name) : ''}</td>
                    <td className="num">{fmt.price(p.price)}</td>
                    <td className="num">{p.stock}</td>
                    <td className="num">{p.soldCount}</td>
                    <td>
                      <span className={`badge seller-pstatus-${p.status.toLowerCase()}`}>{t(`seller.productStatus_${p.status}`)}</span>
                    </td>
                    <td>
                      <div className="row seller-actions">
                        <Link className="btn seller-btn-sm" to={`/seller/products/${encodeURIComponent(p.id)}`} aria-label={t('seller.editNamed', { name: p.name })}>
                          {t('common.edit')}
                        </Link>
                        {p.status !== 'BLOCKED' && (
                          <button
                            type="button"
                            className="btn seller-btn-sm"
                            disabled={status.loading}
                            aria-label={t(next === 'HIDDEN' ? 'seller.hideNamed' : 'seller.showNamed', { name: p.name })}
                            onClick={() => void setStatus({ variables: { id: p.id, status: next } }).catch(() => undefined)}
                          >
                            {t(next === 'HIDDEN' ? 'seller.hide' : 'seller.show')}
                          </button>
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore look="seller" auto={false} hasMore={query.hasMore} loading={query.loadingMore} onLoadMore={query.loadMore} />
    </section>
  );
}
