import { useT } from '../i18n';
import { describeError, type ErrorArea } from '../errors';

/** How each area shows a note: its class, and whether it is a box (the sentence, then Retry). */
const looks: Record<ErrorArea, { className: string; boxed: boolean }> = {
  shop: { className: 'shop-error', boxed: true },
  seller: { className: 'seller-error', boxed: true },
  community: { className: 'community-error', boxed: false },
  chat: { className: 'h4-error', boxed: false },
};

/**
 * An error said in words where it happened, announced to screen readers
 * (role="alert"); nothing without an error. `onRetry` adds a Retry button
 * (boxed areas), `inline` makes it phrasing content.
 */
export default function ErrorNote({
  error,
  area,
  onRetry,
  id,
  inline = false,
}: {
  error: unknown;
  area: ErrorArea;
  onRetry?: () => void;
  id?: string;
  inline?: boolean;
}) {
  const t = useT();
  if (!error) return null;
  const { className, boxed } = looks[area];
  const text = describeError(t, error, area);
  if (!boxed) {
    const Tag = inline ? 'span' : 'p';
    return (
      <Tag className={className} role="alert" id={id}>
        {text}
      </Tag>
    );
  }
  return (
    <div className={className} role="alert" id={id}>
      <p>{text}</p>
      {onRetry && (
        <button type="button" className="btn" onClick={onRetry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}
