/**
 * Where the credentials live.
 *
 * The access token (a short-lived JWT) stays in this module's memory only: it never
 * touches localStorage, sessionStorage or cookies, so a script that reads storage
 * cannot lift it, and it dies with the tab.
 *
 * The refresh token is kept in localStorage: it must survive reloads and be shared by
 * the tabs of this browser (otherwise every reload would sign the user out). It is
 * single use — every refresh rotates it, and presenting an old one makes the server
 * revoke the session (`TOKEN_REUSED`) — so the tabs refresh one at a time under a lock
 * (see session.ts) and always read the latest value from storage.
 */

export type Role = 'BUYER' | 'SELLER' | 'ADMIN';

export interface AuthUser {
  id: string;
  email: string | null;
  nickname: string;
  role: Role;
}

const REFRESH_KEY = 'vitrine.refreshToken';
const DEVICE_KEY = 'vitrine.deviceId';

let access: string | null = null;
let accessExpiresAt = 0;

export function getAccessToken(): string | null {
  return access;
}

/** Epoch milliseconds when the access token expires (0 without one). */
export function getAccessExpiry(): number {
  return accessExpiresAt;
}

export function setAccess(token: string | null, expiresAt: number): void {
  access = token;
  accessExpiresAt = token ? expiresAt : 0;
}

export function readRefreshToken(): string | null {
  try {
    return localStorage.getItem(REFRESH_KEY);
  } catch {
    return null;
  }
}

export function writeRefreshToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(REFRESH_KEY, token);
    else localStorage.removeItem(REFRESH_KEY);
  } catch {
    /* storage unavailable (private mode): the session lasts as long as the tab */
  }
}

function randomId(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** This browser's device id, sent with sign-in and refresh (the session's fingerprint). */
export function deviceId(): string {
  try {
    const found = localStorage.getItem(DEVICE_KEY);
    if (found) return found;
    const made = randomId();
    localStorage.setItem(DEVICE_KEY, made);
    return made;
  } catch {
    return 'web';
  }
}

/** This tab's id (short: device ids are at most 64 characters). */
export const tabId: string = randomId().replace(/-/g, '').slice(0, 12);

/**
 * The device id for read-state sync: `deviceSync` skips the events of the device that
 * acted, so each tab is its own device and the other tabs and browsers follow it.
 */
export function syncDeviceId(): string {
  return `${deviceId().slice(0, 40)}:${tabId}`;
}
