import { createClient, type Client } from 'graphql-ws';
import { freshAccessToken, onTokenChange } from '../auth';

/** Close code this client uses to restart the socket (new token): retried, not fatal. */
const RESTART_CODE = 4205;
const MAX_BACKOFF_MS = 30_000;

function wsUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/graphql/ws`;
}

let socket: WebSocket | null = null;
let restartRequested = false;
const connectedListeners = new Set<(reconnected: boolean) => void>();
let everConnected = false;

/**
 * The one graphql-ws client of the tab. Lazy (opens with the first subscription),
 * authenticates in `connection_init` with the current access token, reconnects for ever
 * with exponential backoff and full jitter; graphql-ws resubscribes the active
 * subscriptions on reconnect, with their payload objects as they are then (the
 * notification subscription keeps its `after` cursor up to date in its payload).
 */
export const wsClient: Client = createClient({
  url: wsUrl,
  lazy: true,
  lazyCloseTimeout: 3_000,
  keepAlive: 20_000,
  retryAttempts: Infinity,
  shouldRetry: () => true,
  retryWait: async (retries) => {
    const cap = Math.min(MAX_BACKOFF_MS, 500 * 2 ** retries);
    await new Promise((resolve) => setTimeout(resolve, cap / 2 + Math.random() * (cap / 2)));
  },
  connectionParams: async () => {
    const token = await freshAccessToken();
    return token ? { Authorization: `Bearer ${token}` } : {};
  },
  on: {
    opened: (s) => {
      socket = s as WebSocket;
      if (restartRequested) {
        restartRequested = false;
        restartSocket();
      }
    },
    connected: () => {
      const again = everConnected;
      everConnected = true;
      connectedListeners.forEach((l) => l(again));
    },
    closed: () => {
      socket = null;
    },
  },
});

/** Reconnects with the current credentials (after a refresh, sign-in or sign-out). */
export function restartSocket(): void {
  if (socket && socket.readyState === WebSocket.OPEN) socket.close(RESTART_CODE, 'Client Restart');
  else if (socket) restartRequested = true;
}

/** `listener(reconnected)` after each acknowledged connection. */
export function onWsConnected(listener: (reconnected: boolean) => void): () => void {
  connectedListeners.add(listener);
  return () => connectedListeners.delete(listener);
}

onTokenChange(restartSocket);
