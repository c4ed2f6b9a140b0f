import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import * as common from './common';
import * as auth from './auth';
import * as shop from './shop';
import * as community from './community';
import * as realtime from './realtime';
import * as chat from './chat';
import * as search from './search';
import * as assistant from './assistant';
import * as seller from './seller';
import * as admin from './admin';

export type Locale = 'ko' | 'en';
type Dict = Record<string, string>;
type Area = { en: Dict; ko: Dict };

/** Every area's dictionary; keys are `<area>.<key>`. */
const areas: Record<string, Area> = { common, auth, shop, community, realtime, chat, search, assistant, seller, admin };

function flatten(locale: Locale): Dict {
  const out: Dict = {};
  for (const [area, dicts] of Object.entries(areas)) {
    for (const [key, value] of Object.entries(dicts[locale] ?? {})) out[`${area}.${key}`] = value;
  }
  return out;
}

const tables: Record<Locale, Dict> = { en: flatten('en'), ko: flatten('ko') };

/** The browser's language: the first of navigator.languages that is Korean or English. */
export function detectLocale(): Locale {
  const langs = typeof navigator !== 'undefined' ? (navigator.languages?.length ? navigator.languages : [navigator.language]) : [];
  for (const lang of langs) {
    const l = (lang ?? '').toLowerCase();
    if (l.startsWith('ko')) return 'ko';
    if (l.startsWith('en')) return 'en';
  }
  return 'en';
}

export type TFunction = (key: string, vars?: Record<string, string | number>) => string;

function translate(locale: Locale, key: string, vars?: Record<string, string | number>): string {
  const template = tables[locale][key] ?? tables.en[key];
  if (template === undefined) {
    if (import.meta.env.DEV) console.warn(`i18n: missing key ${key}`);
    return key;
  }
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

const LocaleContext = createContext<Locale>('en');

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocale] = useState<Locale>(detectLocale);
  useEffect(() => {
    const onChange = () => setLocale(detectLocale());
    window.addEventListener('languagechange', onChange);
    return () => window.removeEventListener('languagechange', onChange);
  }, []);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  return <LocaleContext.Provider value={locale}>{children}</LocaleContext.Provider>;
}

export function useLocale(): Locale {
  return useContext(LocaleContext);
}

/** `const t = useT(); t('shop.addToCart', { count: 2 })` */
export function useT(): TFunction {
  const locale = useLocale();
  return useCallback<TFunction>((key, vars) => translate(locale, key, vars), [locale]);
}

const priceFormats: Partial<Record<Locale, Intl.NumberFormat>> = {};
const dateFormats: Partial<Record<Locale, Intl.DateTimeFormat>> = {};

/** A KRW amount in the current locale (`₩12,000` / `₩12,000`). */
export function formatPrice(amount: number, locale: Locale = detectLocale()): string {
  const f = (priceFormats[locale] ??= new Intl.NumberFormat(locale === 'ko' ? 'ko-KR' : 'en-US', {
    style: 'currency',
    currency: 'KRW',
    maximumFractionDigits: 0,
  }));
  return f.format(amount);
}

/** An ISO date-time in the current locale. */
export function formatDate(iso: string, locale: Locale = detectLocale()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const f = (dateFormats[locale] ??= new Intl.DateTimeFormat(locale === 'ko' ? 'ko-KR' : 'en-US', {
    dateStyle: 'medium',
    timeStyle: 'short',
  }));
  return f.format(d);
}

/** formatPrice/formatDate bound to the current locale, for components. */
export function useFormat() {
  const locale = useLocale();
  return useMemo(
    () => ({
      price: (amount: number) => formatPrice(amount, locale),
      date: (iso: string) => formatDate(iso, locale),
    }),
    [locale],
  );
}
