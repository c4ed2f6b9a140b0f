// The shop area's strings (pages/shop, components/shop), one file per language.
export { en } from './shop-en';
export { ko } from './shop-ko';
