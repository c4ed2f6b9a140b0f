import { useEffect, useRef } from 'react';
import { useT } from '../i18n';

/**
 * How each area's lists load more: the wrapper's class, how far from the
 * viewport the button starts loading, and whether it keeps loading (`refill`:
 * it looks again after each page, so it goes on while the end of the list is
 * still in view).
 */
const looks = {
  community: { className: 'load-more', rootMargin: '200px', refill: false },
  chat: { className: 'search-more', rootMargin: '200px', refill: false },
  shop: { className: 'shop-load-more', rootMargin: '300px 0px', refill: true },
  seller: { className: 'row', rootMargin: '200px', refill: false },
} as const;

/**
 * "Load more" over a Relay cursor: a visible button (keyboards, screen readers,
 * browsers without IntersectionObserver) that, with `auto`, also fires by
 * itself when it comes near the viewport.
 */
export default function LoadMore({
  hasMore,
  loading,
  onLoadMore,
  auto = true,
  label,
  look = 'community',
}: {
  hasMore: boolean;
  loading: boolean;
  onLoadMore: () => void;
  auto?: boolean;
  label?: string;
  look?: keyof typeof looks;
}) {
  const { className, rootMargin, refill } = looks[look];
  const t = useT();
  const sentinel = useRef<HTMLDivElement>(null);
  const latest = useRef({ loading, onLoadMore });
  latest.current = { loading, onLoadMore };
  // With `refill`, observing again after each page (`loading` back to false)
  // reports the sentinel at once if it is still in view.
  const waiting = refill && loading;

  useEffect(() => {
    const el = sentinel.current;
    if (!auto || !hasMore || waiting || !el || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && !latest.current.loading) latest.current.onLoadMore();
      },
      { rootMargin },
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, [auto, hasMore, waiting, rootMargin]);

  if (!hasMore) return null;
  return (
    <div className={className} ref={sentinel}>
      <button type="button" className="btn" disabled={loading} aria-busy={loading} onClick={onLoadMore}>
        {loading ? t('common.loading') : (label ?? t('common.loadMore'))}
      </button>
    </div>
  );
}
