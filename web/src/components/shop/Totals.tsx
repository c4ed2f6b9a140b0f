import { useFormat, useT } from '../../i18n';

/** Subtotal, coupon discount, shipping and the total, as a description list. */
export default function Totals({
  subtotal,
  discount,
  shippingFee,
  total,
  couponCode,
  testId,
}: {
  subtotal: number;
  discount: number;
  shippingFee: number;
  total: number;
  couponCode?: string | null;
  testId?: string;
}) {
  const t = useT();
  const format = useFormat();
  return (
    <dl className="shop-totals" data-testid={testId}>
      <div>
        <dt>{t('shop.subtotal')}</dt>
        <dd>{format.price(subtotal)}</dd>
      </div>
      {(discount > 0 || couponCode) && (
        <div>
          <dt>{couponCode ? t('shop.discountWithCode', { code: couponCode }) : t('shop.discount')}</dt>
          <dd>−{format.price(discount)}</dd>
        </div>
      )}
      <div>
        <dt>{t('shop.shipping')}</dt>
        <dd>{shippingFee === 0 ? t('shop.freeShipping') : format.price(shippingFee)}</dd>
      </div>
      <div className="shop-total-row">
        <dt>{t('shop.total')}</dt>
        <dd>{format.price(total)}</dd>
      </div>
    </dl>
  );
}
