import { useCallback } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { useAuth } from '../../auth';

/** The sign-in page's address that comes back here afterwards. */
export function loginHref(pathname: string, search = ''): string {
  return `/login?next=${encodeURIComponent(pathname + search)}`;
}

/**
 * `ensureSignedIn()` is true for a signed-in viewer; otherwise it sends them to
 * the sign-in page (coming back here) and answers false.
 */
export function useEnsureSignedIn(): () => boolean {
  const { user } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  return useCallback(() => {
    if (user) return true;
    navigate(loginHref(location.pathname, location.search));
    return false;
  }, [user, navigate, location.pathname, location.search]);
}
