import { useT, type TFunction } from '../../i18n';
import { parseWhole, type FieldErrors } from './formErrors';

/** One size/colour row of a new product, as typed. */
export type VariantRow = { key: string; size: string; color: string; stock: string; price: string; sku: string };

let counter = 0;
export function emptyRow(): VariantRow {
  counter += 1;
  return { key: `row-${counter}`, size: '', color: '', stock: '', price: '', sku: '' };
}

/** Checks the rows; errors are keyed by the input ids (`variant-<key>-<field>`). */
export function checkRows(t: TFunction, rows: VariantRow[]): FieldErrors {
  const out: FieldErrors = {};
  const labels = new Set<string>();
  for (const r of rows) {
    const label = [r.size.trim(), r.color.trim()].filter(Boolean).join(' / ').toLowerCase();
    if (!label) out[`variant-${r.key}-size`] = t('seller.errVariantLabel');
    else if (labels.has(label)) out[`variant-${r.key}-size`] = t('seller.errVariantDuplicate');
    labels.add(label);
    if (parseWhole(r.stock) === null) out[`variant-${r.key}-stock`] = t('seller.errWholeNumber');
    if (r.price.trim() !== '') {
      const p = parseWhole(r.price);
      if (p === null || p < 1 || p > 100_000_000) out[`variant-${r.key}-price`] = t('seller.errPrice');
    }
  }
  return out;
}

/** The rows as `ProductVariantInput`s (after `checkRows` passed). */
export function rowsInput(rows: VariantRow[]) {
  return rows.map((r) => ({
    size: r.size.trim() || null,
    color: r.color.trim() || null,
    stock: parseWhole(r.stock) ?? 0,
    price: r.price.trim() === '' ? null : parseWhole(r.price),
    sku: r.sku.trim() || null,
  }));
}

type Props = { rows: VariantRow[]; onChange: (rows: VariantRow[]) => void; errors: FieldErrors };

/** Sizes × colours of a new product, each with its stock and optional price and SKU. */
export default function VariantRows({ rows, onChange, errors }: Props) {
  const t = useT();
  const set = (key: string, field: keyof VariantRow, value: string) =>
    onChange(rows.map((r) => (r.key === key ? { ...r, [field]: value } : r)));

  const cell = (r: VariantRow, field: 'size' | 'color' | 'stock' | 'price' | 'sku', n: number, numeric = false) => {
    const id = `variant-${r.key}-${field}`;
    const error = errors[id];
    return (
      <td>
        <label htmlFor={id} className="visually-hidden">
          {t(`seller.variant_${field}`)} {t('seller.rowN', { n })}
        </label>
        <input
          id={id}
          type={numeric ? 'number' : 'text'}
          inputMode={numeric ? 'numeric' : undefined}
          min={numeric ? 0 : undefined}
          value={r[field]}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={(e) => set(r.key, field, e.target.value)}
        />
        {error && (
          <span className="seller-field-error" id={`${id}-error`}>
            {error}
          </span>
        )}
      </td>
    );
  };

  return (
    <div className="stack">
      <div className="seller-table-wrap">
        <table className="seller-table seller-variant-table">
          <caption className="visually-hidden">{t('seller.variantsCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('seller.variant_size')}</th>
              <th scope="col">{t('seller.variant_color')}</th>
              <th scope="col">{t('seller.variant_stock')}</th>
              <th scope="col">{t('seller.variant_price')}</th>
              <th scope="col">{t('seller.variant_sku')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('seller.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={r.key}>
                {cell(r, 'size', i + 1)}
                {cell(r, 'color', i + 1)}
                {cell(r, 'stock', i + 1, true)}
                {cell(r, 'price', i + 1, true)}
                {cell(r, 'sku', i + 1)}
                <td>
                  <button
                    type="button"
                    className="btn seller-btn-sm"
                    disabled={rows.length <= 1}
                    onClick={() => onChange(rows.filter((x) => x.key !== r.key))}
                    aria-label={t('seller.removeRow', { n: i + 1 })}
                  >
                    {t('seller.remove')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted">{t('seller.variantPriceHint')}</p>
      <div className="row">
        <button type="button" className="btn" onClick={() => onChange([...rows, emptyRow()])}>
          {t('seller.addRow')}
        </button>
      </div>
    </div>
  );
}
