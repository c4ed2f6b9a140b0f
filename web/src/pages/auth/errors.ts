import { GraphQLRequestError } from '../../auth/request';
import type { TFunction } from '../../i18n';

/** A local path to go to after signing in (never another origin). */
export function safeNext(raw: string | null): string {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//')) return '/';
  if (raw.startsWith('/login') || raw.startsWith('/signup')) return '/';
  return raw;
}

export function authErrorMessage(t: TFunction, err: unknown, fallbackKey: string): string {
  if (err instanceof GraphQLRequestError) {
    if (err.code === 'INVALID_CREDENTIALS') return t('auth.invalidCredentials');
    if (err.code === 'RATE_LIMITED') {
      const seconds = Number(err.extensions.retryAfter);
      return t('auth.rateLimited', { seconds: Number.isFinite(seconds) ? Math.ceil(seconds) : 60 });
    }
    if (err.code === 'CONFLICT' || err.code === 'ALREADY_EXISTS' || /already/i.test(err.message)) return t('auth.emailTaken');
  }
  return t(fallbackKey, { message: err instanceof Error ? err.message : String(err) });
}
