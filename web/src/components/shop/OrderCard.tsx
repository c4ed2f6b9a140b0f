import { useMutation } from '@apollo/client';
import { Link } from 'react-router-dom';
import { ShopCancelOrderDocument, type ShopMyOrdersQuery } from '../../gql/graphql';
import { useFormat, useT } from '../../i18n';
import { describeError } from '../../errors';
import PayOrder from './PayOrder';
import Totals from './Totals';

export type OrderData = ShopMyOrdersQuery['myOrders']['edges'][number]['node'];

/** An order: status, lines with their status and tracking, totals, payment; pay or cancel when it may. */
export default function OrderCard({
  order,
  headingLevel = 2,
  autoPay = false,
}: {
  order: OrderData;
  headingLevel?: 2 | 3;
  autoPay?: boolean;
}) {
  const t = useT();
  const format = useFormat();
  const [cancel, cancelling] = useMutation(ShopCancelOrderDocument);
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  const cancellable =
    order.status !== 'CANCELLED' && order.lines.every((l) => l.status === 'PENDING_PAYMENT' || l.status === 'PAID');
  const payable = order.status === 'PENDING_PAYMENT' && (!order.payment || order.payment.status === 'REQUIRES_PAYMENT' || order.payment.status === 'FAILED');

  const doCancel = () => {
    if (!window.confirm(t('shop.confirmCancelOrder'))) return;
    void cancel({ variables: { id: order.id } }).catch(() => undefined);
  };

  return (
    <article className="card shop-order" aria-labelledby={`order-${order.id}-h`}>
      <header className="shop-order-head">
        <Heading id={`order-${order.id}-h`}>
          {t('shop.orderOf', { date: format.date(order.createdAt) })}
        </Heading>
        <span className={`badge shop-status shop-status-${order.status.toLowerCase()}`}>
          {t(`shop.status_${order.status}`)}
        </span>
      </header>
      <ul className="shop-order-lines">
        {order.lines.map((line) => (
          <li key={line.id} className="shop-order-line">
            <span className="shop-order-line-name">
              {line.product ? (
                <Link to={`/products/${encodeURIComponent(line.product.id)}`}>{line.productName}</Link>
              ) : (
                line.productName
              )}
              {line.option && <span className="muted"> · {line.option}</span>}
            </span>
            <span>{t('shop.qtyTimesPrice', { count: line.quantity, price: format.price(line.unitPrice) })}</span>
            <span>{format.price(line.lineTotal)}</span>
            <span className="badge">{t(`shop.status_${line.status}`)}</span>
            {line.trackingNumber && (
              <span className="shop-tracking">
                {line.carrier ? t(`common.carrier_${line.carrier}`) : ''} {line.trackingNumber}{' '}
                {line.trackingUrl && (
                  <a href={line.trackingUrl} target="_blank" rel="noreferrer noopener">
                    {t('shop.trackParcel')}
                  </a>
                )}
              </span>
            )}
          </li>
        ))}
      </ul>
      <Totals
        subtotal={order.subtotalAmount}
        discount={order.discountAmount}
        shippingFee={order.shippingFee}
        total={order.totalAmount}
        couponCode={order.coupon?.code}
      />
      <p className="muted shop-order-address">
        {t('shop.shipTo', { recipient: order.recipient, address: order.address })}
      </p>
      {order.payment && (
        <p>
          {t('shop.paymentStatusLine', {
            status: t(`shop.payment_${order.payment.status}`),
            amount: format.price(order.payment.amount),
          })}
          {order.payment.refundedAmount > 0 && <> {t('shop.refunded', { amount: format.price(order.payment.refundedAmount) })}</>}
        </p>
      )}
      <div className="row shop-order-actions">
        {payable && <PayOrder orderId={order.id} total={order.totalAmount} auto={autoPay} />}
        {cancellable && (
          <button type="button" className="btn shop-danger" disabled={cancelling.loading} onClick={doCancel}>
            {t('shop.cancelOrder')}
          </button>
        )}
      </div>
      {cancelling.error && <p role="alert" className="shop-inline-error">{describeError(t, cancelling.error, 'shop')}</p>}
    </article>
  );
}
