import { useState, type FormEvent, type ReactNode } from 'react';
import { NetworkStatus, useQuery } from '@apollo/client';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { SiteSearchDocument, type SearchType, type SiteSearchQuery } from '../../gql/graphql';
import { useT } from '../../i18n';
import ErrorNote from '../../components/ErrorNote';
import LoadMore from '../../components/LoadMore';
import { DesignHit, PostHit, ProductHit, ShortHit, StoreHit, UserHit } from './SearchHits';
import '../../styles/search.css';

type Results = SiteSearchQuery['search'];
type SectionKey = 'products' | 'posts' | 'designs' | 'users' | 'stores' | 'shorts';
type AnyConnection = {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  edges: Array<{ cursor: string; node: { id: string } }>;
};

/** The sections in the order shown, with the type that asks for each. */
const SECTIONS: ReadonlyArray<{ key: SectionKey; type: SearchType; grid: boolean }> = [
  { key: 'products', type: 'PRODUCT', grid: true },
  { key: 'designs', type: 'DESIGN', grid: true },
  { key: 'posts', type: 'POST', grid: false },
  { key: 'users', type: 'USER', grid: false },
  { key: 'stores', type: 'STORE', grid: false },
  { key: 'shorts', type: 'SHORT', grid: true },
];

/** Hits per section on the "All" view, and per page of one section. */
const PREVIEW = 6;
const PAGE = 24;

function renderHit(key: SectionKey, node: unknown): ReactNode {
  switch (key) {
    case 'products':
      return <ProductHit node={node as never} />;
    case 'posts':
      return <PostHit node={node as never} />;
    case 'designs':
      return <DesignHit node={node as never} />;
    case 'users':
      return <UserHit node={node as never} />;
    case 'stores':
      return <StoreHit node={node as never} />;
    case 'shorts':
      return <ShortHit node={node as never} />;
  }
}

/** /search?q=…[&type=PRODUCT]: every section at once, or one section with infinite scroll. */
export default function SearchPage() {
  const t = useT();
  const [params] = useSearchParams();
  const q = (params.get('q') ?? '').trim();
  const typeParam = params.get('type');
  const only = SECTIONS.find((s) => s.type === typeParam) ?? null;

  const { data, previousData, error, networkStatus, fetchMore } = useQuery(SiteSearchDocument, {
    variables: { query: q, types: only ? [only.type] : undefined, first: only ? PAGE : PREVIEW },
    skip: !q,
    notifyOnNetworkStatusChange: true,
  });
  const [loadingKey, setLoadingKey] = useState<SectionKey | null>(null);
  const results: Results | undefined = (data ?? previousData)?.search;
  const firstLoad = networkStatus === NetworkStatus.loading || networkStatus === NetworkStatus.setVariables;

  const loadMore = (key: SectionKey, type: SearchType, conn: AnyConnection) => {
    if (!conn.pageInfo.endCursor) return;
    setLoadingKey(key);
    void fetchMore({
      variables: { types: [type], after: conn.pageInfo.endCursor, first: PAGE },
      updateQuery: (prev, { fetchMoreResult }) => {
        const old = prev.search[key] as AnyConnection | null | undefined;
        const more = fetchMoreResult.search[key] as AnyConnection | null | undefined;
        if (!old || !more) return prev;
        const seen = new Set(old.edges.map((e) => e.node.id));
        const merged = { ...more, totalCount: old.totalCount, edges: [...old.edges, ...more.edges.filter((e) => !seen.has(e.node.id))] };
        return { ...prev, search: { ...prev.search, [key]: merged } } as SiteSearchQuery;
      },
    }).finally(() => setLoadingKey(null));
  };

  const href = (type: SearchType | null) => `/search?q=${encodeURIComponent(q)}${type ? `&type=${type}` : ''}`;
  const shown = SECTIONS.filter((s) => !only || s.key === only.key);
  const total = results ? shown.reduce((n, s) => n + ((results[s.key] as AnyConnection | null)?.totalCount ?? 0), 0) : 0;

  return (
    <div className="page search-page">
      <h1>{q ? t('search.resultsFor', { query: q }) : t('search.title')}</h1>
      {!q ? <EmptyQuery /> : null}
      {q ? (
        <nav aria-label={t('search.filterLabel')}>
          <ul className="search-tabs">
            <li>
              <Link to={href(null)} aria-current={!only ? 'page' : undefined}>
                {t('search.all')}
              </Link>
            </li>
            {SECTIONS.map((s) => (
              <li key={s.key}>
                <Link to={href(s.type)} aria-current={only?.key === s.key ? 'page' : undefined}>
                  {t(`search.section${s.type}`)}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      ) : null}
      <ErrorNote area="chat" error={error} />
      {q && firstLoad && !results ? (
        <p role="status" className="muted">
          {t('common.loading')}
        </p>
      ) : null}
      {q && results && total === 0 && !firstLoad ? (
        <p role="status">{t('search.nothing', { query: q })}</p>
      ) : null}
      {q && results && total > 0
        ? shown.map((s) => {
            const conn = results[s.key] as AnyConnection | null | undefined;
            if (!conn || (!only && conn.totalCount === 0)) return null;
            const headingId = `search-${s.key}`;
            const sectionName = t(`search.section${s.type}`);
            return (
              <section key={s.key} className="search-section" aria-labelledby={headingId}>
                <h2 id={headingId}>
                  {sectionName} <span className="muted">{t('search.sectionCount', { count: conn.totalCount })}</span>
                </h2>
                {conn.edges.length === 0 ? <p>{t('search.nothingHere', { section: sectionName })}</p> : null}
                <ul className={s.grid ? 'search-grid' : 'search-list'}>
                  {conn.edges.map((e) => (
                    <li key={e.node.id}>{renderHit(s.key, e.node)}</li>
                  ))}
                </ul>
                {only ? (
                  <LoadMore
                    look="chat"
                    hasMore={conn.pageInfo.hasNextPage}
                    loading={loadingKey === s.key}
                    onLoadMore={() => loadMore(s.key, s.type, conn)}
                  />
                ) : conn.pageInfo.hasNextPage ? (
                  <p className="search-more">
                    <Link to={href(s.type)}>{t('search.showAll', { count: conn.totalCount, section: sectionName })}</Link>
                  </p>
                ) : null}
              </section>
            );
          })
        : null}
    </div>
  );
}

/** Without a query: a form of its own (the header box does the same). */
function EmptyQuery() {
  const t = useT();
  const navigate = useNavigate();
  const [value, setValue] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (value.trim()) navigate(`/search?q=${encodeURIComponent(value.trim())}`);
  };
  return (
    <form className="search-form" onSubmit={submit}>
      <p className="muted">{t('search.emptyQuery')}</p>
      <label>
        {t('search.queryLabel')}
        <input type="search" value={value} onChange={(e) => setValue(e.target.value)} />
      </label>
      <button type="submit" className="btn btn-primary">
        {t('search.boxSubmit')}
      </button>
    </form>
  );
}
