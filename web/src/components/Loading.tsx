import { useT } from '../i18n';

/** A polite loading notice (Suspense fallback and pending queries). */
export function Loading() {
  const t = useT();
  return (
    <p className="loading muted" role="status" aria-live="polite">
      {t('common.loading')}
    </p>
  );
}
