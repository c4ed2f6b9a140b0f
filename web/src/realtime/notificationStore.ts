import type { NotificationListQuery } from '../gql/graphql';

export type NotificationItem = NotificationListQuery['notifications']['nodes'][number];

export interface NotificationState {
  /** Exact number of unread notifications (server count, kept live). */
  unreadCount: number;
  /** Known notifications, newest first, without duplicates. */
  items: NotificationItem[];
  hasMore: boolean;
  endCursor: string | null;
  loading: boolean;
  error: string | null;
}

const empty: NotificationState = { unreadCount: 0, items: [], hasMore: false, endCursor: null, loading: false, error: null };

let state: NotificationState = empty;
const listeners = new Set<() => void>();

export function getNotificationState(): NotificationState {
  return state;
}

export function subscribeNotifications(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function update(next: Partial<NotificationState>): void {
  state = { ...state, ...next };
  listeners.forEach((l) => l());
}

export function reset(): void {
  state = empty;
  listeners.forEach((l) => l());
}

/** Merges notifications into the list (dedupe by id), newest first; returns the ones that were new. */
export function merge(incoming: NotificationItem[]): NotificationItem[] {
  const known = new Set(state.items.map((n) => n.id));
  const fresh = incoming.filter((n) => !known.has(n.id));
  if (fresh.length) {
    const items = [...state.items, ...fresh].sort((a, b) =>
      a.createdAt === b.createdAt ? compareIds(b.id, a.id) : a.createdAt < b.createdAt ? 1 : -1,
    );
    update({ items });
  }
  return fresh;
}

function compareIds(a: string, b: string): number {
  return a.length === b.length ? (a < b ? -1 : a > b ? 1 : 0) : a.length - b.length;
}

/** Marks notifications read locally (`all` or the given ids). */
export function markLocal(ids: readonly string[] | 'all', unreadCount?: number): void {
  const set = ids === 'all' ? null : new Set(ids);
  const now = new Date().toISOString();
  const items = state.items.map((n) => (!n.read && (!set || set.has(n.id)) ? { ...n, read: true, readAt: now } : n));
  update({ items, ...(unreadCount === undefined ? {} : { unreadCount }) });
}
