import type { ProductGender, Season } from '../../gql/graphql';

/** The catalogue's colour vocabulary (the server matches these case-insensitively). */
export const COLORS = [
  'Black', 'White', 'Gray', 'Red', 'Orange', 'Pink', 'Yellow', 'Beige', 'Brown', 'Green', 'Khaki',
  'Mint', 'Blue', 'Navy', 'SkyBlue', 'Purple', 'Lavender', 'Wine', 'Neon', 'Gold', 'Silver', 'Mixed',
];
export const SEASONS: Season[] = ['SPRING_FALL', 'SUMMER', 'WINTER'];
export const GENDERS: ProductGender[] = ['UNISEX', 'FEMALE', 'MALE'];
export const MAX_PRICE = 100_000_000;
export const MAX_STOCK = 1_000_000;
