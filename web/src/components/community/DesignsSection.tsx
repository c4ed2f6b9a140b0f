import { CommunityDesignsDocument } from '../../gql/graphql';
import { useT } from '../../i18n';
import { usePagedQuery } from '../../usePagedQuery';
import ListStates from '../ListStates';
import LoadMore from '../LoadMore';
import DesignCard from './DesignCard';

/** A titled grid of public designs (all of them, or one owner's), paged by a "Load more" button. */
export default function DesignsSection({
  headingId,
  title,
  first,
  ownerId,
  notifyOnNetworkStatusChange = true,
}: {
  headingId: string;
  title: string;
  first: number;
  ownerId?: string;
  notifyOnNetworkStatusChange?: boolean;
}) {
  const t = useT();
  const query = usePagedQuery(CommunityDesignsDocument, 'designs', {
    variables: ownerId ? { filter: { ownerId }, first } : { first },
    notifyOnNetworkStatusChange,
  });
  const { data, loading, edges } = query;
  return (
    <section aria-labelledby={headingId} className="stack">
      <h2 id={headingId}>{title}</h2>
      <ListStates query={query} area="community" announceLoading={false} emptyClassName="muted" empty={t('community.noDesigns')} />
      {edges.length > 0 && (
        <ul className="design-grid">
          {edges.map(({ node }) => (
            <li key={node.id}>
              <DesignCard design={node} />
            </li>
          ))}
        </ul>
      )}
      {data && <LoadMore auto={false} hasMore={query.hasMore} loading={loading} onLoadMore={query.loadMore} />}
    </section>
  );
}
