import { useLocation } from 'react-router-dom';

/** `/login?next=<this page>`, to come back here after signing in. */
export function useLoginHref(): string {
  const location = useLocation();
  return `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
}
