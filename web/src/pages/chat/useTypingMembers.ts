import { useCallback, useEffect, useRef, useState } from 'react';
import { useSubscription } from '@apollo/client';
import { ChatTypingDocument } from '../../gql/graphql';

/** The server reports a silent typer as stopped after 5 s; this is the fallback if that event is lost. */
const LOCAL_TIMEOUT_MS = 6000;

export type Typer = { userId: string; nickname: string | null };

/**
 * Who else is typing in a conversation, from the `typing` subscription. An
 * entry leaves on a stop event, on the local timeout, or when `stopped(userId)`
 * is called (their message arrived).
 */
export function useTypingMembers(conversationId: string, viewerId: string | undefined) {
  const [typers, setTypers] = useState<Typer[]>([]);
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());

  const stopped = useCallback((userId: string) => {
    const timer = timers.current.get(userId);
    if (timer) clearTimeout(timer);
    timers.current.delete(userId);
    setTypers((list) => (list.some((x) => x.userId === userId) ? list.filter((x) => x.userId !== userId) : list));
  }, []);

  useEffect(() => {
    const map = timers.current;
    setTypers([]);
    return () => {
      for (const timer of map.values()) clearTimeout(timer);
      map.clear();
    };
  }, [conversationId]);

  useSubscription(ChatTypingDocument, {
    variables: { conversationId },
    skip: !viewerId,
    fetchPolicy: 'no-cache',
    onData: ({ data }) => {
      const ev = data.data?.typing;
      if (!ev || ev.conversationId !== conversationId || ev.userId === viewerId) return;
      if (!ev.typing) {
        stopped(ev.userId);
        return;
      }
      const old = timers.current.get(ev.userId);
      if (old) clearTimeout(old);
      timers.current.set(
        ev.userId,
        setTimeout(() => stopped(ev.userId), LOCAL_TIMEOUT_MS),
      );
      setTypers((list) =>
        list.some((x) => x.userId === ev.userId) ? list : [...list, { userId: ev.userId, nickname: ev.user?.nickname ?? null }],
      );
    },
  });

  return { typers, stopped };
}
