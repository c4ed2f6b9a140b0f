import { useEffect, useState } from 'react';
import { useMutation } from '@apollo/client';
import { Link } from 'react-router-dom';
import { FollowUserDocument, UnfollowUserDocument } from '../../gql/graphql';
import { useAuth } from '../../auth';
import { useT } from '../../i18n';
import ErrorNote from '../ErrorNote';
import { useLoginHref } from './loginLink';

type Followed = { followedByMe: boolean; followerCount: number; followingCount: number };

/**
 * Follow / unfollow a user (aria-pressed), with the follower count the
 * server answers. Hidden on one's own profile; anonymous viewers get a
 * sign-in link.
 */
export default function FollowButton({
  user: props,
  showCount = true,
  onChange,
}: {
  user: { id: string; nickname: string; followedByMe: boolean; followerCount: number };
  showCount?: boolean;
  /** Told the new state (a profile shows the counts elsewhere). */
  onChange?: (u: Followed) => void;
}) {
  const t = useT();
  const { user } = useAuth();
  const loginHref = useLoginHref();
  // The server's answer, shown until the props catch up (see LikeButton).
  const [answer, setAnswer] = useState<Followed | null>(null);
  useEffect(() => setAnswer(null), [props.followedByMe, props.followerCount]);
  const done = (u: Followed) => {
    setAnswer(u);
    onChange?.(u);
  };
  const [follow, followState] = useMutation(FollowUserDocument, { onCompleted: (d) => done(d.follow) });
  const [unfollow, unfollowState] = useMutation(UnfollowUserDocument, { onCompleted: (d) => done(d.unfollow) });
  const busy = followState.loading || unfollowState.loading;
  const target = answer ? { ...props, ...answer } : props;
  const count = showCount ? (
    <span className="follower-count">{t('community.followerCount', { count: target.followerCount })}</span>
  ) : null;

  if (user && user.id === target.id) return count;
  if (!user) {
    return (
      <span className="follow">
        <Link className="btn" to={loginHref}>
          {t('community.signInToFollow')}
        </Link>{' '}
        {count}
      </span>
    );
  }
  const onClick = () => {
    const variables = { userId: target.id };
    const run = target.followedByMe ? unfollow({ variables }) : follow({ variables });
    void run.catch(() => undefined);
  };
  return (
    <span className="follow">
      <button
        type="button"
        className={`btn${target.followedByMe ? '' : ' btn-primary'}`}
        aria-pressed={target.followedByMe}
        disabled={busy}
        onClick={onClick}
      >
        {target.followedByMe && <span aria-hidden="true">✓ </span>}
        {t('community.follow')}
        <span className="visually-hidden"> {target.nickname}</span>
      </button>{' '}
      {count}
      <ErrorNote area="community" inline error={followState.error ?? unfollowState.error} />
    </span>
  );
}
