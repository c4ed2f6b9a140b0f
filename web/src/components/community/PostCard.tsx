import { Link } from 'react-router-dom';
import { useFormat, useT } from '../../i18n';
import type { FeedReason } from '../../gql/graphql';
import LikeButton from './LikeButton';
import Picture, { type ImageLike } from './Picture';
import DesignCard, { type DesignCardDesign } from './DesignCard';
import { reasonLabel } from './labels';

export type PostCardPost = {
  id: string;
  body: string;
  createdAt: string;
  likeCount: number;
  commentCount: number;
  likedByMe: boolean;
  author?: { id: string; nickname: string } | null;
  images: ImageLike[];
  design?: DesignCardDesign | null;
};

/** A post in a list (home feed, profile): author, text, first image, its design, like and comments. */
export default function PostCard({
  post,
  reason,
  heading: Heading = 'h3',
  onHide,
}: {
  post: PostCardPost;
  reason?: FeedReason;
  heading?: 'h2' | 'h3';
  /** Offered in the home feed: "not interested". */
  onHide?: () => void;
}) {
  const t = useT();
  const format = useFormat();
  const headingId = `post-${post.id}-title`;
  const name = post.author?.nickname ?? t('community.deletedUser');
  const [first, ...rest] = post.images;
  return (
    <article className="card post-card" aria-labelledby={headingId}>
      <header className="post-card-head">
        <Heading id={headingId} className="post-card-title">
          <Link to={`/posts/${post.id}`}>{t('community.postBy', { name })}</Link>
        </Heading>
        <p className="muted">
          {post.author && <Link to={`/users/${post.author.id}`}>{t('community.viewProfileOf', { name })}</Link>}
          {post.author && ' · '}
          <time dateTime={post.createdAt}>{format.date(post.createdAt)}</time>
          {reason && <span className="badge feed-reason"> {reasonLabel(t, reason)}</span>}
        </p>
      </header>
      <p className="post-body">{post.body}</p>
      {first && (
        <div className="post-card-image">
          <Picture image={first} thumb alt={t('community.postImageAlt', { n: 1, name })} />
          {rest.length > 0 && <span className="badge">{t('community.moreImages', { count: rest.length })}</span>}
        </div>
      )}
      {post.design && <DesignCard design={post.design} heading={Heading === 'h2' ? 'h3' : 'h4'} />}
      <footer className="row post-card-actions">
        <LikeButton targetType="POST" targetId={post.id} liked={post.likedByMe} count={post.likeCount} />
        <Link to={`/posts/${post.id}#comments`}>{t('community.commentCount', { count: post.commentCount })}</Link>
        {onHide && (
          <button type="button" className="btn btn-small" onClick={onHide}>
            {t('community.hide')}
            <span className="visually-hidden"> {t('community.postBy', { name })}</span>
          </button>
        )}
      </footer>
    </article>
  );
}
