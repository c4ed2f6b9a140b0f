import { useEffect, useRef } from 'react';
import { useApolloClient, useSubscription } from '@apollo/client';
import { syncDeviceId } from '../../auth/tokens';
import { ChatDeviceSyncDocument } from '../../gql/graphql';
import { useNotifications } from '../../realtime/notifications';
import { onWsConnected } from '../../realtime/ws';
import { setUnread } from './chatCache';

/**
 * Keeps the conversation list current: a new message anywhere arrives as a
 * MESSAGE notification (the list is read again, in its new order, with its
 * counts); a conversation read on another of the viewer's devices gets its
 * unread count from `deviceSync`; after a reconnect the list is read again.
 */
export function useChatListLive(refetch: () => unknown) {
  const client = useApolloClient();
  const refetchRef = useRef(refetch);
  refetchRef.current = refetch;

  const { items } = useNotifications();
  const newestMessage = items.find((n) => n.kind === 'MESSAGE')?.id ?? null;
  const seen = useRef(newestMessage);
  useEffect(() => {
    if (newestMessage === seen.current) return;
    seen.current = newestMessage;
    void refetchRef.current();
  }, [newestMessage]);

  // Read states changed while the socket was down are not replayed.
  useEffect(() => onWsConnected((again) => again && void refetchRef.current()), []);

  useSubscription(ChatDeviceSyncDocument, {
    variables: { deviceId: syncDeviceId() },
    fetchPolicy: 'no-cache',
    onData: ({ data }) => {
      const ev = data.data?.deviceSync;
      if (!ev || ev.kind !== 'CONVERSATION_READ' || !ev.conversationId) return;
      if (ev.unreadMessageCount == null) void refetchRef.current();
      else setUnread(client.cache, ev.conversationId, ev.unreadMessageCount);
    },
  });
}
