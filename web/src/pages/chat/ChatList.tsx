import { useEffect, useRef, useState } from 'react';
import { NetworkStatus, useMutation, useQuery } from '@apollo/client';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { ChatConversationsDocument, ChatStartConversationDocument } from '../../gql/graphql';
import { RequireAuth, useAuth } from '../../auth';
import { useFormat, useT } from '../../i18n';
import ErrorNote from '../../components/ErrorNote';
import LoadMore from '../../components/LoadMore';
import { conversationName } from './names';
import StartConversation from './StartConversation';
import { useChatListLive } from './useChatListLive';
import '../../styles/chat.css';

/** /chat — the viewer's conversations with unread counts; /chat?with=<userId> opens a direct one. */
export default function ChatList() {
  return (
    <RequireAuth>
      <ChatListView />
    </RequireAuth>
  );
}

function ChatListView() {
  const t = useT();
  const f = useFormat();
  const { user } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const withUser = params.get('with');

  const { data, error, fetchMore, networkStatus, refetch } = useQuery(ChatConversationsDocument, {
    fetchPolicy: 'cache-and-network',
    notifyOnNetworkStatusChange: true,
  });
  useChatListLive(refetch);

  const [start, started] = useMutation(ChatStartConversationDocument);
  const asked = useRef<string | null>(null);
  useEffect(() => {
    if (!withUser || asked.current === withUser || withUser === user?.id) return;
    asked.current = withUser;
    start({ variables: { input: { kind: 'DIRECT', memberIds: [withUser] } } })
      .then((r) => {
        if (r.data) navigate(`/chat/${r.data.startConversation.id}`, { replace: true });
      })
      .catch(() => undefined);
  }, [withUser, user?.id, start, navigate]);

  const [loadingMore, setLoadingMore] = useState(false);
  const conn = data?.myConversations;
  const loadMore = () => {
    if (!conn?.pageInfo.endCursor) return;
    setLoadingMore(true);
    void fetchMore({
      variables: { after: conn.pageInfo.endCursor },
      updateQuery: (prev, { fetchMoreResult }) => {
        const seen = new Set(prev.myConversations.edges.map((e) => e.node.id));
        return {
          ...prev,
          myConversations: {
            ...fetchMoreResult.myConversations,
            edges: [...prev.myConversations.edges, ...fetchMoreResult.myConversations.edges.filter((e) => !seen.has(e.node.id))],
          },
        };
      },
    }).finally(() => setLoadingMore(false));
  };

  return (
    <div className="page chat-page">
      <h1>{t('chat.title')}</h1>
      {withUser && started.loading ? (
        <p role="status" className="muted">
          {t('chat.starting')}
        </p>
      ) : null}
      <ErrorNote area="chat" error={started.error} />

      <section aria-labelledby="chat-conversations-title" className="chat-section">
        <h2 id="chat-conversations-title">{t('chat.conversations')}</h2>
        <ErrorNote area="chat" error={error} />
        {!conn && networkStatus === NetworkStatus.loading ? (
          <p role="status" className="muted">
            {t('common.loading')}
          </p>
        ) : null}
        {conn && conn.edges.length === 0 ? <p>{t('chat.noConversations')}</p> : null}
        {conn && conn.edges.length > 0 ? (
          <ul className="chat-conversations">
            {conn.edges.map(({ node: c }) => {
              const name = conversationName(t, c, user?.id);
              const last = c.lastMessage;
              const sender = last ? (last.sender?.id === user?.id ? t('chat.you') : (last.sender?.nickname ?? t('chat.deletedUser'))) : '';
              return (
                <li key={c.id} className={c.unreadCount > 0 ? 'card chat-conv has-unread' : 'card chat-conv'}>
                  <div className="chat-conv-main">
                    <Link to={`/chat/${c.id}`} className="chat-conv-link">
                      {name}
                    </Link>
                    <p className="chat-conv-last muted">
                      {last ? t('chat.lastFrom', { name: sender, body: last.body }) : t('chat.noMessagesYet')}
                    </p>
                  </div>
                  <div className="chat-conv-side">
                    <time dateTime={c.activityAt} className="muted">
                      {f.date(c.activityAt)}
                    </time>
                    {c.unreadCount > 0 ? <span className="badge chat-unread">{t('chat.unread', { count: c.unreadCount })}</span> : null}
                  </div>
                </li>
              );
            })}
          </ul>
        ) : null}
        <LoadMore look="chat" hasMore={Boolean(conn?.pageInfo.hasNextPage)} loading={loadingMore} onLoadMore={loadMore} />
      </section>

      <StartConversation viewerId={user?.id} />
    </div>
  );
}
