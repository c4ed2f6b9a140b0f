import type { SentimentLabel } from '../../gql/graphql';
import { useT } from '../../i18n';

const ICON: Record<SentimentLabel, string> = { POSITIVE: '😊', NEUTRAL: '😐', NEGATIVE: '☹️' };

/** The short's labelled sentiment ("Positive 0.82"), as text, never colour alone. */
export default function SentimentBadge({ label, score }: { label: SentimentLabel; score: number }) {
  const t = useT();
  return (
    <span
      className={`badge shop-sentiment shop-sentiment-${label.toLowerCase()}`}
      title={t('shop.sentimentScore', { score: score.toFixed(2) })}
    >
      <span aria-hidden="true">{ICON[label]} </span>
      {t('shop.sentimentLabel', { label: t(`shop.sentiment_${label}`) })}
    </span>
  );
}
