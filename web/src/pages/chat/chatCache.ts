import type { ApolloCache } from '@apollo/client';
import { client } from '../../apollo';
import { ChatConversationDocument, ChatConversationsDocument, NotificationBadgeDocument } from '../../gql/graphql';
import { getNotificationState, markLocal } from '../../realtime/notificationStore';

/*
 * The server runs the contract's documents as written (no `__typename`), so
 * the cache cannot normalise entities: a changed unread count is written
 * into each query that shows it.
 */

/** Sets a conversation's unread count in the list and in the conversation's own query. */
export function setUnread(cache: ApolloCache<unknown>, conversationId: string, unreadCount: number): void {
  cache.updateQuery({ query: ChatConversationsDocument }, (prev) => {
    if (!prev?.myConversations.edges.some((e) => e.node.id === conversationId && e.node.unreadCount !== unreadCount)) return prev;
    return {
      ...prev,
      myConversations: {
        ...prev.myConversations,
        edges: prev.myConversations.edges.map((e) =>
          e.node.id === conversationId ? { ...e, node: { ...e.node, unreadCount } } : e,
        ),
      },
    };
  });
  cache.updateQuery({ query: ChatConversationDocument, variables: { id: conversationId } }, (prev) =>
    prev && prev.conversation.unreadCount !== unreadCount ? { ...prev, conversation: { ...prev.conversation, unreadCount } } : prev,
  );
}

/**
 * Reading a conversation to its end also reads its MESSAGE notifications on
 * the server; the bell of this tab learns it here (the other tabs through
 * `deviceSync`).
 */
export async function syncBellAfterRead(conversationId: string): Promise<void> {
  const ids = getNotificationState()
    .items.filter((n) => n.kind === 'MESSAGE' && n.subjectId === conversationId && !n.read)
    .map((n) => n.id);
  try {
    const { data } = await client.query({ query: NotificationBadgeDocument, fetchPolicy: 'network-only' });
    markLocal(ids, data?.unreadNotificationCount);
  } catch {
    /* the bell reconciles on its next event */
  }
}
