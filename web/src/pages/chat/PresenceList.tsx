import { useMemo, useState } from 'react';
import { useSubscription } from '@apollo/client';
import { ChatPresenceDocument } from '../../gql/graphql';
import { useT } from '../../i18n';

type Member = { id: string; nickname: string };

/**
 * Online/offline of the other members, live: `presenceChanged` starts with
 * each one's current state, then sends every change.
 */
export default function PresenceList({ members }: { members: Member[] }) {
  const t = useT();
  const key = members.map((m) => m.id).sort().join(',');
  const userIds = useMemo(() => (key ? key.split(',') : []), [key]);
  const [online, setOnline] = useState<Record<string, boolean>>({});

  useSubscription(ChatPresenceDocument, {
    variables: { userIds },
    skip: userIds.length === 0,
    fetchPolicy: 'no-cache',
    onData: ({ data }) => {
      const p = data.data?.presenceChanged;
      if (p) setOnline((prev) => (prev[p.userId] === p.online ? prev : { ...prev, [p.userId]: p.online }));
    },
  });

  if (members.length === 0) return null;
  return (
    <ul className="chat-presence-list" aria-label={t('chat.members')}>
      {members.map((m) => {
        const state = online[m.id];
        const word = state === undefined ? t('chat.presenceUnknown') : state ? t('chat.online') : t('chat.offline');
        const cls = state === undefined ? 'is-unknown' : state ? 'is-online' : 'is-offline';
        return (
          <li key={m.id}>
            <span
              className={`chat-presence ${cls}`}
              data-testid="presence"
              data-online={state === undefined ? undefined : String(state)}
              aria-live="polite"
            >
              <span className="chat-presence-dot" aria-hidden="true" />
              {members.length > 1 ? t('chat.presenceOf', { name: m.nickname, state: word }) : word}
            </span>
          </li>
        );
      })}
    </ul>
  );
}
