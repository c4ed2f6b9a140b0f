import { useId } from 'react';
import type { AddressInput } from '../../gql/graphql';
import { useT } from '../../i18n';

export const EMPTY_ADDRESS: AddressInput = { recipient: '', phone: '', postalCode: '', roadAddress: '', detailAddress: '' };

/** A Korean delivery address: recipient, phone, 5-digit postal code, road address, detail. */
export default function AddressFields({
  value,
  onChange,
}: {
  value: AddressInput;
  onChange: (next: AddressInput) => void;
}) {
  const t = useT();
  const id = useId();
  const set = (key: keyof AddressInput) => (e: { target: { value: string } }) => onChange({ ...value, [key]: e.target.value });
  return (
    <div className="stack shop-address-fields">
      <div className="shop-field">
        <label htmlFor={`${id}-recipient`}>{t('shop.recipient')}</label>
        <input id={`${id}-recipient`} required maxLength={30} autoComplete="name" value={value.recipient} onChange={set('recipient')} />
      </div>
      <div className="shop-field">
        <label htmlFor={`${id}-phone`}>{t('shop.phone')}</label>
        <input id={`${id}-phone`} required type="tel" autoComplete="tel" placeholder="010-1234-5678"
          aria-describedby={`${id}-phone-help`} value={value.phone} onChange={set('phone')} />
        <p id={`${id}-phone-help`} className="muted">{t('shop.phoneHelp')}</p>
      </div>
      <div className="shop-field">
        <label htmlFor={`${id}-postal`}>{t('shop.postalCode')}</label>
        <input id={`${id}-postal`} required inputMode="numeric" pattern="[0-9]{5}" maxLength={5} autoComplete="postal-code"
          aria-describedby={`${id}-postal-help`} value={value.postalCode} onChange={set('postalCode')} />
        <p id={`${id}-postal-help`} className="muted">{t('shop.postalCodeHelp')}</p>
      </div>
      <div className="shop-field">
        <label htmlFor={`${id}-road`}>{t('shop.roadAddress')}</label>
        <input id={`${id}-road`} required maxLength={200} autoComplete="address-line1" value={value.roadAddress} onChange={set('roadAddress')} />
      </div>
      <div className="shop-field">
        <label htmlFor={`${id}-detail`}>{t('shop.detailAddress')}</label>
        <input id={`${id}-detail`} maxLength={100} autoComplete="address-line2" value={value.detailAddress ?? ''} onChange={set('detailAddress')} />
      </div>
    </div>
  );
}
