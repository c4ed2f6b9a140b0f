import { useMutation } from '@apollo/client';
import { useState, type FormEvent } from 'react';
import { SellerAddVariantDocument, SellerRemoveVariantDocument, SellerUpdateVariantDocument } from '../../gql/graphql';
import { useFormat, useT } from '../../i18n';
import { describeError } from '../../errors';
import { TextField } from './Field';
import { parseWhole } from './formErrors';

export type Variant = {
  id: string;
  sku: string;
  size: string | null;
  color: string | null;
  label: string | null;
  stock: number;
  priceOverride: number | null;
  price: number;
};

/** One variant's SKU, stock and price override, saved with `updateProductVariant`, or removed. */
function VariantRow({ v, canRemove }: { v: Variant; canRemove: boolean }) {
  const t = useT();
  const fmt = useFormat();
  const [sku, setSku] = useState(v.sku);
  const [stock, setStock] = useState(String(v.stock));
  const [price, setPrice] = useState(v.priceOverride == null ? '' : String(v.priceOverride));
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState('');
  const [update, updating] = useMutation(SellerUpdateVariantDocument);
  const [remove, removing] = useMutation(SellerRemoveVariantDocument);
  const name = v.label ?? t('seller.defaultVariant');
  const base = `variant-${v.id}`;

  const save = async () => {
    setDone('');
    const stockValue = parseWhole(stock);
    const priceValue = price.trim() === '' ? null : parseWhole(price);
    if (stockValue === null) return setProblem(t('seller.errWholeNumberNamed', { field: t('seller.variant_stock') }));
    if (price.trim() !== '' && (priceValue === null || priceValue < 1)) return setProblem(t('seller.errPrice'));
    setProblem(null);
    try {
      await update({
        variables: {
          input: {
            id: v.id,
            sku: sku.trim() !== v.sku ? sku.trim() : undefined,
            stock: stockValue !== v.stock ? stockValue : undefined,
            price: priceValue ?? undefined,
            clearPrice: priceValue === null && v.priceOverride != null,
          },
        },
      });
      setDone(t('seller.variantSaved', { name }));
    } catch (err) {
      setProblem(describeError(t, err, 'seller'));
    }
  };

  const onRemove = async () => {
    if (!window.confirm(t('seller.confirmRemoveVariant', { name }))) return;
    try {
      await remove({
        variables: { input: { id: v.id } },
        update(cache, { data }) {
          if (data) cache.evict({ id: cache.identify({ __typename: 'ProductVariant', id: data.removeProductVariant.removedId }) });
        },
      });
    } catch (err) {
      setProblem(describeError(t, err, 'seller'));
    }
  };

  const errId = `${base}-error`;
  return (
    <tr>
      <th scope="row">{name}</th>
      {(
        [
          ['sku', sku, setSku, false],
          ['stock', stock, setStock, true],
          ['price', price, setPrice, true],
        ] as const
      ).map(([field, value, setter, numeric]) => (
        <td key={field}>
          <label className="visually-hidden" htmlFor={`${base}-${field}`}>
            {t(`seller.variant_${field}`)} ({name})
          </label>
          <input
            id={`${base}-${field}`}
            type={numeric ? 'number' : 'text'}
            inputMode={numeric ? 'numeric' : undefined}
            min={numeric ? 0 : undefined}
            placeholder={field === 'price' ? fmt.price(v.price) : undefined}
            value={value}
            aria-invalid={problem ? true : undefined}
            aria-describedby={problem ? errId : undefined}
            onChange={(e) => setter(e.target.value)}
          />
        </td>
      ))}
      <td>
        <div className="row seller-actions">
          <button type="button" className="btn seller-btn-sm" disabled={updating.loading} onClick={() => void save()} aria-label={t('seller.saveNamed', { name })}>
            {t('common.save')}
          </button>
          {canRemove && (
            <button type="button" className="btn seller-btn-sm" disabled={removing.loading} onClick={() => void onRemove()} aria-label={t('seller.removeNamed', { name })}>
              {t('seller.remove')}
            </button>
          )}
        </div>
        {problem && (
          <span className="seller-field-error" id={errId} role="alert">
            {problem}
          </span>
        )}
        <span role="status" className="visually-hidden">
          {done}
        </span>
      </td>
    </tr>
  );
}

/** Adds a size/colour (`addProductVariant`). */
function AddVariant({ productId }: { productId: string }) {
  const t = useT();
  const [size, setSize] = useState('');
  const [color, setColor] = useState('');
  const [stock, setStock] = useState('');
  const [price, setPrice] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [add, { loading }] = useMutation(SellerAddVariantDocument);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!size.trim() && !color.trim()) found['add-variant-size'] = t('seller.errVariantLabel');
    const stockValue = parseWhole(stock);
    if (stockValue === null) found['add-variant-stock'] = t('seller.errWholeNumber');
    const priceValue = price.trim() === '' ? null : parseWhole(price);
    if (price.trim() !== '' && (priceValue === null || priceValue < 1)) found['add-variant-price'] = t('seller.errPrice');
    setErrors(found);
    setProblem(null);
    if (Object.keys(found).length || stockValue === null) return;
    try {
      await add({
        variables: {
          input: { productId, variant: { size: size.trim() || null, color: color.trim() || null, stock: stockValue, price: priceValue } },
        },
      });
      setSize('');
      setColor('');
      setStock('');
      setPrice('');
    } catch (err) {
      setProblem(describeError(t, err, 'seller'));
    }
  };

  return (
    <form className="stack seller-form" noValidate onSubmit={(e) => void onSubmit(e)} aria-labelledby="add-variant-heading">
      <h3 id="add-variant-heading">{t('seller.addVariantTitle')}</h3>
      {problem && (
        <p className="seller-error" role="alert">
          {problem}
        </p>
      )}
      <div className="seller-form-row">
        <TextField id="add-variant-size" label={t('seller.variant_size')} value={size} onChange={setSize} error={errors['add-variant-size']} />
        <TextField id="add-variant-color" label={t('seller.variant_color')} value={color} onChange={setColor} />
        <TextField id="add-variant-stock" label={t('seller.variant_stock')} type="number" inputMode="numeric" min={0} value={stock} onChange={setStock} required error={errors['add-variant-stock']} />
        <TextField id="add-variant-price" label={t('seller.variant_price')} type="number" inputMode="numeric" min={1} value={price} onChange={setPrice} error={errors['add-variant-price']} />
      </div>
      <div className="row">
        <button type="submit" className="btn" disabled={loading}>
          {t('seller.addVariant')}
        </button>
      </div>
    </form>
  );
}

/** The variants of an existing product: each one's SKU, stock and price; add and remove. */
export default function VariantsManager({ productId, variants }: { productId: string; variants: Variant[] }) {
  const t = useT();
  return (
    <section aria-labelledby="variants-heading" className="card stack">
      <h2 id="variants-heading">{t('seller.variantsTitle')}</h2>
      <p className="muted">{t('seller.variantsIntro')}</p>
      <div className="seller-table-wrap">
        <table className="seller-table seller-variant-table">
          <caption className="visually-hidden">{t('seller.variantsCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('seller.variantLabel')}</th>
              <th scope="col">{t('seller.variant_sku')}</th>
              <th scope="col">{t('seller.variant_stock')}</th>
              <th scope="col">{t('seller.variant_price')}</th>
              <th scope="col">{t('seller.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {variants.map((v) => (
              <VariantRow key={v.id} v={v} canRemove={variants.length > 1} />
            ))}
          </tbody>
        </table>
      </div>
      <AddVariant productId={productId} />
    </section>
  );
}
