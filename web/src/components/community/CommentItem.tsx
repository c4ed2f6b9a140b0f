import { useState } from 'react';
import { useMutation } from '@apollo/client';
import { Link } from 'react-router-dom';
import { DeletePostCommentDocument, PostDetailDocument } from '../../gql/graphql';
import { useAuth } from '../../auth';
import { useFormat, useT } from '../../i18n';
import LikeButton from './LikeButton';
import CommentForm, { type NewComment } from './CommentForm';
import ErrorNote from '../ErrorNote';
import ConfirmButton from './ConfirmButton';

export type CommentLike = {
  id: string;
  body: string;
  createdAt: string;
  likeCount: number;
  likedByMe: boolean;
  author: { id: string; nickname: string } | null;
};

/** One comment: author, time, text, like, delete (own), and for top-level ones a reply form. */
export default function CommentItem({
  comment,
  postId,
  replies,
  hiddenReplies = 0,
  onShowReplies,
  onDeleted,
  onReplied,
}: {
  comment: CommentLike;
  postId: string;
  replies?: CommentLike[];
  hiddenReplies?: number;
  onShowReplies?: () => void;
  onDeleted: (id: string) => void;
  onReplied?: (reply: NewComment) => void;
}) {
  const t = useT();
  const format = useFormat();
  const { user } = useAuth();
  const [replying, setReplying] = useState(false);
  const [remove, removal] = useMutation(DeletePostCommentDocument, { refetchQueries: [PostDetailDocument] });
  const name = comment.author?.nickname ?? t('community.deletedUser');
  const mine = !!user && user.id === comment.author?.id;

  const onDelete = async () => {
    try {
      const { data } = await remove({ variables: { id: comment.id } });
      if (data?.deleteComment) onDeleted(comment.id);
    } catch {
      // shown by ErrorNote
    }
  };

  return (
    <li className="comment">
      <article aria-label={t('community.commentBy', { name })}>
        <p className="muted comment-meta">
          {comment.author ? <Link to={`/users/${comment.author.id}`}>{name}</Link> : name}
          {' · '}
          <time dateTime={comment.createdAt}>{format.date(comment.createdAt)}</time>
        </p>
        <p className="comment-body">{comment.body}</p>
        <div className="row">
          <LikeButton targetType="COMMENT" targetId={comment.id} liked={comment.likedByMe} count={comment.likeCount} small />
          {onReplied && user && !replying && (
            <button type="button" className="btn btn-small" onClick={() => setReplying(true)}>
              {t('community.reply')}
              <span className="visually-hidden"> {t('community.toName', { name })}</span>
            </button>
          )}
          {mine && (
            <ConfirmButton
              small
              question={t('community.confirmDeleteComment')}
              onConfirm={() => void onDelete()}
              disabled={removal.loading}
            >
              {t('common.delete')}
              <span className="visually-hidden"> {t('community.yourComment')}</span>
            </ConfirmButton>
          )}
        </div>
        <ErrorNote area="community" error={removal.error} />
        {replying && onReplied && (
          <CommentForm
            postId={postId}
            parentId={comment.id}
            onAdded={(r) => {
              setReplying(false);
              onReplied(r);
            }}
            onCancel={() => setReplying(false)}
          />
        )}
      </article>
      {replies && replies.length > 0 && (
        <ul className="replies" aria-label={t('community.repliesTo', { name })}>
          {replies.map((r) => (
            <CommentItem key={r.id} comment={r} postId={postId} onDeleted={onDeleted} />
          ))}
        </ul>
      )}
      {hiddenReplies > 0 && onShowReplies && (
        <button type="button" className="btn btn-small show-replies" onClick={onShowReplies}>
          {t('community.showReplies', { count: hiddenReplies })}
        </button>
      )}
    </li>
  );
}
