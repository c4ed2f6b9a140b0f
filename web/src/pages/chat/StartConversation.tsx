import { useId, useState, type FormEvent } from 'react';
import { useLazyQuery, useMutation } from '@apollo/client';
import { useNavigate } from 'react-router-dom';
import { ChatFindUsersDocument, ChatStartConversationDocument } from '../../gql/graphql';
import { useT } from '../../i18n';
import ErrorNote from '../../components/ErrorNote';

/** Find people by nickname and open the direct conversation with one of them. */
export default function StartConversation({ viewerId }: { viewerId: string | undefined }) {
  const t = useT();
  const id = useId();
  const navigate = useNavigate();
  const [query, setQuery] = useState('');
  const [asked, setAsked] = useState('');
  const [find, found] = useLazyQuery(ChatFindUsersDocument);
  const [start, started] = useMutation(ChatStartConversationDocument);
  const [startingWith, setStartingWith] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const q = query.trim();
    if (!q) return;
    setAsked(q);
    void find({ variables: { query: q, first: 10 } });
  };

  const open = async (userId: string) => {
    setStartingWith(userId);
    try {
      const r = await start({ variables: { input: { kind: 'DIRECT', memberIds: [userId] } } });
      if (r.data) navigate(`/chat/${r.data.startConversation.id}`);
    } catch {
      // shown below
    } finally {
      setStartingWith(null);
    }
  };

  const people = (found.data?.search.users?.edges ?? []).map((e) => e.node).filter((u) => u.id !== viewerId);

  return (
    <section aria-labelledby={`${id}-title`} className="chat-section">
      <h2 id={`${id}-title`}>{t('chat.startTitle')}</h2>
      <form className="chat-find" onSubmit={submit} role="search" aria-labelledby={`${id}-title`}>
        <label htmlFor={`${id}-q`}>{t('chat.findLabel')}</label>
        <input id={`${id}-q`} type="search" value={query} onChange={(e) => setQuery(e.target.value)} autoComplete="off" />
        <button type="submit" className="btn" disabled={found.loading || !query.trim()}>
          {t('chat.findSubmit')}
        </button>
      </form>
      <ErrorNote area="chat" error={found.error ?? started.error} />
      {found.loading ? (
        <p role="status" className="muted">
          {t('common.loading')}
        </p>
      ) : null}
      {found.data && !found.loading && people.length === 0 ? <p role="status">{t('chat.findNone', { query: asked })}</p> : null}
      {people.length > 0 ? (
        <ul className="chat-people" aria-label={t('chat.findResults')}>
          {people.map((u) => (
            <li key={u.id} className="chat-person">
              {u.profilePhoto ? (
                <img className="chat-avatar" src={u.profilePhoto.thumbnailUrl ?? u.profilePhoto.url} alt="" width={36} height={36} loading="lazy" />
              ) : (
                <span className="chat-avatar chat-avatar-empty" aria-hidden="true" />
              )}
              <span className="chat-person-name">{u.nickname}</span>
              <button type="button" className="btn btn-primary" disabled={startingWith !== null} onClick={() => void open(u.id)}>
                {startingWith === u.id ? t('chat.starting') : t('chat.messageUser', { name: u.nickname })}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
