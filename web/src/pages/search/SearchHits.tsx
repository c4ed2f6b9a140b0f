import { useState } from 'react';
import { Link } from 'react-router-dom';
import type { SiteSearchQuery } from '../../gql/graphql';
import { useFormat, useT } from '../../i18n';

type Results = SiteSearchQuery['search'];
type NodeOf<K extends keyof Results> = NonNullable<Results[K]> extends { edges: Array<{ node: infer N }> } ? N : never;

type Img = { url: string; thumbnailUrl?: string | null; width?: number | null; height?: number | null };

/** A result's picture; one that cannot be loaded (an unreachable external host) leaves a neutral box. */
function Thumb({ src, alt }: { src: string | null | undefined; alt: string }) {
  const [failed, setFailed] = useState(false);
  if (!src) return null;
  if (failed) return <div className="search-hit-img" role="img" aria-label={alt} />;
  return (
    <img
      className="search-hit-img"
      src={src}
      alt={alt}
      loading="lazy"
      decoding="async"
      width={320}
      height={320}
      onError={() => setFailed(true)}
    />
  );
}

const thumbOf = (image: Img | null | undefined) => (image ? (image.thumbnailUrl ?? image.url) : null);

export function ProductHit({ node }: { node: NodeOf<'products'> }) {
  const t = useT();
  const f = useFormat();
  return (
    <article className="card search-hit">
      <Thumb src={thumbOf(node.images[0])} alt={node.name} />
      <h3>
        <Link to={`/products/${node.id}`}>{node.name}</Link>
      </h3>
      {node.store ? <p className="muted">{node.store.name}</p> : null}
      <p>
        <strong>{f.price(node.price)}</strong>
      </p>
      {node.rating != null ? <p className="muted">{t('search.rating', { rating: node.rating.toFixed(1) })}</p> : null}
    </article>
  );
}

export function PostHit({ node }: { node: NodeOf<'posts'> }) {
  const t = useT();
  const f = useFormat();
  return (
    <article className="card search-hit">
      <p className="search-post-body">
        <Link to={`/posts/${node.id}`}>{node.body || t('search.untitled')}</Link>
      </p>
      <p className="muted">
        {node.author ? t('search.by', { name: node.author.nickname }) : null} · {f.date(node.createdAt)}
      </p>
      <p className="muted">
        {t('search.likes', { count: node.likeCount })} · {t('search.comments', { count: node.commentCount })}
      </p>
    </article>
  );
}

export function DesignHit({ node }: { node: NodeOf<'designs'> }) {
  const t = useT();
  const title = node.title || t('search.untitled');
  return (
    <article className="card search-hit">
      <Thumb src={thumbOf(node.generatedImage)} alt={title} />
      <h3>
        <Link to={`/designs/${node.id}`}>{title}</Link>
      </h3>
      {node.owner ? <p className="muted">{t('search.by', { name: node.owner.nickname })}</p> : null}
      <p className="muted">{t('search.likes', { count: node.likeCount })}</p>
    </article>
  );
}

export function UserHit({ node }: { node: NodeOf<'users'> }) {
  const t = useT();
  const photo = node.profilePhoto;
  return (
    <article className="card search-hit search-hit-row">
      {photo ? <img className="search-avatar" src={photo.thumbnailUrl ?? photo.url} alt="" width={48} height={48} loading="lazy" /> : null}
      <div>
        <h3>
          <Link to={`/users/${node.id}`}>{node.nickname}</Link>
        </h3>
        <p className="muted">{t('search.followers', { count: node.followerCount })}</p>
      </div>
    </article>
  );
}

export function StoreHit({ node }: { node: NodeOf<'stores'> }) {
  const t = useT();
  return (
    <article className="card search-hit">
      <h3>{node.name}</h3>
      {node.description ? <p>{node.description}</p> : null}
      {node.owner ? (
        <p className="muted">
          <Link to={`/users/${node.owner.id}`}>{t('search.by', { name: node.owner.nickname })}</Link>
        </p>
      ) : null}
    </article>
  );
}

export function ShortHit({ node }: { node: NodeOf<'shorts'> }) {
  const t = useT();
  return (
    <article className="card search-hit">
      <Thumb src={node.thumbnailUrl} alt={node.title} />
      <h3>{node.product ? <Link to={`/products/${node.product.id}`}>{node.title}</Link> : node.title}</h3>
      <p className="muted">
        {t('search.seconds', { count: node.durationSecs })}
        {node.product ? ` · ${t('search.productOf', { name: node.product.name })}` : ''}
      </p>
    </article>
  );
}
