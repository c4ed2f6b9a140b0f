import { useMutation } from '@apollo/client';
import { useId, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { RequireAuth } from '../../auth';
import { ShopCreateCustomCartDocument, ShopMyCustomCartsDocument, type CartVisibility } from '../../gql/graphql';
import { useFormat, useT } from '../../i18n';
import ListStates from '../../components/ListStates';
import LoadMore from '../../components/LoadMore';
import { describeError } from '../../errors';
import { usePagedQuery } from '../../usePagedQuery';
import '../../styles/shop.css';

const VISIBILITIES: readonly CartVisibility[] = ['PRIVATE', 'UNLISTED', 'PUBLIC'];

function CreateForm() {
  const t = useT();
  const id = useId();
  const navigate = useNavigate();
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [visibility, setVisibility] = useState<CartVisibility>('UNLISTED');
  const [create, { loading, error }] = useMutation(ShopCreateCustomCartDocument, {
    refetchQueries: [ShopMyCustomCartsDocument],
  });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const res = await create({
        variables: { input: { title: title.trim(), description: description.trim() || undefined, visibility } },
      });
      const made = res.data?.createCustomCart;
      if (made) navigate(`/carts/${encodeURIComponent(made.id)}`);
    } catch {
      /* shown below */
    }
  };

  return (
    <form className="card stack shop-create-cart" onSubmit={submit} aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('shop.newCustomCart')}</h2>
      <div className="shop-field">
        <label htmlFor={`${id}-title`}>{t('shop.cartTitleField')}</label>
        <input id={`${id}-title`} required maxLength={100} value={title} onChange={(e) => setTitle(e.target.value)} />
      </div>
      <div className="shop-field">
        <label htmlFor={`${id}-desc`}>{t('shop.cartDescriptionField')}</label>
        <textarea id={`${id}-desc`} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
      </div>
      <div className="shop-field">
        <label htmlFor={`${id}-vis`}>{t('shop.visibility')}</label>
        <select id={`${id}-vis`} value={visibility} onChange={(e) => setVisibility(e.target.value as CartVisibility)}
          aria-describedby={`${id}-vis-help`}>
          {VISIBILITIES.map((v) => <option key={v} value={v}>{t(`shop.visibility_${v}`)}</option>)}
        </select>
        <p id={`${id}-vis-help`} className="muted">{t(`shop.visibilityHelp_${visibility}`)}</p>
      </div>
      <button type="submit" className="btn btn-primary" disabled={loading || !title.trim()}>
        {t('shop.createCustomCart')}
      </button>
      {error && <p role="alert" className="shop-inline-error">{describeError(t, error, 'shop')}</p>}
    </form>
  );
}

function CustomCartsContent() {
  const t = useT();
  const format = useFormat();
  const query = usePagedQuery(ShopMyCustomCartsDocument, 'myCustomCarts', { variables: { first: 20 }, fetchPolicy: 'cache-and-network' });
  const carts = query.edges.map((e) => e.node);

  return (
    <div className="page shop-custom-carts-page">
      <h1>{t('shop.customCartsTitle')}</h1>
      <p className="muted">{t('shop.customCartsIntro')}</p>
      <div className="shop-custom-layout">
        <CreateForm />
        <section aria-labelledby="shop-my-carts-h">
          <h2 id="shop-my-carts-h">{t('shop.myCustomCarts')}</h2>
          <ListStates query={query} area="shop" emptyClassName="shop-empty" empty={t('shop.noCustomCarts')} />
          <ul className="shop-custom-list">
            {carts.map((c) => (
              <li key={c.id} className="card">
                <h3>
                  <Link to={`/carts/${encodeURIComponent(c.id)}`}>{c.title}</Link>
                </h3>
                {c.description && <p>{c.description}</p>}
                <p className="muted">
                  <span className="badge">{t(`shop.visibility_${c.visibility}`)}</span>{' '}
                  {t('shop.itemsCount', { count: c.itemCount })} ·{' '}
                  <time dateTime={c.updatedAt}>{t('shop.updatedAt', { date: format.date(c.updatedAt) })}</time>
                </p>
              </li>
            ))}
          </ul>
          <LoadMore look="shop" hasMore={query.hasMore} loading={query.loadingMore} onLoadMore={query.loadMore} />
        </section>
      </div>
    </div>
  );
}

/** The viewer's custom carts: make one, see them all. */
export default function CustomCarts() {
  return (
    <RequireAuth>
      <CustomCartsContent />
    </RequireAuth>
  );
}
