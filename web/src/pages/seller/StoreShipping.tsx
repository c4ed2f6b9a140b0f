import { useMutation } from '@apollo/client';
import { useRef, useState, type FormEvent } from 'react';
import { SellerUpdateShippingDocument } from '../../gql/graphql';
import { useFormat, useT } from '../../i18n';
import { TextField } from './Field';
import { focusFirstInvalid, parseWhole, serverErrors, type FieldErrors } from './formErrors';

type Props = { shippingFee: number; freeShippingThreshold: number | null };

/** The store's shipping fee and free-shipping threshold (`updateStoreShipping`). */
export default function StoreShipping({ shippingFee, freeShippingThreshold }: Props) {
  const t = useT();
  const fmt = useFormat();
  const form = useRef<HTMLFormElement>(null);
  const [editing, setEditing] = useState(false);
  const [fee, setFee] = useState(String(shippingFee));
  const [threshold, setThreshold] = useState(freeShippingThreshold == null ? '' : String(freeShippingThreshold));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [summary, setSummary] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [save, { loading }] = useMutation(SellerUpdateShippingDocument);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const found: FieldErrors = {};
    const feeValue = parseWhole(fee);
    if (feeValue === null) found['ship-fee'] = t('seller.errWholeNumber');
    const thresholdValue = threshold.trim() === '' ? null : parseWhole(threshold);
    if (threshold.trim() !== '' && thresholdValue === null) found['ship-threshold'] = t('seller.errWholeNumber');
    setErrors(found);
    setSaved(false);
    if (Object.keys(found).length || feeValue === null) {
      setSummary(t('seller.fixErrors', { count: Object.keys(found).length }));
      focusFirstInvalid(form.current);
      return;
    }
    setSummary(null);
    try {
      await save({ variables: { input: { shippingFee: feeValue, freeShippingThreshold: thresholdValue } } });
      setSaved(true);
      setEditing(false);
    } catch (err) {
      const split = serverErrors(t, err, { shippingFee: 'ship-fee', freeShippingThreshold: 'ship-threshold' });
      setErrors(split.fields);
      setSummary(split.summary);
      focusFirstInvalid(form.current);
    }
  };

  return (
    <div className="seller-shipping stack">
      <h3>{t('seller.shippingTitle')}</h3>
      <p>
        {shippingFee === 0 ? t('seller.shippingFree') : t('seller.shippingFee', { fee: fmt.price(shippingFee) })}{' '}
        {freeShippingThreshold != null && shippingFee > 0 && t('seller.shippingThreshold', { amount: fmt.price(freeShippingThreshold) })}
      </p>
      <p role="status" className="muted">
        {saved ? t('seller.saved') : ''}
      </p>
      {!editing ? (
        <div className="row">
          <button type="button" className="btn" onClick={() => setEditing(true)}>
            {t('seller.shippingEdit')}
          </button>
        </div>
      ) : (
        <form ref={form} className="stack seller-form" noValidate onSubmit={(e) => void onSubmit(e)} aria-busy={loading}>
          {summary && (
            <p className="seller-error" role="alert">
              {summary}
            </p>
          )}
          <div className="seller-form-row">
            <TextField id="ship-fee" label={t('seller.shippingFeeLabel')} type="number" inputMode="numeric" min={0} value={fee} onChange={setFee} required error={errors['ship-fee']} />
            <TextField
              id="ship-threshold"
              label={t('seller.shippingThresholdLabel')}
              type="number"
              inputMode="numeric"
              min={0}
              value={threshold}
              onChange={setThreshold}
              hint={t('seller.shippingThresholdHint')}
              error={errors['ship-threshold']}
            />
          </div>
          <div className="row">
            <button type="submit" className="btn btn-primary" disabled={loading}>
              {t('common.save')}
            </button>
            <button type="button" className="btn" onClick={() => setEditing(false)}>
              {t('common.cancel')}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
