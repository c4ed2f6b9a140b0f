import { useState, type FormEvent } from 'react';
import { useLazyQuery, useMutation, useQuery } from '@apollo/client';
import { Link } from 'react-router-dom';
import {
  ShoppingObjectClassesDocument,
  ShoppingSuggestionsDocument,
  TrackShoppingClickDocument,
} from '../../gql/graphql';
import { useFormat, useT } from '../../i18n';
import ErrorNote from '../ErrorNote';

const PAGE = 12;
/** The COCO classes found in rooms, offered first. */
const INTERIOR = [
  'couch',
  'chair',
  'bed',
  'dining table',
  'potted plant',
  'vase',
  'clock',
  'tv',
  'book',
  'bench',
  'refrigerator',
  'oven',
  'microwave',
  'sink',
  'toilet',
];

/**
 * Visual shopping (COMM-8) for a design: pick an object of the room (a COCO
 * class, shown with its Korean query), get products from the own catalogue
 * (palette colours first) and any configured providers; clicks are recorded.
 */
export default function ShoppingPanel({ designId }: { designId: string }) {
  const t = useT();
  const format = useFormat();
  const classes = useQuery(ShoppingObjectClassesDocument);
  const [objectClass, setObjectClass] = useState('couch');
  const [search, result] = useLazyQuery(ShoppingSuggestionsDocument, { fetchPolicy: 'network-only' });
  const [track] = useMutation(TrackShoppingClickDocument);
  const conn = result.data?.shoppingSuggestions;
  const all = classes.data?.shoppingObjectClasses ?? [{ name: 'couch', query: '소파' }];
  const interior = INTERIOR.flatMap((name) => all.filter((c) => c.name === name));
  const others = all.filter((c) => !INTERIOR.includes(c.name));

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void search({ variables: { objectClass, designId, first: PAGE } });
  };
  const more = () => {
    if (!conn?.pageInfo.endCursor) return;
    void result.fetchMore({
      variables: { after: conn.pageInfo.endCursor },
      updateQuery: (prev, { fetchMoreResult }) => ({
        shoppingSuggestions: {
          ...fetchMoreResult.shoppingSuggestions,
          edges: [...prev.shoppingSuggestions.edges, ...fetchMoreResult.shoppingSuggestions.edges],
        },
      }),
    });
  };
  const clicked = (id: string) => void track({ variables: { input: { suggestionId: id } } }).catch(() => undefined);

  return (
    <section className="stack shopping" aria-labelledby="shopping-title">
      <h2 id="shopping-title">{t('community.shopTheLook')}</h2>
      <form className="row" onSubmit={onSubmit}>
        <label htmlFor="shopping-class">{t('community.objectInRoom')}</label>
        <select id="shopping-class" value={objectClass} onChange={(e) => setObjectClass(e.currentTarget.value)}>
          <optgroup label={t('community.objectsInterior')}>
            {interior.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name} ({c.query})
              </option>
            ))}
          </optgroup>
          {others.length > 0 && (
            <optgroup label={t('community.objectsOther')}>
              {others.map((c) => (
                <option key={c.name} value={c.name}>
                  {c.name} ({c.query})
                </option>
              ))}
            </optgroup>
          )}
        </select>
        <button type="submit" className="btn btn-primary" disabled={result.loading}>
          {t('community.findProducts')}
        </button>
      </form>
      <ErrorNote area="community" error={classes.error ?? result.error} />
      <div aria-live="polite" aria-busy={result.loading}>
        {result.loading && !conn && <p className="muted">{t('common.loading')}</p>}
        {conn && (
          <p className="muted">
            {t('community.suggestionsFor', { query: conn.query, count: conn.edges.length })}
            {conn.paletteColors.length > 0 && ` · ${t('community.paletteFirst', { colors: conn.paletteColors.join(', ') })}`}
          </p>
        )}
      </div>
      {conn && conn.edges.length > 0 && (
        <ul className="suggestions">
          {conn.edges.map(({ node: s }) => {
            const content = (
              <>
                {s.imageUrl && <img src={s.imageUrl} alt="" loading="lazy" width={96} height={96} />}
                <span className="suggestion-title">{s.title}</span>
              </>
            );
            return (
              <li key={s.id} className="card suggestion">
                {s.product ? (
                  <Link to={`/products/${s.product.id}`} onClick={() => clicked(s.id)}>
                    {content}
                  </Link>
                ) : (
                  <a href={s.url} target="_blank" rel="noopener noreferrer" onClick={() => clicked(s.id)}>
                    {content}
                    <span className="visually-hidden"> {t('community.opensNewWindow')}</span>
                  </a>
                )}
                <span className="muted">
                  {s.price !== null ? format.price(s.price) : t('community.noPrice')}
                  {' · '}
                  {s.mallName ?? t(`community.platform_${s.platform}`)}
                </span>
              </li>
            );
          })}
        </ul>
      )}
      {conn?.pageInfo.hasNextPage && (
        <button type="button" className="btn" onClick={more} disabled={result.loading}>
          {t('common.loadMore')}
        </button>
      )}
    </section>
  );
}
