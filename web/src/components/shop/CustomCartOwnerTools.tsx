import { useMutation } from '@apollo/client';
import { useId, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import {
  ShopDeleteCustomCartDocument,
  ShopMyCustomCartsDocument,
  ShopUpdateCustomCartDocument,
  type CartVisibility,
} from '../../gql/graphql';
import { useT } from '../../i18n';
import { describeError } from '../../errors';

const VISIBILITIES: readonly CartVisibility[] = ['PRIVATE', 'UNLISTED', 'PUBLIC'];

/** The owner's controls: who may open the link, a new link, deleting the cart. */
export default function CustomCartOwnerTools({ cartId, visibility }: { cartId: string; visibility: CartVisibility }) {
  const t = useT();
  const id = useId();
  const navigate = useNavigate();
  const [saved, setSaved] = useState('');
  const [update, updating] = useMutation(ShopUpdateCustomCartDocument);
  const [remove, removing] = useMutation(ShopDeleteCustomCartDocument, {
    refetchQueries: [ShopMyCustomCartsDocument],
  });

  const change = async (input: { visibility?: CartVisibility; regenerateShareSlug?: boolean }, message: string) => {
    setSaved('');
    try {
      await update({ variables: { id: cartId, input } });
      setSaved(message);
    } catch {
      /* shown below */
    }
  };
  const del = async () => {
    if (!window.confirm(t('shop.confirmDeleteCustomCart'))) return;
    try {
      await remove({ variables: { id: cartId } });
      navigate('/carts');
    } catch {
      /* shown below */
    }
  };
  const error = updating.error ?? removing.error;

  return (
    <section className="card stack shop-owner-tools" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('shop.sharingSettings')}</h2>
      <div className="shop-field">
        <label htmlFor={`${id}-vis`}>{t('shop.visibility')}</label>
        <select
          id={`${id}-vis`}
          value={visibility}
          disabled={updating.loading}
          aria-describedby={`${id}-help`}
          onChange={(e) => void change({ visibility: e.target.value as CartVisibility }, t('shop.visibilitySaved'))}
        >
          {VISIBILITIES.map((v) => <option key={v} value={v}>{t(`shop.visibility_${v}`)}</option>)}
        </select>
        <p id={`${id}-help`} className="muted">{t(`shop.visibilityHelp_${visibility}`)}</p>
      </div>
      <div className="row">
        <button type="button" className="btn" disabled={updating.loading}
          onClick={() => void change({ regenerateShareSlug: true }, t('shop.linkRegenerated'))}>
          {t('shop.regenerateLink')}
        </button>
        <button type="button" className="btn shop-danger" disabled={removing.loading} onClick={() => void del()}>
          {t('shop.deleteCustomCart')}
        </button>
      </div>
      <p aria-live="polite" className="shop-success">{saved}</p>
      {error && <p role="alert" className="shop-inline-error">{describeError(t, error, 'shop')}</p>}
    </section>
  );
}
