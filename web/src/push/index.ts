import { client } from '../apollo';
import { onBeforeSignOut } from '../auth';
import { RegisterPushSubscriptionDocument, RemovePushSubscriptionDocument, WebPushPublicKeyDocument } from '../gql/graphql';

export type PushSupport = 'unsupported' | 'denied' | 'default' | 'granted';

export function pushSupported(): boolean {
  return typeof window !== 'undefined' && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

export function pushPermission(): PushSupport {
  if (!pushSupported()) return 'unsupported';
  return Notification.permission;
}

/** Registers /sw.js in production builds (in development Vite serves modules the worker does not need). */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  // Signing out drops this browser's push subscription while the session still holds.
  onBeforeSignOut(async () => {
    await disablePush();
  });
  if (!import.meta.env.PROD) return;
  const register = () =>
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((e) => console.warn('service worker', e));
  if (document.readyState === 'complete') void register();
  else window.addEventListener('load', () => void register(), { once: true });
}

function base64UrlToBytes(value: string): Uint8Array<ArrayBuffer> {
  const padded = value.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (value.length % 4)) % 4);
  const raw = atob(padded);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function bytesToBase64Url(buffer: ArrayBuffer | null): string {
  if (!buffer) return '';
  let s = '';
  for (const b of new Uint8Array(buffer)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function registration(): Promise<ServiceWorkerRegistration> {
  const found = await navigator.serviceWorker.getRegistration('/');
  if (found) return found;
  await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  return navigator.serviceWorker.ready;
}

/** The current push subscription of this browser, if any. */
export async function currentSubscription(): Promise<PushSubscription | null> {
  if (!pushSupported()) return null;
  const reg = await navigator.serviceWorker.getRegistration('/');
  return reg ? reg.pushManager.getSubscription() : null;
}

/**
 * Asks for permission, subscribes with the server's VAPID key and stores the
 * subscription on the server. Returns the permission the browser ended with.
 */
export async function enablePush(): Promise<PushSupport> {
  if (!pushSupported()) return 'unsupported';
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return permission;
  const { data } = await client.query({ query: WebPushPublicKeyDocument, fetchPolicy: 'network-only' });
  if (!data?.webPushPublicKey) throw new Error('no VAPID key');
  const reg = await registration();
  const key = base64UrlToBytes(data.webPushPublicKey);
  let sub = await reg.pushManager.getSubscription();
  const sameKey =
    sub?.options.applicationServerKey &&
    bytesToBase64Url(sub.options.applicationServerKey) === bytesToBase64Url(key.buffer);
  if (sub && !sameKey) {
    await sub.unsubscribe();
    sub = null;
  }
  sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  await client.mutate({
    mutation: RegisterPushSubscriptionDocument,
    variables: {
      endpoint: sub.endpoint,
      keys: { p256dh: bytesToBase64Url(sub.getKey('p256dh')), auth: bytesToBase64Url(sub.getKey('auth')) },
    },
  });
  return 'granted';
}

/** Removes the subscription from the server and from the browser. */
export async function disablePush(): Promise<void> {
  const sub = await currentSubscription();
  if (!sub) return;
  try {
    await client.mutate({ mutation: RemovePushSubscriptionDocument, variables: { endpoint: sub.endpoint } });
  } finally {
    await sub.unsubscribe();
  }
}
