import { NetworkStatus, useQuery } from '@apollo/client';
import { useId, useMemo, useRef } from 'react';
import { useSearchParams } from 'react-router-dom';
import { ProductListDocument, type ProductSort } from '../../gql/graphql';
import { useT } from '../../i18n';
import ErrorNote from '../../components/ErrorNote';
import LoadMore from '../../components/LoadMore';
import ProductFilters from '../../components/shop/ProductFilters';
import ProductGrid from '../../components/shop/ProductGrid';
import { SORTS, readFilters, toFilterInput, writeFilters, type FilterState } from '../../components/shop/filters';
import '../../styles/shop.css';

const PAGE_SIZE = 12;

/** The catalogue: filters and sort in the address, infinite scroll over the Relay cursor. */
export default function ProductList() {
  const t = useT();
  const sortId = useId();
  const [params, setParams] = useSearchParams();
  const state = useMemo(() => readFilters(params), [params]);
  const filter = useMemo(() => toFilterInput(state), [state]);
  // Which list is showing: a page that arrives after the filters or sort
  // changed belongs to the old list and is dropped (fetchMore's updateQuery
  // would otherwise append it to the new one).
  const listKey = params.toString();
  const currentList = useRef(listKey);
  currentList.current = listKey;

  const { data, previousData, error, loading, fetchMore, networkStatus, refetch } = useQuery(ProductListDocument, {
    variables: { first: PAGE_SIZE, filter, sort: state.sort },
    notifyOnNetworkStatusChange: true,
  });
  const shown = data ?? previousData;
  const edges = shown?.products.edges ?? [];
  const pageInfo = shown?.products.pageInfo;
  const loadingMore = networkStatus === NetworkStatus.fetchMore;
  const refreshing = loading && !loadingMore;

  const apply = (next: FilterState) => setParams(writeFilters(next), { replace: false });

  const loadMore = () => {
    if (!pageInfo?.hasNextPage || loadingMore) return;
    const requestedFor = listKey;
    void fetchMore({
      variables: { after: pageInfo.endCursor },
      updateQuery(prev, { fetchMoreResult }) {
        // Nothing returned = nothing written (Apollo's cache.updateQuery).
        if (!fetchMoreResult || !prev?.products || currentList.current !== requestedFor) {
          return undefined as unknown as typeof prev;
        }
        const seen = new Set(prev.products.edges.map((e) => e.node.id));
        return {
          ...fetchMoreResult,
          products: {
            ...fetchMoreResult.products,
            edges: [...prev.products.edges, ...fetchMoreResult.products.edges.filter((e) => !seen.has(e.node.id))],
          },
        };
      },
    }).catch(() => undefined);
  };

  return (
    <div className="page shop-list-page">
      <h1>{t('shop.catalogTitle')}</h1>
      <div className="shop-list-layout">
        <ProductFilters value={state} onChange={apply} />
        <section className="shop-list-results" aria-labelledby={`${sortId}-heading`}>
          <div className="shop-list-toolbar">
            <h2 id={`${sortId}-heading`} className="shop-results-heading">
              {t('shop.results')}
            </h2>
            <div className="shop-field shop-sort">
              <label htmlFor={sortId}>{t('shop.sortBy')}</label>
              <select
                id={sortId}
                value={state.sort}
                onChange={(e) => apply({ ...state, sort: e.target.value as ProductSort })}
              >
                {SORTS.map((s) => (
                  <option key={s} value={s}>
                    {t(`shop.sort_${s}`)}
                  </option>
                ))}
              </select>
            </div>
          </div>
          <p className="visually-hidden" aria-live="polite">
            {refreshing ? t('common.loading') : shown ? t('shop.shownCount', { count: edges.length }) : ''}
          </p>
          <ErrorNote area="shop" error={error} onRetry={() => void refetch()} />
          {!shown && loading && <p className="muted">{t('common.loading')}</p>}
          {shown && edges.length === 0 && <p className="shop-empty">{t('shop.noProducts')}</p>}
          <div aria-busy={refreshing} className={refreshing ? 'shop-refreshing' : undefined}>
            <ProductGrid products={edges.map((e) => e.node)} label={t('shop.results')} />
          </div>
          <LoadMore
            look="shop"
            hasMore={!!pageInfo?.hasNextPage && !refreshing}
            loading={loadingMore}
            onLoadMore={loadMore}
            label={t('shop.loadMoreProducts')}
          />
        </section>
      </div>
    </div>
  );
}
