import { useEffect, useState } from 'react';
import { useMutation, type ApolloCache } from '@apollo/client';
import { useNavigate } from 'react-router-dom';
import { LikeTargetDocument, UnlikeTargetDocument, type LikeTargetType } from '../../gql/graphql';

/** The payload as the cache stores it (Apollo adds `__typename` to every selection). */
const payload = (p: Payload) => ({ __typename: 'LikePayload' as const, ...p });
import { useAuth } from '../../auth';
import { useT } from '../../i18n';
import ErrorNote from '../ErrorNote';
import { useLoginHref } from './loginLink';

const typenames: Partial<Record<LikeTargetType, string>> = { POST: 'Post', DESIGN: 'Design', COMMENT: 'Comment' };

type Payload = { targetType: LikeTargetType; targetId: string; likeCount: number; liked: boolean };

/** Writes the new count and state onto the liked object in the cache. */
function apply(cache: ApolloCache<unknown>, p: Payload | undefined) {
  const __typename = typenames[p?.targetType ?? 'POST'];
  if (!p || !__typename) return;
  cache.modify({
    id: cache.identify({ __typename, id: p.targetId }),
    fields: { likeCount: () => p.likeCount, likedByMe: () => p.liked },
  });
}

/**
 * A like toggle (aria-pressed) with the exact count from the server; the
 * optimistic answer shows the change at once. Anonymous viewers are sent to
 * sign in.
 */
export default function LikeButton({
  targetType,
  targetId,
  liked,
  count,
  small = false,
}: {
  targetType: LikeTargetType;
  targetId: string;
  liked: boolean;
  count: number;
  small?: boolean;
}) {
  const t = useT();
  const { user } = useAuth();
  const navigate = useNavigate();
  const loginHref = useLoginHref();
  // The server's answer, shown until the props catch up (they do when the
  // cache normalises the liked object; this also holds when it cannot).
  const [answer, setAnswer] = useState<Payload | null>(null);
  useEffect(() => setAnswer(null), [liked, count]);
  const [like, likeState] = useMutation(LikeTargetDocument, {
    update: (cache, { data }) => apply(cache, data?.like),
    onCompleted: (data) => setAnswer(data.like),
  });
  const [unlike, unlikeState] = useMutation(UnlikeTargetDocument, {
    update: (cache, { data }) => apply(cache, data?.unlike),
    onCompleted: (data) => setAnswer(data.unlike),
  });
  const busy = likeState.loading || unlikeState.loading;
  if (answer) {
    liked = answer.liked;
    count = answer.likeCount;
  }

  const onClick = () => {
    if (!user) {
      navigate(loginHref);
      return;
    }
    const variables = { targetType, targetId };
    if (liked) {
      void unlike({
        variables,
        optimisticResponse: {
          unlike: payload({ targetType, targetId, likeCount: Math.max(0, count - 1), liked: false }),
        },
      }).catch(() => undefined);
    } else {
      void like({
        variables,
        optimisticResponse: {
          like: payload({ targetType, targetId, likeCount: count + 1, liked: true }),
        },
      }).catch(() => undefined);
    }
  };

  return (
    <span className="like">
      <button
        type="button"
        className={`btn like-btn${small ? ' btn-small' : ''}${liked ? ' is-liked' : ''}`}
        aria-pressed={liked}
        disabled={busy}
        onClick={onClick}
      >
        <span aria-hidden="true">{liked ? '♥' : '♡'}</span> {t('community.like')}
      </button>{' '}
      <span className="like-count">{t('community.likeCount', { count })}</span>
      <ErrorNote area="community" inline error={likeState.error ?? unlikeState.error} />
    </span>
  );
}
