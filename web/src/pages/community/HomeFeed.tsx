import { useMutation } from '@apollo/client';
import { Link } from 'react-router-dom';
import { CommunityFeedDocument, HideFeedItemDocument } from '../../gql/graphql';
import { useAuth } from '../../auth';
import { useT } from '../../i18n';
import PostCard from '../../components/community/PostCard';
import DesignsSection from '../../components/community/DesignsSection';
import LoadMore from '../../components/LoadMore';
import ErrorNote from '../../components/ErrorNote';
import { usePagedQuery } from '../../usePagedQuery';
import '../../styles/community.css';

const PAGE = 10;

/** The personalised home feed (COMM-5), with infinite scroll over its cursor. */
export default function HomeFeed() {
  const t = useT();
  const { user } = useAuth();
  const { data, error, loading, refetch, updateQuery, hasMore, loadMore } = usePagedQuery(CommunityFeedDocument, 'homeFeed', {
    variables: { first: PAGE },
  });
  const feed = data?.homeFeed;
  const [hideItem, hiding] = useMutation(HideFeedItemDocument);

  // "Not interested": gone at once; its category weighs less from the next session.
  const hide = async (postId: string) => {
    try {
      const { data: done } = await hideItem({ variables: { itemType: 'POST', itemId: postId } });
      if (!done?.hideFeedItem) return;
      updateQuery((prev) => ({
        ...prev,
        homeFeed: { ...prev.homeFeed, edges: prev.homeFeed.edges.filter((e) => e.node.post.id !== postId) },
      }));
    } catch {
      // shown by ErrorNote
    }
  };

  return (
    <div className="page community">
      <div className="community-head">
        <h1>{t('community.title')}</h1>
        <nav className="row" aria-label={t('community.actions')}>
          <Link className="btn btn-primary" to="/community/new">
            {t('community.newPost')}
          </Link>
          <Link className="btn" to="/designs/new">
            {t('community.generateDesign')}
          </Link>
          {user && (
            <Link className="btn" to={`/users/${user.id}`}>
              {t('community.myProfile')}
            </Link>
          )}
        </nav>
      </div>
      <div className="community-layout">
        <section aria-labelledby="feed-title" className="stack" aria-busy={loading}>
          <h2 id="feed-title">{t('community.feed')}</h2>
          {error && (
            <div>
              <ErrorNote area="community" error={error} />
              <button type="button" className="btn" onClick={() => void refetch()}>
                {t('common.retry')}
              </button>
            </div>
          )}
          <ErrorNote area="community" error={hiding.error} />
          {loading && !feed && <p className="muted">{t('common.loading')}</p>}
          {feed && feed.edges.length === 0 && <p className="muted">{t('community.feedEmpty')}</p>}
          {feed && feed.edges.length > 0 && (
            <ul className="feed-list">
              {feed.edges.map((e) => (
                <li key={e.node.post.id}>
                  <PostCard
                    post={e.node.post}
                    reason={e.node.reason}
                    onHide={user ? () => void hide(e.node.post.id) : undefined}
                  />
                </li>
              ))}
            </ul>
          )}
          {feed && <LoadMore hasMore={hasMore} loading={loading} onLoadMore={loadMore} />}
        </section>
        {/* The latest public designs, beside the feed. */}
        <DesignsSection headingId="latest-designs" title={t('community.latestDesigns')} first={8} notifyOnNetworkStatusChange={false} />
      </div>
    </div>
  );
}
