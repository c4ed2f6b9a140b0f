import { useT } from '../../i18n';

/** "★ 4.3 (12)" with a full sentence for screen readers. */
export default function Rating({ rating, count }: { rating: number | null | undefined; count?: number | null }) {
  const t = useT();
  if (rating == null) {
    return <span className="shop-rating muted">{t('shop.noRating')}</span>;
  }
  const value = rating.toFixed(1);
  const label =
    count != null ? t('shop.ratingWithCount', { rating: value, count }) : t('shop.ratingLabel', { rating: value });
  return (
    <span className="shop-rating" aria-label={label} role="img">
      <span aria-hidden="true">★ {value}</span>
      {count != null && <span aria-hidden="true" className="muted"> ({count})</span>}
    </span>
  );
}
