import { useId } from 'react';
import { useAuth } from '../../auth';
import { ShopProductReviewsDocument } from '../../gql/graphql';
import { useFormat, useT } from '../../i18n';
import ListStates from '../ListStates';
import LoadMore from '../LoadMore';
import { usePagedQuery } from '../../usePagedQuery';
import ProductImage from './ProductImage';
import Rating from './Rating';
import ReviewForm from './ReviewForm';

/** The product's reviews, newest first, paged over the connection; the form for signed-in buyers. */
export default function ReviewsSection({
  productId,
  rating,
  reviewCount,
}: {
  productId: string;
  rating: number | null;
  reviewCount: number;
}) {
  const t = useT();
  const format = useFormat();
  const id = useId();
  const { user } = useAuth();
  const query = usePagedQuery(ShopProductReviewsDocument, 'reviews', { variables: { productId, first: 5 } });
  const { edges, refetch } = query;

  return (
    <section className="shop-section" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>
        {t('shop.reviews')} {rating != null && <Rating rating={rating} count={reviewCount} />}
      </h2>
      <ListStates query={query} area="shop" showLoading={false} emptyClassName="muted" empty={t('shop.noReviews')} />
      <ul className="shop-reviews">
        {edges.map(({ node: r }) => (
          <li key={r.id} className="shop-review">
            <article>
              <header className="row shop-review-head">
                <span className="shop-review-stars" role="img" aria-label={t('shop.stars', { count: r.rating })}>
                  <span aria-hidden="true">{'★'.repeat(r.rating)}{'☆'.repeat(Math.max(0, 5 - r.rating))}</span>
                </span>
                <span className="shop-review-author">{r.author?.nickname ?? t('shop.formerMember')}</span>
                <time className="muted" dateTime={r.createdAt}>{format.date(r.createdAt)}</time>
              </header>
              <p className="shop-review-body">{r.body}</p>
              {r.photos.length > 0 && (
                <ul className="row shop-review-photos">
                  {r.photos.map((p, i) => (
                    <li key={p.url}>
                      <ProductImage image={p} size={96} alt={t('shop.reviewPhoto', { n: i + 1 })} />
                    </li>
                  ))}
                </ul>
              )}
            </article>
          </li>
        ))}
      </ul>
      <LoadMore
        look="shop"
        hasMore={query.hasMore}
        loading={query.loadingMore}
        onLoadMore={query.loadMore}
        auto={false}
        label={t('shop.moreReviews')}
      />
      {user ? (
        <ReviewForm productId={productId} onCreated={() => void refetch()} />
      ) : (
        <p className="muted">{t('shop.signInToReview')}</p>
      )}
    </section>
  );
}
