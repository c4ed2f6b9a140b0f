import { useEffect, useState } from 'react';
import { useQuery } from '@apollo/client';
import { Link, useParams } from 'react-router-dom';
import { UserPostsDocument, UserProfileDocument } from '../../gql/graphql';
import { useAuth } from '../../auth';
import { useFormat, useT } from '../../i18n';
import FollowButton from '../../components/community/FollowButton';
import PostCard from '../../components/community/PostCard';
import DesignsSection from '../../components/community/DesignsSection';
import LoadMore from '../../components/LoadMore';
import ErrorNote from '../../components/ErrorNote';
import ListStates from '../../components/ListStates';
import Picture from '../../components/community/Picture';
import { usePagedQuery } from '../../usePagedQuery';
import '../../styles/community.css';

const PAGE = 10;

function UserPosts({ userId }: { userId: string }) {
  const t = useT();
  const query = usePagedQuery(UserPostsDocument, 'posts', { variables: { userId, first: PAGE } });
  const { data, loading, edges } = query;
  return (
    <section aria-labelledby="user-posts" className="stack">
      <h2 id="user-posts">{t('community.posts')}</h2>
      <ListStates query={query} area="community" announceLoading={false} emptyClassName="muted" empty={t('community.noPosts')} />
      {edges.length > 0 && (
        <ul className="feed-list">
          {edges.map(({ node }) => (
            <li key={node.id}>
              <PostCard post={node} />
            </li>
          ))}
        </ul>
      )}
      {data && <LoadMore hasMore={query.hasMore} loading={loading} onLoadMore={query.loadMore} />}
    </section>
  );
}

/** A user's profile: follower counts with follow/unfollow, their designs and posts. */
export default function Profile() {
  const t = useT();
  const format = useFormat();
  const { id = '' } = useParams();
  const { user: viewer } = useAuth();
  const { data, error, loading } = useQuery(UserProfileDocument, { variables: { id } });
  // Counts as the last follow/unfollow answered them (until the query has them too).
  const [counts, setCounts] = useState<{ followerCount: number; followingCount: number; followedByMe: boolean } | null>(
    null,
  );
  useEffect(() => setCounts(null), [data]);
  const user = data?.user && (counts ? { ...data.user, ...counts } : data.user);

  if (loading && !user) return <div className="page community"><p className="muted">{t('common.loading')}</p></div>;
  if (!user) {
    return (
      <div className="page community">
        <h1>{t('community.userNotFound')}</h1>
        <ErrorNote area="community" error={error} />
        <p>
          <Link to="/community">{t('community.backToCommunity')}</Link>
        </p>
      </div>
    );
  }
  const self = viewer?.id === user.id;
  return (
    <div className="page community profile-page">
      <header className="profile-head">
        {user.profilePhoto && (
          <Picture image={user.profilePhoto} thumb eager className="avatar" alt={t('community.profilePhotoAlt', { name: user.nickname })} />
        )}
        <div className="stack">
          <h1>{user.nickname}</h1>
          <p className="muted">{t('community.joined', { date: format.date(user.createdAt) })}</p>
          <dl className="profile-stats">
            <div>
              <dt>{t('community.followers')}</dt>
              <dd>{user.followerCount}</dd>
            </div>
            <div>
              <dt>{t('community.followingLabel')}</dt>
              <dd>{user.followingCount}</dd>
            </div>
          </dl>
          <div className="row">
            <FollowButton
              user={user}
              showCount={false}
              onChange={setCounts}
            />
            {self && (
              <>
                <Link className="btn" to="/community/new">
                  {t('community.newPost')}
                </Link>
                <Link className="btn" to="/designs/new">
                  {t('community.generateDesign')}
                </Link>
              </>
            )}
          </div>
        </div>
      </header>
      <DesignsSection headingId="user-designs" title={t('community.designs')} ownerId={user.id} first={12} />
      <UserPosts userId={user.id} />
    </div>
  );
}
