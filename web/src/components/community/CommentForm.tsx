import { useId, useState, type FormEvent } from 'react';
import { useMutation } from '@apollo/client';
import { AddPostCommentDocument, PostDetailDocument, type AddPostCommentMutation } from '../../gql/graphql';
import { useT } from '../../i18n';
import ErrorNote from '../ErrorNote';

export type NewComment = AddPostCommentMutation['addComment'];

/** Writes a comment on a post, or a reply to a top-level comment (`parentId`). */
export default function CommentForm({
  postId,
  parentId,
  onAdded,
  onCancel,
}: {
  postId: string;
  parentId?: string;
  onAdded: (comment: NewComment) => void;
  onCancel?: () => void;
}) {
  const t = useT();
  const id = useId();
  const [body, setBody] = useState('');
  const [add, { loading, error }] = useMutation(AddPostCommentDocument, {
    refetchQueries: [PostDetailDocument],
  });
  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (!body.trim() || loading) return;
    try {
      const { data } = await add({ variables: { postId, body, parentId: parentId ?? null } });
      if (data) {
        setBody('');
        onAdded(data.addComment);
      }
    } catch {
      // shown by ErrorNote
    }
  };
  return (
    <form className="stack comment-form" onSubmit={onSubmit}>
      <label htmlFor={id}>{parentId ? t('community.yourReply') : t('community.yourComment')}</label>
      <textarea
        id={id}
        value={body}
        rows={parentId ? 2 : 3}
        maxLength={1000}
        required
        disabled={loading}
        onChange={(e) => setBody(e.currentTarget.value)}
      />
      <ErrorNote area="community" error={error} />
      <div className="row">
        <button type="submit" className="btn btn-primary" disabled={loading || !body.trim()}>
          {parentId ? t('community.reply') : t('community.addComment')}
        </button>
        {onCancel && (
          <button type="button" className="btn" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
