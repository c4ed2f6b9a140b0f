import { useSyncExternalStore } from 'react';
import { client } from '../apollo';
import { getAuthState, onSignedOut, subscribeAuth } from '../auth/session';
import { syncDeviceId } from '../auth/tokens';
import { contractDocument } from '../contract';
import {
  ReadNotificationsDocument,
  NotificationBadgeDocument,
  NotificationListDocument,
  type NotificationDeviceSyncSubscription,
  type NotificationStreamSubscription,
} from '../gql/graphql';
import { getNotificationState, markLocal, merge, reset, subscribeNotifications, update, type NotificationItem } from './notificationStore';
import { wsClient } from './ws';

export type { NotificationItem } from './notificationStore';

const PAGE = 20;
const RESUBSCRIBE_MS = 3_000;

let running: { userId: string; stop: () => void } | null = null;
let reconcileTimer: ReturnType<typeof setTimeout> | undefined;

/** Re-reads the exact unread count shortly after live events (the events may cross). */
function reconcile() {
  clearTimeout(reconcileTimer);
  reconcileTimer = setTimeout(async () => {
    try {
      const { data } = await client.query({ query: NotificationBadgeDocument, fetchPolicy: 'network-only' });
      if (data && running) update({ unreadCount: data.unreadNotificationCount });
    } catch {
      /* the next event reconciles */
    }
  }, 400);
}

/**
 * Live notifications: `notificationReceived(after:)` from the newest known cursor. The
 * payload object is kept and its `after` moved to each received notification's cursor:
 * graphql-ws resends that same payload when it reconnects, so the server replays
 * exactly what came after the last one seen (no gap), and ids already known are
 * dropped (no duplicate).
 */
function subscribeReceived(after: string | null): () => void {
  const payload = {
    query: contractDocument('NotificationStream'),
    operationName: 'NotificationStream',
    variables: { after } as { after: string | null },
  };
  let stopped = false;
  let dispose = () => {};
  const start = () => {
    dispose = wsClient.subscribe<NotificationStreamSubscription>(payload, {
      next: ({ data }) => {
        const n = data?.notificationReceived;
        if (!n) return;
        payload.variables.after = n.cursor;
        const fresh = merge([n as NotificationItem]);
        if (fresh.length && !n.read) {
          update({ unreadCount: getNotificationState().unreadCount + 1 });
          reconcile();
        }
      },
      error: () => {
        if (!stopped) setTimeout(() => !stopped && start(), RESUBSCRIBE_MS);
      },
      complete: () => {},
    });
  };
  start();
  return () => {
    stopped = true;
    dispose();
  };
}

/** Read state done in another tab or browser of the same user. */
function subscribeSync(): () => void {
  const payload = {
    query: contractDocument('NotificationDeviceSync'),
    operationName: 'NotificationDeviceSync',
    variables: { deviceId: syncDeviceId() },
  };
  let stopped = false;
  let dispose = () => {};
  const start = () => {
    dispose = wsClient.subscribe<NotificationDeviceSyncSubscription>(payload, {
      next: ({ data }) => {
        const e = data?.deviceSync;
        if (!e || e.kind !== 'NOTIFICATIONS_READ') return;
        markLocal(e.all ? 'all' : e.notificationIds, e.unreadNotificationCount);
        reconcile();
      },
      error: () => {
        if (!stopped) setTimeout(() => !stopped && start(), RESUBSCRIBE_MS);
      },
      complete: () => {},
    });
  };
  start();
  return () => {
    stopped = true;
    dispose();
  };
}

async function startFor(userId: string) {
  let stopped = false;
  const disposers: (() => void)[] = [];
  running = {
    userId,
    stop: () => {
      stopped = true;
      disposers.forEach((d) => d());
    },
  };
  reset();
  update({ loading: true });
  // The device-sync stream first, so a read elsewhere during the load is not missed.
  disposers.push(subscribeSync());
  for (let attempt = 0; !stopped; attempt++) {
    try {
      const { data } = await client.query({ query: NotificationListDocument, variables: { first: PAGE }, fetchPolicy: 'network-only' });
      if (stopped) return;
      const page = data.notifications;
      merge(page.nodes);
      update({
        unreadCount: data.unreadNotificationCount,
        hasMore: page.pageInfo.hasNextPage,
        endCursor: page.pageInfo.endCursor ?? null,
        loading: false,
        error: null,
      });
      disposers.push(subscribeReceived(page.nodes[0]?.cursor ?? null));
      if (page.nodes.length === 0) {
        // Without a cursor the stream starts with new ones only: read the list once more
        // once it runs, for a notification stored in between (ids dedupe).
        setTimeout(() => {
          if (stopped) return;
          client
            .query({ query: NotificationListDocument, variables: { first: PAGE }, fetchPolicy: 'network-only' })
            .then(({ data: again }) => {
              if (stopped) return;
              merge(again.notifications.nodes);
              update({ unreadCount: again.unreadNotificationCount });
            })
            .catch(() => {});
        }, 1_500);
      }
      return;
    } catch (e) {
      update({ loading: false, error: e instanceof Error ? e.message : String(e) });
      await new Promise((r) => setTimeout(r, Math.min(30_000, 1_000 * 2 ** attempt)));
    }
  }
}

function follow() {
  const { user } = getAuthState();
  if (running && running.userId === user?.id) return;
  running?.stop();
  running = null;
  if (user) void startFor(user.id);
  else reset();
}

let started = false;
/** Starts following the signed-in user's notifications (idempotent). */
export function startNotifications(): void {
  if (started) return;
  started = true;
  subscribeAuth(follow);
  onSignedOut(() => {
    running?.stop();
    running = null;
    reset();
  });
  follow();
}

/** Older notifications (the Relay cursor of the list). */
export async function loadMore(): Promise<void> {
  const { endCursor, hasMore, loading } = getNotificationState();
  if (!hasMore || loading) return;
  update({ loading: true });
  try {
    const { data } = await client.query({
      query: NotificationListDocument,
      variables: { first: PAGE, after: endCursor },
      fetchPolicy: 'network-only',
    });
    merge(data.notifications.nodes);
    update({
      hasMore: data.notifications.pageInfo.hasNextPage,
      endCursor: data.notifications.pageInfo.endCursor ?? null,
      loading: false,
      error: null,
    });
  } catch (e) {
    update({ loading: false, error: e instanceof Error ? e.message : String(e) });
  }
}

async function mark(ids: string[] | null) {
  const { data } = await client.mutate({
    mutation: ReadNotificationsDocument,
    variables: ids ? { ids, deviceId: syncDeviceId() } : { all: true, deviceId: syncDeviceId() },
  });
  if (data) markLocal(ids ?? 'all', data.markNotificationsRead.unreadCount);
}

/** Marks the given notifications read here and, through `deviceSync`, on the user's other devices. */
export function markRead(ids: string[]): Promise<void> {
  return ids.length ? mark(ids) : Promise.resolve();
}

export function markAllRead(): Promise<void> {
  return mark(null);
}

/** `{ unreadCount, items, markRead(ids), markAllRead(), loadMore(), hasMore, loading, error }` */
export function useNotifications() {
  const state = useSyncExternalStore(subscribeNotifications, getNotificationState, getNotificationState);
  return { ...state, markRead, markAllRead, loadMore };
}
