import { useMutation } from '@apollo/client';
import { useEffect, useRef } from 'react';
import { ShopPayOrderDocument } from '../../gql/graphql';
import { useFormat, useT } from '../../i18n';
import { describeError, errorCode } from '../../errors';

/**
 * Starts paying an order waiting for payment (`payOrder`) and says what came
 * of it. Without a payment provider on the server (the offline default) the
 * answer is PAYMENT_PROVIDER: the order stays waiting for payment. With one,
 * the payment waits for the card to be confirmed with the provider.
 */
export default function PayOrder({
  orderId,
  total,
  auto = false,
}: {
  orderId: string;
  total: number;
  auto?: boolean;
}) {
  const t = useT();
  const format = useFormat();
  const [pay, { data, loading, error, called }] = useMutation(ShopPayOrderDocument, {
    update(cache, { data: d }) {
      if (!d) return;
      cache.modify({
        id: cache.identify({ __typename: 'Order', id: orderId }),
        fields: { payment: () => d.payOrder.payment },
      });
    },
  });
  const started = useRef(false);
  useEffect(() => {
    if (auto && !started.current) {
      started.current = true;
      void pay({ variables: { orderId } }).catch(() => undefined);
    }
  }, [auto, orderId, pay]);

  const payment = data?.payOrder.payment;
  const offline = errorCode(error) === 'PAYMENT_PROVIDER';
  return (
    <div className="shop-pay stack">
      <div aria-live="polite">
        {loading && <p role="status">{t('shop.paymentStarting')}</p>}
        {payment && (
          <p className={payment.status === 'SUCCEEDED' ? 'shop-success' : 'shop-warning'}>
            {t('shop.paymentStatusLine', {
              status: t(`shop.payment_${payment.status}`),
              amount: format.price(payment.amount),
            })}
            {payment.status === 'REQUIRES_PAYMENT' && <> {t('shop.paymentNeedsConfirmation')}</>}
            {payment.failureMessage && <> {payment.failureMessage}</>}
          </p>
        )}
      </div>
      {error && (
        <p role="alert" className={offline ? 'shop-warning' : 'shop-inline-error'}>
          {offline ? t('shop.paymentOffline') : describeError(t, error, 'shop')}
        </p>
      )}
      {(!called || (error && !offline)) && !loading && (
        <button type="button" className="btn btn-primary" onClick={() => void pay({ variables: { orderId } }).catch(() => undefined)}>
          {called ? t('shop.payAgain') : t('shop.payNow', { amount: format.price(total) })}
        </button>
      )}
    </div>
  );
}
