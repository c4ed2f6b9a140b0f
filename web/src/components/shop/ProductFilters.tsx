import { useQuery } from '@apollo/client';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { ShopCategoriesDocument } from '../../gql/graphql';
import { useLocale, useT } from '../../i18n';
import { COLORS, GENDERS, SEASONS, SIZES, THEMES, activeFilterCount, type FilterState } from './filters';

/**
 * The catalogue's filters. Choices in a list apply at once; typed values
 * (name, prices, size) apply with "Apply" or Enter. "Reset" clears them all.
 */
export default function ProductFilters({
  value,
  onChange,
}: {
  value: FilterState;
  onChange: (next: FilterState) => void;
}) {
  const t = useT();
  const locale = useLocale();
  const id = useId();
  const [draft, setDraft] = useState(value);
  // The address changed (back/forward, a link): show what it says.
  useEffect(() => setDraft(value), [value]);
  const categories = useQuery(ShopCategoriesDocument, { fetchPolicy: 'cache-first' });

  const set = (key: keyof FilterState, v: string, applyNow = false) => {
    const next = { ...draft, [key]: v };
    setDraft(next);
    if (applyNow) onChange(next);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onChange(draft);
  };
  const reset = () => {
    const cleared: FilterState = {
      q: '', category: '', min: '', max: '', gender: '', season: '', color: '', size: '', theme: '',
      sort: draft.sort,
    };
    setDraft(cleared);
    onChange(cleared);
  };
  const catName = (c: { name: string; nameKo: string }) => (locale === 'ko' ? c.nameKo : c.name);
  const count = activeFilterCount(value);

  return (
    <form className="shop-filters" role="search" aria-label={t('shop.filtersLabel')} onSubmit={submit}>
      <h2 className="shop-filters-title">
        {t('shop.filters')}
        {count > 0 && <span className="badge">{t('shop.activeFilters', { count })}</span>}
      </h2>
      <div className="shop-field">
        <label htmlFor={`${id}-q`}>{t('shop.filterName')}</label>
        <input id={`${id}-q`} type="search" value={draft.q} onChange={(e) => set('q', e.target.value)} />
      </div>
      <div className="shop-field">
        <label htmlFor={`${id}-category`}>{t('shop.filterCategory')}</label>
        <select id={`${id}-category`} value={draft.category} onChange={(e) => set('category', e.target.value, true)}>
          <option value="">{t('shop.any')}</option>
          {(categories.data?.categories ?? []).map((top) => (
            <optgroup key={top.id} label={catName(top)}>
              <option value={top.id}>{t('shop.allOf', { name: catName(top) })}</option>
              {top.children.map((c) => (
                <option key={c.id} value={c.id}>
                  {catName(c)}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </div>
      <fieldset className="shop-field shop-price-range">
        <legend>{t('shop.filterPrice')}</legend>
        <label htmlFor={`${id}-min`}>{t('shop.minPrice')}</label>
        <input id={`${id}-min`} type="number" inputMode="numeric" min={0} step={1000} value={draft.min}
          onChange={(e) => set('min', e.target.value)} />
        <label htmlFor={`${id}-max`}>{t('shop.maxPrice')}</label>
        <input id={`${id}-max`} type="number" inputMode="numeric" min={0} step={1000} value={draft.max}
          onChange={(e) => set('max', e.target.value)} />
      </fieldset>
      <div className="shop-field">
        <label htmlFor={`${id}-gender`}>{t('shop.filterGender')}</label>
        <select id={`${id}-gender`} value={draft.gender} onChange={(e) => set('gender', e.target.value, true)}>
          <option value="">{t('shop.any')}</option>
          {GENDERS.map((g) => <option key={g} value={g}>{t(`shop.gender_${g}`)}</option>)}
        </select>
      </div>
      <div className="shop-field">
        <label htmlFor={`${id}-season`}>{t('shop.filterSeason')}</label>
        <select id={`${id}-season`} value={draft.season} onChange={(e) => set('season', e.target.value, true)}>
          <option value="">{t('shop.any')}</option>
          {SEASONS.map((s) => <option key={s} value={s}>{t(`shop.season_${s}`)}</option>)}
        </select>
      </div>
      <div className="shop-field">
        <label htmlFor={`${id}-color`}>{t('shop.filterColor')}</label>
        <select id={`${id}-color`} value={draft.color} onChange={(e) => set('color', e.target.value, true)}>
          <option value="">{t('shop.any')}</option>
          {COLORS.map((c) => <option key={c} value={c}>{t(`common.color_${c}`)}</option>)}
        </select>
      </div>
      <div className="shop-field">
        <label htmlFor={`${id}-theme`}>{t('shop.filterTheme')}</label>
        <select id={`${id}-theme`} value={draft.theme} onChange={(e) => set('theme', e.target.value, true)}>
          <option value="">{t('shop.any')}</option>
          {THEMES.map((th) => <option key={th} value={th}>{t(`shop.theme_${th}`)}</option>)}
        </select>
      </div>
      <div className="shop-field">
        <label htmlFor={`${id}-size`}>{t('shop.filterSize')}</label>
        <input id={`${id}-size`} list={`${id}-sizes`} value={draft.size} autoComplete="off"
          onChange={(e) => set('size', e.target.value)} />
        <datalist id={`${id}-sizes`}>
          {SIZES.map((s) => <option key={s} value={s} />)}
        </datalist>
      </div>
      <div className="row shop-filter-buttons">
        <button type="submit" className="btn btn-primary">{t('shop.applyFilters')}</button>
        <button type="button" className="btn" onClick={reset}>{t('shop.resetFilters')}</button>
      </div>
    </form>
  );
}
