import { useMutation } from '@apollo/client';
import { useId, useState, type FormEvent } from 'react';
import { ShopCreateReviewDocument } from '../../gql/graphql';
import { useT } from '../../i18n';
import { describeError, errorCode } from '../../errors';

/** Writing a review: only a buyer whose order of the product was delivered may (the server says so otherwise). */
export default function ReviewForm({ productId, onCreated }: { productId: string; onCreated: () => void }) {
  const t = useT();
  const id = useId();
  const [rating, setRating] = useState(5);
  const [body, setBody] = useState('');
  const [sent, setSent] = useState(false);
  const [create, { loading, error }] = useMutation(ShopCreateReviewDocument);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSent(false);
    try {
      await create({ variables: { input: { productId, rating, body: body.trim() } } });
      setBody('');
      setSent(true);
      onCreated();
    } catch {
      /* shown below */
    }
  };

  return (
    <form className="shop-review-form card stack" onSubmit={submit} aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>{t('shop.writeReview')}</h3>
      <fieldset className="shop-stars-input">
        <legend>{t('shop.yourRating')}</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n} className="shop-star-choice">
            <input type="radio" name={`${id}-rating`} value={n} checked={rating === n} onChange={() => setRating(n)} />
            <span>{t('shop.stars', { count: n })}</span>
          </label>
        ))}
      </fieldset>
      <div className="shop-field">
        <label htmlFor={`${id}-body`}>{t('shop.reviewBody')}</label>
        <textarea id={`${id}-body`} rows={4} required value={body} onChange={(e) => setBody(e.target.value)} />
      </div>
      <button type="submit" className="btn btn-primary" disabled={loading || !body.trim()}>
        {t('shop.postReview')}
      </button>
      <div aria-live="polite">{sent && <p className="shop-success">{t('shop.reviewPosted')}</p>}</div>
      {error && (
        <p role="alert" className="shop-inline-error">
          {errorCode(error) === 'FORBIDDEN'
            ? t('shop.reviewNotAllowed')
            : errorCode(error) === 'CONFLICT'
              ? t('shop.reviewAlready')
              : describeError(t, error, 'shop')}
        </p>
      )}
    </form>
  );
}
