import { useId } from 'react';
import { ShopProductShortsDocument } from '../../gql/graphql';
import { useT } from '../../i18n';
import ErrorNote from '../ErrorNote';
import LoadMore from '../LoadMore';
import { usePagedQuery } from '../../usePagedQuery';
import SentimentBadge from './SentimentBadge';

const reducedMotion = () =>
  typeof window !== 'undefined' && window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;

/**
 * The product's shorts, playing inline and muted (not by themselves when the
 * viewer asks for reduced motion), with controls and the sentiment badge.
 */
export default function ShortsSection({ productId }: { productId: string }) {
  const t = useT();
  const id = useId();
  const { data, error, refetch, edges, hasMore, loadingMore, loadMore } = usePagedQuery(ShopProductShortsDocument, 'shorts', {
    variables: { productId, first: 4 },
  });
  const autoPlay = !reducedMotion();

  if (data && edges.length === 0) return null;
  return (
    <section className="shop-section" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('shop.shorts')}</h2>
      <ErrorNote area="shop" error={error} onRetry={() => void refetch()} />
      <ul className="shop-shorts">
        {edges.map(({ node: s }) => (
          <li key={s.id} className="shop-short card">
            <video
              className="shop-short-video"
              src={s.videoUrl}
              poster={s.thumbnailUrl ?? undefined}
              muted
              playsInline
              loop
              controls
              autoPlay={autoPlay}
              preload="metadata"
              width={270}
              height={480}
              aria-label={t('shop.shortVideo', { title: s.title })}
            />
            <div className="shop-short-body">
              <h3 className="shop-short-title">{s.title}</h3>
              <SentimentBadge label={s.sentiment.label} score={s.sentiment.score} />
              {s.description && <p className="shop-short-desc">{s.description}</p>}
              <p className="muted shop-short-stats">
                {t('shop.shortStats', { views: s.viewCount, likes: s.likeCount, secs: s.durationSecs })}
              </p>
            </div>
          </li>
        ))}
      </ul>
      <LoadMore
        look="shop"
        hasMore={hasMore}
        loading={loadingMore}
        onLoadMore={loadMore}
        auto={false}
        label={t('shop.moreShorts')}
      />
    </section>
  );
}
