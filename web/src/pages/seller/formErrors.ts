import type { TFunction } from '../../i18n';
import { describeError, errorCode, errorField } from '../../errors';

export type FieldErrors = Record<string, string>;

/**
 * Splits a server error over a form: a VALIDATION or CONFLICT error whose
 * `extensions.field` names one of `fields` (server field → form field) goes
 * next to that field; the summary always says it in words.
 */
export function serverErrors(
  t: TFunction,
  error: unknown,
  fields: Record<string, string>,
): { fields: FieldErrors; summary: string } {
  const summary = describeError(t, error, 'seller');
  const code = errorCode(error);
  const field = errorField(error);
  if ((code === 'VALIDATION' || code === 'CONFLICT' || code?.startsWith('UPLOAD_')) && field && fields[field]) {
    return { fields: { [fields[field]]: summary }, summary };
  }
  return { fields: {}, summary };
}

/** Moves focus to the first control of the form marked invalid (after React has rendered it). */
export function focusFirstInvalid(form: HTMLFormElement | null) {
  requestAnimationFrame(() => {
    const el = form?.querySelector<HTMLElement>('[aria-invalid="true"]');
    el?.focus();
  });
}

/** A whole number from a form string, or null when it is not one. */
export function parseWhole(value: string): number | null {
  const trimmed = value.trim().replace(/,/g, '');
  if (!/^\d+$/.test(trimmed)) return null;
  const n = Number(trimmed);
  return Number.isSafeInteger(n) ? n : null;
}
