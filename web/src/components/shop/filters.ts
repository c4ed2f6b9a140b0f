import type { ColorTheme, ProductFilterInput, ProductGender, ProductSort, Season } from '../../gql/graphql';

export const SORTS: readonly ProductSort[] = ['NEWEST', 'POPULAR', 'RATING', 'PRICE_ASC', 'PRICE_DESC'];
export const GENDERS: readonly ProductGender[] = ['MALE', 'FEMALE', 'UNISEX'];
export const SEASONS: readonly Season[] = ['SPRING_FALL', 'SUMMER', 'WINTER'];
export const THEMES: readonly ColorTheme[] = ['WARM', 'COOL', 'PASTEL', 'EARTH', 'NEUTRAL', 'MONOCHROME'];
/** The catalogue's colours, as stored (src/domain/commerce/catalog). */
export const COLORS = [
  'Black', 'White', 'Gray', 'Red', 'Orange', 'Pink', 'Yellow', 'Beige', 'Brown', 'Green', 'Khaki',
  'Mint', 'Blue', 'Navy', 'SkyBlue', 'Purple', 'Lavender', 'Wine', 'Neon', 'Gold', 'Silver', 'Mixed',
] as const;
export const SIZES = ['XS', 'S', 'M', 'L', 'XL', 'XXL', 'FREE'] as const;

/** What the list's address says (`?q=…&category=…&sort=…`); the address is the state. */
export type FilterState = {
  q: string;
  category: string;
  min: string;
  max: string;
  gender: string;
  season: string;
  color: string;
  size: string;
  theme: string;
  sort: ProductSort;
};

export const FILTER_KEYS = ['q', 'category', 'min', 'max', 'gender', 'season', 'color', 'size', 'theme'] as const;

function pick<T extends string>(value: string | null, allowed: readonly T[]): T | '' {
  return value && (allowed as readonly string[]).includes(value) ? (value as T) : '';
}

export function readFilters(params: URLSearchParams): FilterState {
  return {
    q: params.get('q') ?? '',
    category: params.get('category') ?? '',
    min: params.get('min') ?? '',
    max: params.get('max') ?? '',
    gender: pick(params.get('gender'), GENDERS),
    season: pick(params.get('season'), SEASONS),
    color: pick(params.get('color'), COLORS),
    size: params.get('size') ?? '',
    theme: pick(params.get('theme'), THEMES),
    sort: pick(params.get('sort'), SORTS) || 'NEWEST',
  };
}

export function writeFilters(state: FilterState): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = state[key].trim();
    if (value) params.set(key, value);
  }
  if (state.sort !== 'NEWEST') params.set('sort', state.sort);
  return params;
}

function won(value: string): number | undefined {
  if (!value.trim()) return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
}

/** The `products` filter for the address's state (empty fields left out). */
export function toFilterInput(state: FilterState): ProductFilterInput {
  const filter: ProductFilterInput = {};
  if (state.q.trim()) filter.search = state.q.trim();
  if (state.category) filter.categoryId = state.category;
  const min = won(state.min);
  const max = won(state.max);
  if (min !== undefined) filter.minPrice = min;
  if (max !== undefined) filter.maxPrice = max;
  if (state.gender) filter.gender = state.gender as ProductGender;
  if (state.season) filter.season = state.season as Season;
  if (state.color) filter.colors = [state.color];
  if (state.size.trim()) filter.inStockSize = state.size.trim();
  if (state.theme) filter.theme = state.theme as ColorTheme;
  return filter;
}

export function activeFilterCount(state: FilterState): number {
  return FILTER_KEYS.filter((k) => state[k].trim() !== '').length;
}
