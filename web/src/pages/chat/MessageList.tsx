import { useEffect, useLayoutEffect, useRef } from 'react';
import type { ChatMessagesQuery } from '../../gql/graphql';
import { useFormat, useT } from '../../i18n';

export type ChatMessage = ChatMessagesQuery['messages']['edges'][number]['node'];

/**
 * The messages, oldest at the top, in a focusable scrolling log. Scrolling
 * near the top (or the button there) loads older ones, keeping what was in
 * view in place; a new message scrolls down when the reader was at the bottom
 * or sent it.
 */
export default function MessageList({
  messages,
  viewerId,
  hasOlder,
  loadingOlder,
  onLoadOlder,
  label,
}: {
  /** Oldest first. */
  messages: ChatMessage[];
  viewerId: string | undefined;
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  label: string;
}) {
  const t = useT();
  const f = useFormat();
  const box = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const fromBottom = useRef<number | null>(null); // distance from the bottom while older ones load
  const oldestId = messages[0]?.id;
  const newest = messages[messages.length - 1];
  const newestId = newest?.id;
  const newestMine = newest !== undefined && newest.sender?.id === viewerId;

  const loadOlder = () => {
    const el = box.current;
    if (!el || loadingOlder || !hasOlder) return;
    fromBottom.current = el.scrollHeight - el.scrollTop;
    onLoadOlder();
  };

  // Older messages came in above: keep the reader where they were.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el || fromBottom.current === null) return;
    el.scrollTop = el.scrollHeight - fromBottom.current;
    fromBottom.current = null;
  }, [oldestId]);

  // A new message at the bottom (or the first page): follow it when reading the end.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el || !newestId) return;
    if (atBottom.current || newestMine) {
      el.scrollTop = el.scrollHeight;
      atBottom.current = true;
    }
  }, [newestId, newestMine]);

  // A first page too short to scroll: load more until it can (or nothing is left).
  useEffect(() => {
    const el = box.current;
    if (el && hasOlder && !loadingOlder && el.scrollHeight <= el.clientHeight) loadOlder();
  });

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 80) loadOlder();
  };

  return (
    <div ref={box} className="chat-log" role="log" aria-label={label} aria-busy={loadingOlder} tabIndex={0} onScroll={onScroll}>
      {hasOlder ? (
        <p className="chat-older">
          <button type="button" className="btn" onClick={loadOlder} disabled={loadingOlder}>
            {loadingOlder ? t('chat.loadingOlder') : t('chat.loadOlder')}
          </button>
        </p>
      ) : (
        <p className="chat-older muted">{t('chat.beginning')}</p>
      )}
      <ol className="chat-messages">
        {messages.map((m) => {
          const mine = m.sender?.id === viewerId;
          const who = mine ? t('chat.you') : (m.sender?.nickname ?? t('chat.deletedUser'));
          return (
            <li key={m.id} className={mine ? 'chat-message is-mine' : 'chat-message'} data-testid="chat-message">
              <p className="chat-meta">
                <span className="chat-sender">{who}</span>{' '}
                <time dateTime={m.createdAt} className="muted">
                  {f.date(m.createdAt)}
                </time>
              </p>
              <p className="chat-body">{m.body}</p>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
