import { useMutation } from '@apollo/client';
import { ShopAddToWishlistDocument, ShopRemoveFromWishlistDocument } from '../../gql/graphql';
import { useT } from '../../i18n';
import { describeError } from '../../errors';
import { useEnsureSignedIn } from './signIn';

/**
 * Adds to or removes from the wishlist; a toggle button (`aria-pressed`). The
 * product's `inMyWishlist` in the cache changes, so every card of it follows.
 */
export default function WishlistButton({
  productId,
  productName,
  inWishlist,
  compact = false,
  onRemoved,
}: {
  productId: string;
  productName: string;
  inWishlist: boolean;
  compact?: boolean;
  onRemoved?: () => void;
}) {
  const t = useT();
  const ensureSignedIn = useEnsureSignedIn();
  const [add, adding] = useMutation(ShopAddToWishlistDocument);
  const [remove, removing] = useMutation(ShopRemoveFromWishlistDocument, {
    update(cache, { data }) {
      if (!data?.removeFromWishlist) return;
      cache.modify({
        id: cache.identify({ __typename: 'Product', id: productId }),
        fields: { inMyWishlist: () => false },
      });
    },
  });
  const busy = adding.loading || removing.loading;
  const error = adding.error ?? removing.error;

  const toggle = async () => {
    if (!ensureSignedIn()) return;
    try {
      if (inWishlist) {
        await remove({ variables: { productId } });
        onRemoved?.();
      } else {
        await add({ variables: { productId } });
      }
    } catch {
      /* shown below */
    }
  };

  const label = inWishlist
    ? t('shop.removeFromWishlistNamed', { name: productName })
    : t('shop.addToWishlistNamed', { name: productName });
  return (
    <span className="shop-wishlist">
      <button
        type="button"
        className={`btn shop-wishlist-btn${inWishlist ? ' is-on' : ''}`}
        aria-pressed={inWishlist}
        aria-label={compact ? label : undefined}
        disabled={busy}
        onClick={toggle}
      >
        <span aria-hidden="true">{inWishlist ? '♥' : '♡'}</span>
        {!compact && <span> {inWishlist ? t('shop.inWishlist') : t('shop.addToWishlist')}</span>}
      </button>
      {error && (
        <span role="alert" className="shop-inline-error">
          {describeError(t, error, 'shop')}
        </span>
      )}
    </span>
  );
}
