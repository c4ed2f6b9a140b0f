import { useMutation } from '@apollo/client';
import { useId, useRef, useState, type FormEvent } from 'react';
import { AdminPendingStoresDocument, AdminReviewStoreDocument, type AdminPendingStoresQuery } from '../../gql/graphql';
import { useFormat, useT } from '../../i18n';
import ListStates from '../../components/ListStates';
import LoadMore from '../../components/LoadMore';
import { describeError } from '../../errors';
import { usePagedQuery } from '../../usePagedQuery';

type Store = AdminPendingStoresQuery['pendingStores']['edges'][number]['node'];
const PAGE = 20;

/** One application: its details, Approve, or Reject with a reason. */
function Application({ store, onDecided }: { store: Store; onDecided: (message: string) => void }) {
  const t = useT();
  const fmt = useFormat();
  const uid = useId();
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const [review, { loading }] = useMutation(AdminReviewStoreDocument, {
    // The decided store leaves the queue: ask the server for the queue again.
    refetchQueries: [AdminPendingStoresDocument],
    awaitRefetchQueries: true,
  });
  const headingId = `${uid}-name`;

  const decide = async (decision: 'APPROVE' | 'REJECT') => {
    setProblem(null);
    try {
      await review({ variables: { id: store.id, decision, reason: decision === 'REJECT' ? reason.trim() : null } });
      onDecided(t(decision === 'APPROVE' ? 'admin.approvedNamed' : 'admin.rejectedNamed', { name: store.name }));
    } catch (err) {
      setProblem(describeError(t, err, 'seller'));
    }
  };

  const submitReject = (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) {
      setReasonError(t('admin.errReason'));
      reasonRef.current?.focus();
      return;
    }
    setReasonError(null);
    void decide('REJECT');
  };

  return (
    <article className="admin-application stack" aria-labelledby={headingId}>
      <h3 id={headingId}>{store.name}</h3>
      <dl className="admin-facts">
        <dt>{t('admin.applicant')}</dt>
        <dd>
          {store.owner ? `${store.owner.nickname}${store.owner.email ? ` (${store.owner.email})` : ''}` : t('admin.unknownApplicant')}
        </dd>
        <dt>{t('admin.licenseNumber')}</dt>
        <dd>{store.licenseNumber}</dd>
        <dt>{t('admin.appliedAt')}</dt>
        <dd>{fmt.date(store.createdAt)}</dd>
        {store.description && (
          <>
            <dt>{t('admin.description')}</dt>
            <dd>{store.description}</dd>
          </>
        )}
      </dl>
      {problem && (
        <p className="admin-error" role="alert">
          {problem}
        </p>
      )}
      {!rejecting ? (
        <div className="row">
          <button type="button" className="btn btn-primary" disabled={loading} onClick={() => void decide('APPROVE')} aria-label={t('admin.approveNamed', { name: store.name })}>
            {t('admin.approve')}
          </button>
          <button
            type="button"
            className="btn"
            disabled={loading}
            onClick={() => {
              setRejecting(true);
              requestAnimationFrame(() => reasonRef.current?.focus());
            }}
            aria-label={t('admin.rejectNamed', { name: store.name })}
          >
            {t('admin.reject')}
          </button>
        </div>
      ) : (
        <form className="stack" noValidate onSubmit={submitReject}>
          <div className="admin-field">
            <label htmlFor={`${uid}-reason`}>{t('admin.rejectReason')}</label>
            <textarea
              ref={reasonRef}
              id={`${uid}-reason`}
              rows={3}
              maxLength={1000}
              value={reason}
              required
              aria-invalid={reasonError ? true : undefined}
              aria-describedby={`${uid}-reason-hint${reasonError ? ` ${uid}-reason-error` : ''}`}
              onChange={(e) => setReason(e.target.value)}
            />
            <span className="muted" id={`${uid}-reason-hint`}>
              {t('admin.rejectReasonHint')}
            </span>
            {reasonError && (
              <span className="admin-field-error" id={`${uid}-reason-error`}>
                {reasonError}
              </span>
            )}
          </div>
          <div className="row">
            <button type="submit" className="btn btn-danger-admin" disabled={loading}>
              {t('admin.confirmReject')}
            </button>
            <button type="button" className="btn" onClick={() => setRejecting(false)}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      )}
    </article>
  );
}

/** Store applications awaiting review, oldest first. */
export default function PendingStores() {
  const t = useT();
  const [announcement, setAnnouncement] = useState('');
  const headingRef = useRef<HTMLHeadingElement>(null);
  const query = usePagedQuery(AdminPendingStoresDocument, 'pendingStores', { variables: { first: PAGE }, fetchPolicy: 'cache-and-network' });
  const stores = query.edges.map((e) => e.node);

  return (
    <section aria-labelledby="admin-pending-heading" className="card stack">
      <h2 id="admin-pending-heading" ref={headingRef} tabIndex={-1}>
        {t('admin.pendingTitle')}
        {query.data && <span className="badge admin-count">{t('admin.pendingCount', { count: stores.length })}</span>}
      </h2>
      <p role="status" className="admin-announce">
        {announcement}
      </p>
      <ListStates query={query} area="seller" empty={t('admin.noPending')} />
      <ul className="admin-applications">
        {stores.map((s) => (
          <li key={s.id}>
            <Application
              store={s}
              onDecided={(message) => {
                setAnnouncement(message);
                headingRef.current?.focus();
              }}
            />
          </li>
        ))}
      </ul>
      <LoadMore look="seller" auto={false} hasMore={query.hasMore} loading={query.loadingMore} onLoadMore={query.loadMore} />
    </section>
  );
}
