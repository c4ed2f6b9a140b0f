import { useSyncExternalStore, type ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { Loading } from '../components/Loading';
import { getAuthState, signIn, signOut, signUp, subscribeAuth } from './session';

export type { AuthUser, Role } from './tokens';
export { accessRejected, startAuth, freshAccessToken, onBeforeSignOut, onSignedOut, onTokenChange } from './session';

/** `{ user, ready, signIn(email, pw), signUp(input), signOut() }` */
export function useAuth() {
  const state = useSyncExternalStore(subscribeAuth, getAuthState, getAuthState);
  return { ...state, signIn, signUp, signOut };
}

/** Renders its children for a signed-in user; otherwise redirects to /login?next=… */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { user, ready } = useAuth();
  const location = useLocation();
  if (!ready) return <Loading />;
  if (!user) {
    const next = encodeURIComponent(location.pathname + location.search + location.hash);
    return <Navigate to={`/login?next=${next}`} replace />;
  }
  return <>{children}</>;
}
