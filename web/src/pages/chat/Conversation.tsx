import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useApolloClient, useMutation, useQuery, useSubscription } from '@apollo/client';
import { Link, useParams } from 'react-router-dom';
import {
  ChatConversationDocument,
  ChatMarkReadDocument,
  ChatMessageReceivedDocument,
  ChatMessagesDocument,
  type ChatMessagesQuery,
} from '../../gql/graphql';
import { RequireAuth, useAuth } from '../../auth';
import { useT } from '../../i18n';
import { onWsConnected } from '../../realtime/ws';
import { syncDeviceId } from '../../auth/tokens';
import { setUnread, syncBellAfterRead } from './chatCache';
import Composer from './Composer';
import ErrorNote from '../../components/ErrorNote';
import MessageList, { type ChatMessage } from './MessageList';
import { conversationName, othersOf } from './names';
import PresenceList from './PresenceList';
import TypingIndicator from './TypingIndicator';
import { useTypingMembers } from './useTypingMembers';
import '../../styles/chat.css';

/** /chat/:id — one conversation: messages (older on scroll), live new ones, typing, presence. */
export default function Conversation() {
  return (
    <RequireAuth>
      <ConversationView />
    </RequireAuth>
  );
}

function ConversationView() {
  const t = useT();
  const { id = '' } = useParams();
  const { user } = useAuth();
  const viewerId = user?.id;
  const client = useApolloClient();

  const conv = useQuery(ChatConversationDocument, { variables: { id }, skip: !id });
  const msgs = useQuery(ChatMessagesDocument, { variables: { conversationId: id }, skip: !id });
  const [loadingOlder, setLoadingOlder] = useState(false);
  const { typers, stopped } = useTypingMembers(id, viewerId);
  const [markRead] = useMutation(ChatMarkReadDocument);

  const { updateQuery, fetchMore } = msgs;
  /** Puts a message at the newest end unless it is there already. */
  const addMessage = useCallback(
    (m: ChatMessage) => {
      updateQuery((prev: ChatMessagesQuery) => {
        if (!prev?.messages || prev.messages.edges.some((e) => e.node.id === m.id)) return prev;
        return { ...prev, messages: { ...prev.messages, edges: [{ __typename: 'MessageEdge', node: m }, ...prev.messages.edges] } };
      });
    },
    [updateQuery],
  );

  useSubscription(ChatMessageReceivedDocument, {
    variables: { conversationId: id },
    skip: !id || !viewerId,
    fetchPolicy: 'no-cache',
    onData: ({ data }) => {
      const m = data.data?.messageReceived;
      if (!m || m.conversationId !== id) return;
      addMessage(m);
      if (m.sender) stopped(m.sender.id);
    },
  });

  // Messages sent while the socket was down are not replayed: read the newest page again.
  const { refetch: refetchMessages } = msgs;
  const { refetch: refetchConversation } = conv;
  useEffect(
    () =>
      onWsConnected((again) => {
        if (!again) return;
        void refetchMessages();
        void refetchConversation();
      }),
    [refetchMessages, refetchConversation],
  );

  const loadOlder = () => {
    const end = msgs.data?.messages.pageInfo.endCursor;
    if (!end || loadingOlder) return;
    setLoadingOlder(true);
    void fetchMore({
      variables: { before: end },
      updateQuery: (prev, { fetchMoreResult }) => {
        const seen = new Set(prev.messages.edges.map((e) => e.node.id));
        return {
          ...prev,
          messages: {
            ...fetchMoreResult.messages,
            edges: [...prev.messages.edges, ...fetchMoreResult.messages.edges.filter((e) => !seen.has(e.node.id))],
          },
        };
      },
    }).finally(() => setLoadingOlder(false));
  };

  const edges = msgs.data?.messages.edges;
  const messages = useMemo(() => (edges ? edges.map((e) => e.node).reverse() : []), [edges]);
  const newest = messages[messages.length - 1];
  const unread = conv.data?.conversation.unreadCount ?? 0;

  // Read up to the newest message while the page is in view.
  const readUpTo = useRef<string | null>(null);
  useEffect(() => {
    if (!newest || !id) return;
    const mark = () => {
      if (document.visibilityState !== 'visible' || readUpTo.current === newest.id) return;
      if (newest.sender?.id === viewerId && unread === 0) return;
      readUpTo.current = newest.id;
      markRead({ variables: { conversationId: id, upTo: newest.id, deviceId: syncDeviceId() } })
        .then((r) => {
          const read = r.data?.markConversationRead;
          if (!read) return;
          setUnread(client.cache, read.id, read.unreadCount);
          void syncBellAfterRead(read.id);
        })
        .catch(() => {
          readUpTo.current = null;
        });
    };
    mark();
    document.addEventListener('visibilitychange', mark);
    return () => document.removeEventListener('visibilitychange', mark);
  }, [id, newest, viewerId, unread, markRead, client]);

  const conversation = conv.data?.conversation;
  const others = conversation ? othersOf(conversation.members, viewerId) : [];
  const name = conversation ? conversationName(t, conversation, viewerId) : t('chat.title');

  return (
    <div className="page chat-page">
      <p className="chat-back">
        <Link to="/chat">{t('chat.back')}</Link>
      </p>
      <header className="chat-header">
        <h1>{name}</h1>
        <PresenceList members={others} />
      </header>
      <ErrorNote area="chat" error={conv.error ?? msgs.error} />
      {msgs.loading && !msgs.data ? (
        <p role="status" className="muted">
          {t('common.loading')}
        </p>
      ) : null}
      {msgs.data ? (
        <MessageList
          key={id}
          messages={messages}
          viewerId={viewerId}
          hasOlder={msgs.data.messages.pageInfo.hasNextPage}
          loadingOlder={loadingOlder}
          onLoadOlder={loadOlder}
          label={t('chat.messages')}
        />
      ) : null}
      <TypingIndicator typers={typers} />
      {conversation ? <Composer key={id} conversationId={id} onSent={addMessage} /> : null}
    </div>
  );
}
