import type { TFunction } from '../../i18n';
import type { NotificationItem } from '../../realtime/notifications';

const KINDS = new Set([
  'LIKE', 'COMMENT', 'FOLLOW', 'ORDER_STATUS', 'INQUIRY_ANSWERED', 'STORE_REVIEWED', 'MESSAGE', 'ADMIN_ALERT',
  'DESIGN_READY', 'NEW_SIGN_IN_LOCATION', 'ORDER_PLACED', 'ORDER_PAID', 'PAYMENT_FAILED', 'PLAN_CHANGED',
  'RETURN_STATUS', 'PARTNER_WEBHOOK_DISABLED', 'REPORT_RESOLVED', 'CONTENT_HIDDEN',
]);

function field(data: unknown, key: string): string {
  if (data && typeof data === 'object' && key in data) {
    const v = (data as Record<string, unknown>)[key];
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
  }
  return '';
}

/** The sentence for a notification, in the current language. */
export function notificationText(t: TFunction, n: NotificationItem): string {
  const key = KINDS.has(n.kind) ? `realtime.kind_${n.kind}` : 'realtime.kind_other';
  return t(key, {
    actor: n.actor?.nickname ?? t('realtime.someone'),
    excerpt: field(n.data, 'excerpt'),
    status: field(n.data, 'status'),
  });
}

/** Where a notification leads, when its subject has a page. */
export function notificationHref(n: NotificationItem): string | null {
  const id = n.subjectId ? encodeURIComponent(n.subjectId) : null;
  switch (n.subjectType) {
    case 'Post':
      return id && `/posts/${id}`;
    case 'Design':
      return id && `/designs/${id}`;
    case 'Product':
      return id && `/products/${id}`;
    case 'User':
      return id && `/users/${id}`;
    case 'Conversation':
      return id && `/chat/${id}`;
    case 'Order':
      return '/orders';
    case 'Store':
      return '/seller';
    default:
      return n.kind === 'DESIGN_READY' && id ? `/designs/${id}` : null;
  }
}
