import { useMutation } from '@apollo/client';
import { useRef, useState, type FormEvent } from 'react';
import { SellerApplyForStoreDocument, SellerMyStoreDocument } from '../../gql/graphql';
import { useT } from '../../i18n';
import { TextAreaField, TextField } from './Field';
import { focusFirstInvalid, serverErrors, type FieldErrors } from './formErrors';

type Initial = { name: string; licenseNumber: string; description: string };

/** The store application (`applyForStore`); also a re-application after a rejection. */
export default function StoreApplication({ initial }: { initial?: Initial }) {
  const t = useT();
  const form = useRef<HTMLFormElement>(null);
  const [name, setName] = useState(initial?.name ?? '');
  const [licenseNumber, setLicenseNumber] = useState(initial?.licenseNumber ?? '');
  const [description, setDescription] = useState(initial?.description ?? '');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [summary, setSummary] = useState<string | null>(null);
  const [apply, { loading }] = useMutation(SellerApplyForStoreDocument, {
    update(cache, { data }) {
      if (data) cache.writeQuery({ query: SellerMyStoreDocument, data: { myStore: data.applyForStore } });
    },
  });

  const check = (): FieldErrors => {
    const out: FieldErrors = {};
    const n = name.trim();
    if (n.length < 2 || n.length > 80) out['store-name'] = t('seller.errStoreName');
    const license = licenseNumber.replace(/[-\s]/g, '');
    if (!/^[A-Za-z0-9]{5,32}$/.test(license)) out['store-license'] = t('seller.errLicense');
    if (description.length > 2000) out['store-description'] = t('seller.errDescriptionLength', { max: 2000 });
    return out;
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const found = check();
    setErrors(found);
    if (Object.keys(found).length) {
      setSummary(t('seller.fixErrors', { count: Object.keys(found).length }));
      focusFirstInvalid(form.current);
      return;
    }
    setSummary(null);
    try {
      await apply({ variables: { input: { name: name.trim(), licenseNumber: licenseNumber.trim(), description } } });
    } catch (err) {
      const split = serverErrors(t, err, {
        name: 'store-name',
        licenseNumber: 'store-license',
        description: 'store-description',
      });
      setErrors(split.fields);
      setSummary(split.summary);
      focusFirstInvalid(form.current);
    }
  };

  return (
    <form ref={form} className="stack seller-form" noValidate onSubmit={(e) => void onSubmit(e)} aria-busy={loading}>
      {summary && (
        <p className="seller-error" role="alert">
          {summary}
        </p>
      )}
      <TextField id="store-name" label={t('seller.storeName')} value={name} onChange={setName} required maxLength={80} error={errors['store-name']} hint={t('seller.storeNameHint')} />
      <TextField
        id="store-license"
        label={t('seller.licenseNumber')}
        value={licenseNumber}
        onChange={setLicenseNumber}
        required
        maxLength={40}
        error={errors['store-license']}
        hint={t('seller.licenseHint')}
      />
      <TextAreaField id="store-description" label={t('seller.storeDescription')} value={description} onChange={setDescription} maxLength={2000} error={errors['store-description']} />
      <div className="row">
        <button type="submit" className="btn btn-primary" disabled={loading}>
          {loading ? t('seller.applying') : t('seller.applySubmit')}
        </button>
      </div>
    </form>
  );
}
