import { useMutation, useQuery } from '@apollo/client';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { DeleteCommunityPostDocument, PostDetailDocument } from '../../gql/graphql';
import { useAuth } from '../../auth';
import { useFormat, useT } from '../../i18n';
import Picture from '../../components/community/Picture';
import LikeButton from '../../components/community/LikeButton';
import FollowButton from '../../components/community/FollowButton';
import DesignCard from '../../components/community/DesignCard';
import CommentSection from '../../components/community/CommentSection';
import ConfirmButton from '../../components/community/ConfirmButton';
import ErrorNote from '../../components/ErrorNote';
import '../../styles/community.css';

/** A post: author (follow), text, images, its design, like with the count, and its comments. */
export default function PostPage() {
  const t = useT();
  const format = useFormat();
  const navigate = useNavigate();
  const { id = '' } = useParams();
  const { user } = useAuth();
  const { data, error, loading } = useQuery(PostDetailDocument, { variables: { id } });
  const [remove, removal] = useMutation(DeleteCommunityPostDocument);
  const post = data?.post;

  if (loading && !post) return <div className="page community"><p className="muted">{t('common.loading')}</p></div>;
  if (!post) {
    return (
      <div className="page community">
        <h1>{t('community.postNotFound')}</h1>
        <ErrorNote area="community" error={error} />
        <p>
          <Link to="/community">{t('community.backToCommunity')}</Link>
        </p>
      </div>
    );
  }
  const name = post.author?.nickname ?? t('community.deletedUser');
  const mine = !!user && user.id === post.author?.id;
  const onDelete = async () => {
    try {
      const { data: done } = await remove({ variables: { id: post.id } });
      if (done?.deletePost) {
        removal.client.cache.evict({ id: removal.client.cache.identify(post) });
        removal.client.cache.gc();
        navigate('/community');
      }
    } catch {
      // shown by ErrorNote
    }
  };

  return (
    <div className="page community post-page">
      <article className="stack" aria-labelledby="post-title">
        <header className="stack">
          <h1 id="post-title">{t('community.postBy', { name })}</h1>
          <div className="row">
            {post.author && <Link to={`/users/${post.author.id}`}>{name}</Link>}
            <time dateTime={post.createdAt} className="muted">
              {format.date(post.createdAt)}
            </time>
            {post.author && <FollowButton user={post.author} />}
          </div>
        </header>
        <p className="post-body">{post.body}</p>
        {post.images.length > 0 && (
          <ul className="post-images">
            {post.images.map((img, i) => (
              <li key={img.url}>
                <Picture image={img} eager={i === 0} alt={t('community.postImageAlt', { n: i + 1, name })} />
              </li>
            ))}
          </ul>
        )}
        {post.design && (
          <section aria-labelledby="post-design-title">
            <h2 id="post-design-title">{t('community.attachedDesign')}</h2>
            <DesignCard design={post.design} />
          </section>
        )}
        <div className="row">
          <LikeButton targetType="POST" targetId={post.id} liked={post.likedByMe} count={post.likeCount} />
          {mine && (
            <ConfirmButton question={t('community.confirmDeletePost')} onConfirm={() => void onDelete()} disabled={removal.loading}>
              {t('community.deletePost')}
            </ConfirmButton>
          )}
        </div>
        <ErrorNote area="community" error={removal.error} />
      </article>
      <CommentSection postId={post.id} count={post.commentCount} />
    </div>
  );
}
