import { Link } from 'react-router-dom';
import { useFormat, useT } from '../../i18n';
import { useNotifications } from '../../realtime/notifications';
import { notificationHref, notificationText } from './notificationText';
import PushToggle from './PushToggle';

export default function Notifications() {
  const t = useT();
  const format = useFormat();
  const { items, unreadCount, hasMore, loading, error, markRead, markAllRead, loadMore } = useNotifications();

  return (
    <section className="page stack notifications-page">
      <div className="row spread">
        <h1>{t('realtime.title')}</h1>
        <button type="button" className="btn" onClick={() => void markAllRead()} disabled={unreadCount === 0}>
          {t('realtime.markAllRead')}
        </button>
      </div>
      <p className="muted" aria-live="polite">
        {unreadCount > 0 ? t('realtime.unreadSummary', { count: unreadCount }) : t('realtime.allRead')}
      </p>
      {error ? (
        <p className="error" role="alert">
          {t('realtime.loadFailed', { message: error })}
        </p>
      ) : null}
      {items.length === 0 && !loading ? <p>{t('realtime.empty')}</p> : null}
      <ul className="notification-list">
        {items.map((n) => {
          const href = notificationHref(n);
          const text = notificationText(t, n);
          return (
            <li key={n.id} className={`card notification${n.read ? '' : ' unread'}`} data-testid="notification-item">
              <div className="stack-tight">
                {!n.read ? <span className="badge">{t('realtime.unread')}</span> : null}
                <p className="notification-text">
                  {href ? (
                    <Link to={href} onClick={() => !n.read && void markRead([n.id])}>
                      {text}
                    </Link>
                  ) : (
                    text
                  )}
                </p>
                <time className="muted" dateTime={n.createdAt}>
                  {format.date(n.createdAt)}
                </time>
              </div>
              {!n.read ? (
                <button type="button" className="btn btn-small" onClick={() => void markRead([n.id])} aria-label={`${t('realtime.markRead')}: ${text}`}>
                  {t('realtime.markRead')}
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
      {loading ? (
        <p className="muted" role="status">
          {t('common.loading')}
        </p>
      ) : null}
      {hasMore && !loading ? (
        <button type="button" className="btn" onClick={() => void loadMore()}>
          {t('common.loadMore')}
        </button>
      ) : null}
      <PushToggle />
    </section>
  );
}
