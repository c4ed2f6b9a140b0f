import type { ReactNode } from 'react';
import type { ErrorArea } from '../errors';
import { useT } from '../i18n';
import ErrorNote from './ErrorNote';

/**
 * The states around a list from a query: its error (with Retry), the first
 * load (unless `showLoading` is false; a polite status unless `announceLoading`
 * is false) and the empty answer (`empty`, shown
 * once data has come and `count`, by default the edges, is zero).
 */
export default function ListStates({
  query,
  area,
  empty,
  emptyClassName,
  count,
  showLoading = true,
  announceLoading = true,
}: {
  query: { data?: unknown; loading: boolean; error?: unknown; refetch: () => Promise<unknown>; edges: readonly unknown[] };
  area: ErrorArea;
  empty: ReactNode;
  emptyClassName?: string;
  count?: number;
  showLoading?: boolean;
  announceLoading?: boolean;
}) {
  const t = useT();
  const { data, loading, error, refetch, edges } = query;
  return (
    <>
      <ErrorNote area={area} error={error} onRetry={() => void refetch()} />
      {showLoading && loading && !data && (
        <p className="muted" role={announceLoading ? 'status' : undefined}>
          {t('common.loading')}
        </p>
      )}
      {!!data && (count ?? edges.length) === 0 && <p className={emptyClassName}>{empty}</p>}
    </>
  );
}
