import { useRef, useState, type FormEvent } from 'react';
import type { ProductGender, Season } from '../../gql/graphql';
import { useLocale, useT } from '../../i18n';
import { COLORS, GENDERS, MAX_PRICE, MAX_STOCK, SEASONS } from './catalog';
import { SelectField, TextAreaField, TextField } from './Field';
import { focusFirstInvalid, parseWhole, type FieldErrors } from './formErrors';
import PhotoPicker, { type Photo } from './PhotoPicker';
import VariantRows, { checkRows, emptyRow, type VariantRow } from './VariantRows';

export type Category = { id: string; name: string; nameKo: string; children: { id: string; name: string; nameKo: string }[] };

/** What the form holds; `stock` and `variants` only for a new product. */
export type ProductValues = {
  name: string;
  description: string;
  price: string;
  categoryId: string;
  gender: ProductGender;
  colors: string[];
  seasons: Season[];
  photos: Photo[];
  stock: string;
  hasVariants: boolean;
  variants: VariantRow[];
};

export function emptyValues(): ProductValues {
  return {
    name: '',
    description: '',
    price: '',
    categoryId: '',
    gender: 'UNISEX',
    colors: [],
    seasons: [],
    photos: [],
    stock: '',
    hasVariants: false,
    variants: [emptyRow()],
  };
}

type Props = {
  creating: boolean;
  initial: ProductValues;
  categories: Category[];
  saving: boolean;
  /** Errors the server reported, by input id, and its summary. */
  serverFieldErrors: FieldErrors;
  serverSummary: string | null;
  onSubmit: (values: ProductValues) => Promise<boolean>;
};

/** Name, description, price, category, attributes, photos and (new products) stock or variants. */
export default function ProductForm({ creating, initial, categories, saving, serverFieldErrors, serverSummary, onSubmit }: Props) {
  const t = useT();
  const locale = useLocale();
  const form = useRef<HTMLFormElement>(null);
  const [v, setV] = useState<ProductValues>(initial);
  const [clientErrors, setClientErrors] = useState<FieldErrors>({});
  const [clientSummary, setClientSummary] = useState<string | null>(null);
  const errors = { ...serverFieldErrors, ...clientErrors };
  const summary = clientSummary ?? serverSummary;
  const set = <K extends keyof ProductValues>(key: K, value: ProductValues[K]) => setV((prev) => ({ ...prev, [key]: value }));
  const toggle = <T extends string>(list: T[], item: T): T[] => (list.includes(item) ? list.filter((x) => x !== item) : [...list, item]);
  const catName = (c: { name: string; nameKo: string }) => (locale === 'ko' ? c.nameKo : c.name);

  const check = (): FieldErrors => {
    const out: FieldErrors = {};
    const name = v.name.trim();
    if (!name) out['product-name'] = t('seller.errRequired');
    else if (name.length > 120) out['product-name'] = t('seller.errTooLong', { max: 120 });
    if (v.description.length > 5000) out['product-description'] = t('seller.errTooLong', { max: 5000 });
    const price = parseWhole(v.price);
    if (price === null || price < 1 || price > MAX_PRICE) out['product-price'] = t('seller.errPrice');
    if (!v.categoryId) out['product-category'] = t('seller.errCategory');
    if (creating && !v.hasVariants) {
      const stock = parseWhole(v.stock);
      if (stock === null || stock > MAX_STOCK) out['product-stock'] = t('seller.errStock', { max: MAX_STOCK });
    }
    if (creating && v.hasVariants) Object.assign(out, checkRows(t, v.variants));
    return out;
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found = check();
    setClientErrors(found);
    if (Object.keys(found).length) {
      setClientSummary(t('seller.fixErrors', { count: Object.keys(found).length }));
      focusFirstInvalid(form.current);
      return;
    }
    setClientSummary(null);
    const ok = await onSubmit(v);
    if (!ok) focusFirstInvalid(form.current);
  };

  return (
    <form ref={form} className="stack seller-form" noValidate onSubmit={(e) => void submit(e)} aria-busy={saving} aria-labelledby="product-form-heading">
      <h2 id="product-form-heading">{t('seller.detailsTitle')}</h2>
      {summary && (
        <p className="seller-error" role="alert" id="product-form-summary">
          {summary}
        </p>
      )}
      <TextField id="product-name" label={t('seller.nameLabel')} value={v.name} onChange={(x) => set('name', x)} required maxLength={120} error={errors['product-name']} />
      <TextAreaField id="product-description" label={t('seller.description')} value={v.description} onChange={(x) => set('description', x)} rows={6} maxLength={5000} error={errors['product-description']} />
      <div className="seller-form-row">
        <TextField id="product-price" label={t('seller.priceKrw')} type="number" inputMode="numeric" min={1} max={MAX_PRICE} value={v.price} onChange={(x) => set('price', x)} required error={errors['product-price']} />
        <SelectField id="product-category" label={t('seller.category')} value={v.categoryId} onChange={(x) => set('categoryId', x)} required error={errors['product-category']}>
          <option value="">{t('seller.chooseCategory')}</option>
          {categories.map((c) => [
            <option key={c.id} value={c.id}>
              {catName(c)}
            </option>,
            ...c.children.map((ch) => (
              <option key={ch.id} value={ch.id}>
                {`${catName(c)} › ${catName(ch)}`}
              </option>
            )),
          ])}
        </SelectField>
        <SelectField id="product-gender" label={t('seller.gender')} value={v.gender} onChange={(x) => set('gender', x as ProductGender)} error={errors['product-gender']}>
          {GENDERS.map((g) => (
            <option key={g} value={g}>
              {t(`seller.gender_${g}`)}
            </option>
          ))}
        </SelectField>
      </div>

      <fieldset className="seller-checks" aria-describedby={errors['product-colors'] ? 'product-colors-error' : undefined}>
        <legend>{t('seller.colors')}</legend>
        {COLORS.map((c) => (
          <label key={c} className="seller-check">
            <input type="checkbox" checked={v.colors.includes(c)} onChange={() => set('colors', toggle(v.colors, c))} />
            {t(`common.color_${c}`)}
          </label>
        ))}
        {errors['product-colors'] && (
          <span className="seller-field-error" id="product-colors-error">
            {errors['product-colors']}
          </span>
        )}
      </fieldset>
      <fieldset className="seller-checks">
        <legend>{t('seller.seasons')}</legend>
        {SEASONS.map((s) => (
          <label key={s} className="seller-check">
            <input type="checkbox" checked={v.seasons.includes(s)} onChange={() => set('seasons', toggle(v.seasons, s))} />
            {t(`seller.season_${s}`)}
          </label>
        ))}
      </fieldset>

      {creating && (
        <fieldset className="stack seller-stock">
          <legend>{t('seller.stockTitle')}</legend>
          <label className="seller-check">
            <input type="checkbox" checked={v.hasVariants} onChange={(e) => set('hasVariants', e.target.checked)} />
            {t('seller.hasVariants')}
          </label>
          {v.hasVariants ? (
            <VariantRows rows={v.variants} onChange={(rows) => set('variants', rows)} errors={errors} />
          ) : (
            <TextField id="product-stock" label={t('seller.stock')} type="number" inputMode="numeric" min={0} max={MAX_STOCK} value={v.stock} onChange={(x) => set('stock', x)} required error={errors['product-stock']} />
          )}
          {errors['product-variants'] && (
            <p className="seller-field-error" id="product-variants-error">
              {errors['product-variants']}
            </p>
          )}
        </fieldset>
      )}

      <PhotoPicker photos={v.photos} onChange={(p) => set('photos', p)} error={errors['product-images']} />

      <div className="row">
        <button type="submit" className="btn btn-primary" disabled={saving}>
          {saving ? t('seller.saving') : creating ? t('seller.createProduct') : t('seller.saveProduct')}
        </button>
      </div>
    </form>
  );
}
