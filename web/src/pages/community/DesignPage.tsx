import { useEffect } from 'react';
import { useQuery } from '@apollo/client';
import { Link, useParams } from 'react-router-dom';
import { DesignDetailDocument } from '../../gql/graphql';
import { useAuth } from '../../auth';
import { useFormat, useT } from '../../i18n';
import Picture from '../../components/community/Picture';
import Palette from '../../components/community/Palette';
import LikeButton from '../../components/community/LikeButton';
import FollowButton from '../../components/community/FollowButton';
import ShoppingPanel from '../../components/community/ShoppingPanel';
import ErrorNote from '../../components/ErrorNote';
import { isGenerating, roomLabel, statusLabel, styleLabel, themeLabel } from '../../components/community/labels';
import '../../styles/community.css';

/** A design: before and after, palette and mood, like, its author (follow), and what to buy for it. */
export default function DesignPage() {
  const t = useT();
  const format = useFormat();
  const { id = '' } = useParams();
  const { user } = useAuth();
  const { data, error, loading, startPolling, stopPolling } = useQuery(DesignDetailDocument, { variables: { id } });
  const design = data?.design;
  // A design still being made is re-read until it is READY or FAILED, and a
  // new one until its colours are analysed (a job seconds after READY).
  const generating =
    !!design &&
    (isGenerating(design.generationStatus) ||
      (design.generationStatus === 'READY' &&
        design.palette.length === 0 &&
        Date.now() - Date.parse(design.createdAt) < 60_000));

  useEffect(() => {
    if (!generating) return;
    startPolling(2000);
    return () => stopPolling();
  }, [generating, startPolling, stopPolling]);

  if (loading && !design) return <div className="page community"><p className="muted">{t('common.loading')}</p></div>;
  if (!design) {
    return (
      <div className="page community">
        <h1>{t('community.designNotFound')}</h1>
        <ErrorNote area="community" error={error} />
        <p>
          <Link to="/community">{t('community.backToCommunity')}</Link>
        </p>
      </div>
    );
  }
  const mine = user?.id === design.owner?.id;
  return (
    <div className="page community design-page">
      <article className="stack">
        <header className="stack">
          <h1>{design.title}</h1>
          <p className="muted">
            {[styleLabel(t, design.style), roomLabel(t, design.roomType)].filter(Boolean).join(' · ')}
            {' · '}
            <time dateTime={design.createdAt}>{format.date(design.createdAt)}</time>
            {design.visibility === 'PRIVATE' && <span className="badge"> {t('community.visibility_PRIVATE')}</span>}
          </p>
          {design.owner && (
            <div className="row">
              <Link to={`/users/${design.owner.id}`}>{design.owner.nickname}</Link>
              <FollowButton user={design.owner} />
            </div>
          )}
        </header>
        {design.generationStatus !== 'UPLOADED' && (
          <p className={`design-status status-${design.generationStatus}`} role="status">
            {t('community.statusIs', { status: statusLabel(t, design.generationStatus) })}
          </p>
        )}
        {design.generationStatus === 'FAILED' && design.generationError && (
          <p className="community-error">{design.generationError}</p>
        )}
        <div className="design-images">
          {design.generatedImage && (
            <figure>
              <Picture image={design.generatedImage} eager alt={t('community.generatedAlt', { title: design.title })} />
              <figcaption>{t('community.after')}</figcaption>
            </figure>
          )}
          {design.sourceImage && (
            <figure>
              <Picture image={design.sourceImage} alt={t('community.sourceAlt', { title: design.title })} />
              <figcaption>{t('community.before')}</figcaption>
            </figure>
          )}
        </div>
        <div className="row">
          <LikeButton targetType="DESIGN" targetId={design.id} liked={design.likedByMe} count={design.likeCount} />
          {mine && (design.generationStatus === 'READY' || design.generationStatus === 'UPLOADED') && (
            <Link className="btn" to={`/community/new?design=${encodeURIComponent(design.id)}`}>
              {t('community.shareAsPost')}
            </Link>
          )}
        </div>
        {design.palette.length > 0 && (
          <section aria-labelledby="palette-title" className="stack">
            <h2 id="palette-title">{t('community.palette')}</h2>
            <Palette colors={design.palette} />
            {design.colorTheme && <p>{t('community.themeIs', { theme: themeLabel(t, design.colorTheme) })}</p>}
          </section>
        )}
        {(design.prompt || design.structureDescription) && (
          <section aria-labelledby="about-title" className="stack">
            <h2 id="about-title">{t('community.aboutDesign')}</h2>
            {design.prompt && (
              <p>
                <strong>{t('community.prompt')}:</strong> {design.prompt}
              </p>
            )}
            {design.structureDescription && (
              <details>
                <summary>{t('community.structure')}</summary>
                <p>{design.structureDescription}</p>
              </details>
            )}
            {design.provider && <p className="muted">{t('community.madeBy', { provider: design.provider })}</p>}
          </section>
        )}
      </article>
      {user ? (
        <ShoppingPanel designId={design.id} />
      ) : (
        <p>
          <Link to={`/login?next=${encodeURIComponent(`/designs/${design.id}`)}`}>{t('community.signInToShop')}</Link>
        </p>
      )}
    </div>
  );
}
