import type { TFunction } from './i18n';

type GqlErrorLike = { message: string; extensions?: Record<string, unknown> | null };
type ApolloErrorLike = { message?: string; graphQLErrors?: readonly GqlErrorLike[]; networkError?: unknown };

/**
 * The first GraphQL error of an Apollo error (or of anything thrown), also
 * inside a refused HTTP answer (400, 429 …) that Apollo reports as a network
 * error carrying the body.
 */
export function firstGraphQLError(error: unknown): GqlErrorLike | undefined {
  const e = error as ApolloErrorLike | null;
  const direct = e?.graphQLErrors?.[0];
  if (direct) return direct;
  const body = (e?.networkError as { result?: { errors?: GqlErrorLike[] } } | null | undefined)?.result;
  return typeof body === 'object' && body !== null ? body.errors?.[0] : undefined;
}

function extension(error: unknown, name: string): string | undefined {
  const value = firstGraphQLError(error)?.extensions?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** `extensions.code` of the first GraphQL error, if any. */
export function errorCode(error: unknown): string | undefined {
  return extension(error, 'code');
}

/** `extensions.field` of a VALIDATION or CONFLICT error: the input at fault. */
export function errorField(error: unknown): string | undefined {
  return extension(error, 'field');
}

/** What the error says for itself: the server's message, or the thrown error's. */
function errorDetail(error: unknown): string {
  return firstGraphQLError(error)?.message ?? (error instanceof Error ? error.message : String(error));
}

/** The parts of an error a message may name: the server's detail and the extensions. */
type ErrorParts = { detail: string; ext: Record<string, unknown> };
/** A code's message: a dictionary key (given `{message}` = the detail), or a function for more. */
type Message = string | ((t: TFunction, parts: ErrorParts) => string);

/** Where the error is shown: each area words the codes it meets in its own dictionary. */
export type ErrorArea = 'shop' | 'community' | 'seller' | 'chat';

const retryAfter = (key: string) => (t: TFunction, { ext }: ErrorParts) => t(key, { seconds: String(ext.retryAfter ?? '') });

/** Why a coupon gives nothing (`CouponInvalidReason`, also the `reason` extension). */
export function couponReason(t: TFunction, reason: string): string {
  const key = `shop.coupon_${reason}`;
  const text = t(key);
  return text === key ? reason : text;
}

const messages: Record<ErrorArea, Record<string, Message>> = {
  shop: {
    UNAUTHENTICATED: 'shop.errSignIn',
    FORBIDDEN: 'shop.errForbidden',
    NOT_FOUND: 'shop.errNotFound',
    OUT_OF_STOCK: 'shop.errOutOfStock',
    COUPON_NOT_APPLICABLE: (t, { ext, detail }) =>
      t('shop.errCouponNotApplicable', { reason: typeof ext.reason === 'string' ? couponReason(t, ext.reason) : detail }),
    COUPON_EXHAUSTED: 'shop.errCouponExhausted',
    IDEMPOTENCY_KEY_REUSED: 'shop.errKeyReused',
    PAYMENT_PROVIDER: 'shop.errPaymentProvider',
    CONFLICT: 'shop.errConflict',
    VALIDATION: 'shop.errValidation',
    RATE_LIMITED: 'shop.errRateLimited',
  },
  community: {
    UNAUTHENTICATED: 'community.errSignIn',
    FORBIDDEN: 'community.errForbidden',
    NOT_FOUND: 'community.errNotFound',
    BLOCKED: 'community.errBlocked',
    QUOTA_EXCEEDED: (t, { ext }) =>
      t('community.errQuota', {
        limit: String(ext.limit ?? ''),
        date: typeof ext.resetsAt === 'string' ? new Date(ext.resetsAt).toLocaleDateString() : '',
      }),
    IN_PROGRESS: 'community.errInProgress',
    IDEMPOTENCY_KEY_REUSED: 'community.errKeyReused',
    UPLOAD_NOT_CONFIRMED: 'community.errUpload',
    UPLOAD_EXPIRED: 'community.errUpload',
    RATE_LIMITED: retryAfter('community.errRateLimited'),
    VALIDATION: 'community.errValidation',
  },
  seller: {
    UNAUTHENTICATED: 'seller.errSignIn',
    FORBIDDEN: 'seller.errForbidden',
    NOT_FOUND: 'seller.errNotFound',
    VALIDATION: 'seller.errValidation',
    CONFLICT: 'seller.errConflict',
    UPLOAD_NOT_CONFIRMED: 'seller.errUploadNotConfirmed',
    UPLOAD_EXPIRED: 'seller.errUploadExpired',
    PAYLOAD_TOO_LARGE: 'seller.errTooLarge',
    RATE_LIMITED: retryAfter('seller.errRateLimited'),
    INTERNAL: 'seller.errInternal',
  },
  chat: {
    UNAUTHENTICATED: 'chat.errSignIn',
    FORBIDDEN: 'chat.errForbidden',
    NOT_FOUND: 'chat.errNotFound',
    BLOCKED: 'chat.errBlocked',
    RATE_LIMITED: retryAfter('chat.errRateLimited'),
    VALIDATION: 'chat.errValidation',
  },
};

/**
 * A sentence for people, chosen by the stable error code (never by the message
 * text) in the area's dictionary; the server's message is the `{message}` detail
 * where the wording names it, and the whole text for a code the area does not know.
 */
export function describeError(t: TFunction, error: unknown, area: ErrorArea): string {
  const detail = errorDetail(error);
  const code = errorCode(error);
  const table = messages[area];
  const message = code && Object.prototype.hasOwnProperty.call(table, code) ? table[code] : undefined;
  if (message === undefined) return t('common.error', { message: detail });
  if (typeof message === 'string') return t(message, { message: detail });
  return message(t, { detail, ext: firstGraphQLError(error)?.extensions ?? {} });
}
