import { useMutation } from '@apollo/client';
import { useId, useRef, useState, type FormEvent } from 'react';
import { SellerAdvanceOrderLineDocument, type Carrier, type OrderStatus } from '../../gql/graphql';
import { useFormat, useT } from '../../i18n';
import { SelectField, TextField } from './Field';
import { focusFirstInvalid, serverErrors, type FieldErrors } from './formErrors';

export const CARRIERS: Carrier[] = [
  'CJ_LOGISTICS',
  'HANJIN',
  'LOTTE',
  'LOGEN',
  'EPOST',
  'CU_POST',
  'GS_POSTBOX',
  'KYUNGDONG',
  'COUPANG',
  'OTHER',
];

type Line = {
  id: string;
  productName: string;
  status: OrderStatus;
  carrier: Carrier | null;
  trackingNumber: string | null;
  trackingUrl: string | null;
  shippedAt: string | null;
  deliveredAt: string | null;
};

/** What was shipped: carrier, tracking number (a link to the carrier's page when it has one) and dates. */
function Shipment({ line }: { line: Line }) {
  const t = useT();
  const fmt = useFormat();
  if (!line.carrier && !line.trackingNumber) return null;
  return (
    <p className="seller-shipment">
      {line.carrier && <span>{t(`common.carrier_${line.carrier}`)} </span>}
      {line.trackingNumber &&
        (line.trackingUrl ? (
          <a href={line.trackingUrl} target="_blank" rel="noopener noreferrer">
            {line.trackingNumber}
            <span className="visually-hidden"> {t('seller.opensNewWindow')}</span>
          </a>
        ) : (
          <span>{line.trackingNumber}</span>
        ))}
      {line.shippedAt && <span className="muted"> · {t('seller.shippedOn', { date: fmt.date(line.shippedAt) })}</span>}
      {line.deliveredAt && <span className="muted"> · {t('seller.deliveredOn', { date: fmt.date(line.deliveredAt) })}</span>}
    </p>
  );
}

/** The form that ships a PAID line: carrier and tracking number. */
function ShipForm({ line, onDone }: { line: Line; onDone: () => void }) {
  const t = useT();
  const uid = useId();
  const form = useRef<HTMLFormElement>(null);
  const [carrier, setCarrier] = useState<Carrier>('CJ_LOGISTICS');
  const [tracking, setTracking] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [summary, setSummary] = useState<string | null>(null);
  const [advance, { loading }] = useMutation(SellerAdvanceOrderLineDocument);
  const trackingId = `${uid}-tracking`;
  const carrierId = `${uid}-carrier`;

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const cleaned = tracking.replace(/[-\s]/g, '');
    if (!/^[A-Za-z0-9]{6,30}$/.test(cleaned)) {
      setErrors({ [trackingId]: t('seller.errTracking') });
      setSummary(null);
      focusFirstInvalid(form.current);
      return;
    }
    setErrors({});
    try {
      await advance({ variables: { id: line.id, status: 'SHIPPED', carrier, trackingNumber: tracking.trim() } });
      onDone();
    } catch (err) {
      const split = serverErrors(t, err, { trackingNumber: trackingId, carrier: carrierId });
      setErrors(split.fields);
      setSummary(split.summary);
      focusFirstInvalid(form.current);
    }
  };

  return (
    <form ref={form} className="stack seller-ship-form" noValidate aria-label={t('seller.shipFormLabel', { name: line.productName })} onSubmit={(e) => void onSubmit(e)}>
      {summary && (
        <p className="seller-error" role="alert">
          {summary}
        </p>
      )}
      <SelectField id={carrierId} label={t('seller.carrier')} value={carrier} onChange={(v) => setCarrier(v as Carrier)} required error={errors[carrierId]}>
        {CARRIERS.map((c) => (
          <option key={c} value={c}>
            {t(`common.carrier_${c}`)}
          </option>
        ))}
      </SelectField>
      <TextField id={trackingId} label={t('seller.trackingNumber')} value={tracking} onChange={setTracking} required maxLength={40} hint={t('seller.trackingHint')} error={errors[trackingId]} />
      <div className="row">
        <button type="submit" className="btn btn-primary seller-btn-sm" disabled={loading}>
          {t('seller.markShipped')}
        </button>
        <button type="button" className="btn seller-btn-sm" onClick={onDone}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

/** A line's fulfilment: what was shipped, and its next step (ship with tracking, mark delivered). */
export default function LineActions({ line }: { line: Line }) {
  const t = useT();
  const [shipping, setShipping] = useState(false);
  const [advance, { loading, error }] = useMutation(SellerAdvanceOrderLineDocument);
  const shipButton = useRef<HTMLButtonElement>(null);

  const closeShip = () => {
    setShipping(false);
    requestAnimationFrame(() => shipButton.current?.focus());
  };

  return (
    <div className="seller-line-actions stack">
      <Shipment line={line} />
      {line.status === 'PENDING_PAYMENT' && <span className="muted">{t('seller.awaitingPayment')}</span>}
      {line.status === 'PAID' &&
        (shipping ? (
          <ShipForm line={line} onDone={closeShip} />
        ) : (
          <button ref={shipButton} type="button" className="btn btn-primary seller-btn-sm" onClick={() => setShipping(true)} aria-label={t('seller.shipNamed', { name: line.productName })}>
            {t('seller.ship')}
          </button>
        ))}
      {line.status === 'SHIPPED' && (
        <button
          type="button"
          className="btn seller-btn-sm"
          disabled={loading}
          aria-label={t('seller.markDeliveredNamed', { name: line.productName })}
          onClick={() => void advance({ variables: { id: line.id, status: 'DELIVERED' } }).catch(() => undefined)}
        >
          {t('seller.markDelivered')}
        </button>
      )}
      {error && (
        <p className="seller-error" role="alert">
          {serverErrors(t, error, {}).summary}
        </p>
      )}
    </div>
  );
}
