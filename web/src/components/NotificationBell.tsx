import { Link } from 'react-router-dom';
import { useT } from '../i18n';
import { useNotifications } from '../realtime/notifications';

/** The header's bell: the exact unread count, updated live (aria-live for screen readers). */
export default function NotificationBell() {
  const t = useT();
  const { unreadCount } = useNotifications();
  const label = unreadCount > 0 ? t('common.notificationsWithCount', { count: unreadCount }) : t('common.notifications');
  return (
    <>
    <Link to="/notifications" className="icon-link bell">
      <span className="visually-hidden">{t('common.notifications')}</span>
      <svg aria-hidden="true" width="22" height="22" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
        <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
        <path d="M13.73 21a2 2 0 0 1-3.46 0" />
      </svg>
      <span className="count-badge" data-testid="notification-badge" hidden={unreadCount === 0}>
        {unreadCount}
      </span>
    </Link>
    <span className="visually-hidden" role="status" aria-live="polite">
      {label}
    </span>
    </>
  );
}
