import type { TFunction } from '../../i18n';
import type { DesignStyle, RoomType, GenerationStatus, FeedReason, ColorTheme } from '../../gql/graphql';

export const STYLES: DesignStyle[] = [
  'MODERN',
  'MINIMALIST',
  'SCANDINAVIAN',
  'INDUSTRIAL',
  'CLASSIC',
  'NATURAL',
  'BOHEMIAN',
  'VINTAGE',
  'JAPANDI',
  'COASTAL',
];

export const ROOM_TYPES: RoomType[] = [
  'LIVING_ROOM',
  'BEDROOM',
  'KITCHEN',
  'DINING_ROOM',
  'BATHROOM',
  'HOME_OFFICE',
  'KIDS_ROOM',
  'ENTRYWAY',
  'BALCONY',
];

export const styleLabel = (t: TFunction, s: DesignStyle | null | undefined) => (s ? t(`community.style_${s}`) : '');
export const roomLabel = (t: TFunction, r: RoomType | null | undefined) => (r ? t(`community.room_${r}`) : '');
export const statusLabel = (t: TFunction, s: GenerationStatus) => t(`community.status_${s}`);
export const reasonLabel = (t: TFunction, r: FeedReason) => t(`community.reason_${r}`);
export const themeLabel = (t: TFunction, c: ColorTheme) => t(`community.theme_${c}`);

/** Still being made: QUEUED, ANALYZING or GENERATING. */
export const isGenerating = (s: GenerationStatus) => s === 'QUEUED' || s === 'ANALYZING' || s === 'GENERATING';
