import { useState } from 'react';
import { useQuery } from '@apollo/client';
import { Link } from 'react-router-dom';
import { AssistantConversationsDocument } from '../../gql/graphql';
import { useFormat, useT } from '../../i18n';
import ErrorNote from '../../components/ErrorNote';
import LoadMore from '../../components/LoadMore';

/** The viewer's earlier conversations with the assistant, newest first. */
export default function History({ current }: { current: string | null }) {
  const t = useT();
  const f = useFormat();
  const { data, error, loading, fetchMore } = useQuery(AssistantConversationsDocument, { fetchPolicy: 'cache-and-network' });
  const [more, setMore] = useState(false);
  const conn = data?.assistantConversations;

  const loadMore = () => {
    if (!conn?.pageInfo.endCursor) return;
    setMore(true);
    void fetchMore({
      variables: { after: conn.pageInfo.endCursor },
      updateQuery: (prev, { fetchMoreResult }) => {
        const seen = new Set(prev.assistantConversations.edges.map((e) => e.node.id));
        return {
          ...prev,
          assistantConversations: {
            ...fetchMoreResult.assistantConversations,
            edges: [
              ...prev.assistantConversations.edges,
              ...fetchMoreResult.assistantConversations.edges.filter((e) => !seen.has(e.node.id)),
            ],
          },
        };
      },
    }).finally(() => setMore(false));
  };

  return (
    <nav className="assistant-history" aria-labelledby="assistant-history-title">
      <h2 id="assistant-history-title">{t('assistant.history')}</h2>
      <p>
        <Link to="/assistant" className="btn" aria-current={current === null ? 'page' : undefined}>
          {t('assistant.newConversation')}
        </Link>
      </p>
      <ErrorNote area="chat" error={error} />
      {loading && !conn ? <p className="muted">{t('common.loading')}</p> : null}
      {conn && conn.edges.length === 0 ? <p className="muted">{t('assistant.noHistory')}</p> : null}
      {conn && conn.edges.length > 0 ? (
        <ul>
          {conn.edges.map(({ node }) => (
            <li key={node.id}>
              <Link to={`/assistant?c=${encodeURIComponent(node.id)}`} aria-current={current === node.id ? 'page' : undefined}>
                {node.title}
              </Link>{' '}
              <time className="muted" dateTime={node.updatedAt}>
                {f.date(node.updatedAt)}
              </time>
            </li>
          ))}
        </ul>
      ) : null}
      <LoadMore look="chat" hasMore={Boolean(conn?.pageInfo.hasNextPage)} loading={more} onLoadMore={loadMore} auto={false} />
    </nav>
  );
}
