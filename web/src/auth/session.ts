import {
  RefreshSessionDocument,
  SignInDocument,
  SignOutDocument,
  SignUpDocument,
  type RegisterInput,
  type SignInMutation,
} from '../gql/graphql';
import { withRefreshLock } from './lock';
import { GraphQLRequestError, runOperation } from './request';
import {
  deviceId,
  getAccessExpiry,
  getAccessToken,
  readRefreshToken,
  setAccess,
  tabId,
  writeRefreshToken,
  type AuthUser,
} from './tokens';

/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 60_000;
/** Answers to `refreshToken` that mean the session is over (others are retried). */
const DEAD_SESSION = new Set(['TOKEN_REUSED', 'UNAUTHENTICATED', 'SESSION_FINGERPRINT_CHANGED', 'ACCOUNT_DISABLED', 'FORBIDDEN', 'NOT_FOUND', 'VALIDATION']);
/** After a network failure, try the refresh again this much later. */
const RETRY_MS = 10_000;

export interface AuthState {
  user: AuthUser | null;
  /** False until the start-up refresh (if any) has finished. */
  ready: boolean;
  /** Set when the session ended without the user asking (revoked, reused token). */
  endedReason: string | null;
}

type Payload = SignInMutation['login'];
type Message =
  | { type: 'tokens'; from: string; access: string; expiresAt: number; user: AuthUser }
  | { type: 'signout'; from: string; reason: string | null };

let state: AuthState = { user: null, ready: false, endedReason: null };
const listeners = new Set<() => void>();
const tokenListeners = new Set<() => void>();
const signOutListeners = new Set<() => void>();
const beforeSignOut = new Set<() => Promise<void>>();
let timer: ReturnType<typeof setTimeout> | undefined;
let inflight: Promise<void> | null = null;

const channel: BroadcastChannel | null = typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel('vitrine-auth') : null;

function setState(next: Partial<AuthState>) {
  state = { ...state, ...next };
  listeners.forEach((l) => l());
}

export function getAuthState(): AuthState {
  return state;
}

export function subscribeAuth(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Called whenever the access token changes (sign-in, refresh, sign-out): the WebSocket reconnects. */
export function onTokenChange(listener: () => void): () => void {
  tokenListeners.add(listener);
  return () => tokenListeners.delete(listener);
}

/** Called after this tab signed out (by request, from another tab, or on a dead session). */
export function onSignedOut(listener: () => void): () => void {
  signOutListeners.add(listener);
  return () => signOutListeners.delete(listener);
}

/** Work to do while still signed in, before an explicit sign-out (e.g. dropping the push subscription). */
export function onBeforeSignOut(task: () => Promise<void>): () => void {
  beforeSignOut.add(task);
  return () => beforeSignOut.delete(task);
}

function schedule() {
  clearTimeout(timer);
  const expiry = getAccessExpiry();
  if (!expiry) return;
  const wait = Math.max(expiry - Date.now() - REFRESH_MARGIN_MS, 1_000);
  timer = setTimeout(() => void refresh(), wait);
}

function adopt(access: string, expiresAt: number, user: AuthUser) {
  setAccess(access, expiresAt);
  schedule();
  setState({ user, ready: true, endedReason: null });
  tokenListeners.forEach((l) => l());
}

function apply(payload: Payload) {
  const expiresAt = Date.now() + payload.accessTokenExpiresIn * 1000;
  writeRefreshToken(payload.refreshToken);
  const { id, email, nickname, role } = payload.user;
  const user: AuthUser = { id, email, nickname, role };
  adopt(payload.accessToken, expiresAt, user);
  channel?.postMessage({ type: 'tokens', from: tabId, access: payload.accessToken, expiresAt, user } satisfies Message);
}

/** Forgets the session in this tab: memory, Apollo store and socket (via listeners). */
function clearLocal(reason: string | null) {
  clearTimeout(timer);
  setAccess(null, 0);
  setState({ user: null, ready: true, endedReason: reason });
  tokenListeners.forEach((l) => l());
  signOutListeners.forEach((l) => l());
}

/** Signs out every tab of this browser: storage, broadcast, local state. */
function signOutEverywhere(reason: string | null) {
  writeRefreshToken(null);
  channel?.postMessage({ type: 'signout', from: tabId, reason } satisfies Message);
  clearLocal(reason);
}

/**
 * Rotates the refresh token for a fresh access token, one tab at a time. A tab that
 * waited for the lock while another refreshed already got the new pair by broadcast
 * and skips; the token is always read from storage inside the lock, so a rotated
 * token is never presented twice.
 */
export function refresh(): Promise<void> {
  inflight ??= withRefreshLock(tabId, async () => {
    if (getAccessToken() && getAccessExpiry() - Date.now() > REFRESH_MARGIN_MS + 5_000) return;
    const token = readRefreshToken();
    if (!token) {
      if (state.user || getAccessToken()) clearLocal(null);
      else setState({ ready: true });
      return;
    }
    try {
      const data = await runOperation(RefreshSessionDocument, { token, deviceId: deviceId() });
      apply(data.refreshToken);
    } catch (e) {
      if (e instanceof GraphQLRequestError && e.code && DEAD_SESSION.has(e.code)) {
        // The stored refresh token is dead for every tab, so every tab signs out.
        signOutEverywhere(e.code);
      } else {
        // Offline, server down, rate limited: keep what we have and try again.
        const after = e instanceof GraphQLRequestError ? Number(e.extensions.retryAfter) * 1000 : NaN;
        setState({ ready: true });
        clearTimeout(timer);
        timer = setTimeout(() => void refresh(), Number.isFinite(after) && after > 0 ? after : RETRY_MS);
      }
    }
  }).finally(() => {
    inflight = null;
  });
  return inflight;
}

/**
 * The server refused the access token (`UNAUTHENTICATED`): an expired one is refreshed
 * (true: retry the request); a revoked or invalid one ends the session everywhere.
 */
export async function accessRejected(reason: string | undefined, token: string | null): Promise<boolean> {
  if (!token || token !== getAccessToken()) return Boolean(getAccessToken());
  if (reason === 'TOKEN_EXPIRED') {
    setAccess(token, Date.now());
    await refresh();
    return Boolean(getAccessToken());
  }
  if (reason === 'SESSION_REVOKED' || reason === 'TOKEN_INVALID') signOutEverywhere('UNAUTHENTICATED');
  return false;
}

/** An access token that is not about to expire (refreshing first if needed), or null when signed out. */
export async function freshAccessToken(): Promise<string | null> {
  const token = getAccessToken();
  if (token && getAccessExpiry() - Date.now() > 5_000) return token;
  if (!token && !readRefreshToken()) return null;
  await refresh();
  return getAccessToken();
}

export async function signIn(email: string, password: string): Promise<AuthUser> {
  const data = await runOperation(SignInDocument, { input: { email, password, deviceId: deviceId(), deviceType: 'WEB' } });
  apply(data.login);
  return getAuthState().user!;
}

export async function signUp(input: Omit<RegisterInput, 'deviceId' | 'deviceType'>): Promise<AuthUser> {
  const data = await runOperation(SignUpDocument, { input: { ...input, deviceId: deviceId(), deviceType: 'WEB' } });
  apply(data.register);
  return getAuthState().user!;
}

/** Ends the session on the server and in every tab. */
export async function signOut(): Promise<void> {
  const token = getAccessToken();
  if (token) {
    for (const task of beforeSignOut) {
      try {
        await task();
      } catch {
        /* best effort */
      }
    }
    try {
      await runOperation(SignOutDocument, {}, getAccessToken());
    } catch {
      /* the session may already be gone */
    }
  }
  signOutEverywhere(null);
}

let started = false;

/** Start-up: listen to the other tabs, then refresh if a refresh token is stored. */
export function startAuth(): void {
  if (started) return;
  started = true;
  channel?.addEventListener('message', (event: MessageEvent<Message>) => {
    const msg = event.data;
    if (!msg || msg.from === tabId) return;
    if (msg.type === 'tokens') adopt(msg.access, msg.expiresAt, msg.user);
    else if (msg.type === 'signout' && (state.user || getAccessToken())) clearLocal(msg.reason);
  });
  // Without BroadcastChannel: another tab removing the refresh token means a sign-out.
  window.addEventListener('storage', (e) => {
    if (e.key === 'vitrine.refreshToken' && !e.newValue && (state.user || getAccessToken())) clearLocal(null);
  });
  // Timers are throttled in background tabs: check again when the tab comes back.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && getAccessToken() && getAccessExpiry() - Date.now() < REFRESH_MARGIN_MS) {
      void refresh();
    }
  });
  if (readRefreshToken()) void refresh();
  else setState({ ready: true });
}
