import { useState } from 'react';
import { useApolloClient } from '@apollo/client';
import { Link } from 'react-router-dom';
import { CommentRepliesDocument, PostCommentsDocument, type PostCommentsQuery } from '../../gql/graphql';
import { useAuth } from '../../auth';
import { useT } from '../../i18n';
import CommentForm, { type NewComment } from './CommentForm';
import CommentItem from './CommentItem';
import LoadMore from '../LoadMore';
import ErrorNote from '../ErrorNote';
import { useLoginHref } from './loginLink';
import { usePagedQuery } from '../../usePagedQuery';

const PAGE = 15;
const MAX_REPLIES = 100;
type Conn = PostCommentsQuery['comments'];
type Top = Conn['edges'][number]['node'];

/** A post's comments, oldest first, paged by cursor; adding, replying and deleting edit the loaded list. */
export default function CommentSection({ postId, count }: { postId: string; count: number }) {
  const t = useT();
  const { user } = useAuth();
  const loginHref = useLoginHref();
  const { data, error, loading, updateQuery, loadMore } = usePagedQuery(PostCommentsDocument, 'comments', {
    variables: { postId, first: PAGE },
  });
  const conn = data?.comments;

  const edit = (change: (conn: Conn) => Conn) => updateQuery((prev) => ({ ...prev, comments: change(prev.comments) }));

  const added = (c: NewComment) =>
    edit((conn) => {
      // Oldest first: a new comment belongs at the end, so it is shown now
      // only when the last page is loaded (else it comes with that page).
      if (conn.pageInfo.hasNextPage) return conn;
      // `__typename`s as Apollo stores them (the generated types leave them out).
      const replies = {
        __typename: 'CommentConnection',
        nodes: [],
        pageInfo: { __typename: 'PageInfo', hasNextPage: false, endCursor: null },
      } as Top['replies'];
      const edge = { __typename: 'CommentEdge', cursor: '', node: { ...c, replies } } as Conn['edges'][number];
      return { ...conn, edges: [...conn.edges, edge] };
    });

  const replied = (parentId: string) => (r: NewComment) =>
    edit((conn) => ({
      ...conn,
      edges: conn.edges.map((e) =>
        e.node.id !== parentId
          ? e
          : {
              ...e,
              node: {
                ...e.node,
                replyCount: e.node.replyCount + 1,
                replies: { ...e.node.replies, nodes: [...e.node.replies.nodes, { ...r, parentId }] },
              },
            },
      ),
    }));

  const deleted = (id: string) =>
    edit((conn) => ({
      ...conn,
      edges: conn.edges
        .filter((e) => e.node.id !== id)
        .map((e) => ({ ...e, node: { ...e.node, replies: { ...e.node.replies, nodes: e.node.replies.nodes.filter((r) => r.id !== id) } } })),
    }));

  // Every reply of one comment: the page of one comment after its predecessor's cursor.
  const client = useApolloClient();
  const [repliesError, setRepliesError] = useState<unknown>(null);
  const showReplies = async (id: string, after: string | null) => {
    setRepliesError(null);
    let found;
    try {
      const { data: more, error: failed } = await client.query({
        query: CommentRepliesDocument,
        variables: { postId, after, first: MAX_REPLIES },
        fetchPolicy: 'network-only',
      });
      if (failed) setRepliesError(failed);
      found = more?.comments?.nodes.find((n) => n.id === id);
    } catch (err) {
      setRepliesError(err);
    }
    if (!found) return;
    edit((conn) => ({
      ...conn,
      edges: conn.edges.map((e) =>
        e.node.id === id ? { ...e, node: { ...e.node, replyCount: found.replyCount, replies: found.replies } } : e,
      ),
    }));
  };

  return (
    <section id="comments" aria-labelledby="comments-title" className="stack comments">
      <h2 id="comments-title">{t('community.commentsTitle', { count })}</h2>
      <ErrorNote area="community" error={error ?? repliesError} />
      {loading && !conn && <p className="muted">{t('common.loading')}</p>}
      {conn && conn.edges.length === 0 && <p className="muted">{t('community.noComments')}</p>}
      {conn && conn.edges.length > 0 && (
        <ul className="comment-list">
          {conn.edges.map(({ node }, i) => (
            <CommentItem
              key={node.id}
              comment={node}
              postId={postId}
              replies={node.replies.nodes}
              hiddenReplies={node.replyCount - node.replies.nodes.length}
              onShowReplies={() => void showReplies(node.id, i === 0 ? null : conn.edges[i - 1].cursor)}
              onDeleted={deleted}
              onReplied={replied(node.id)}
            />
          ))}
        </ul>
      )}
      {conn && <LoadMore auto={false} hasMore={conn.pageInfo.hasNextPage} loading={loading} onLoadMore={loadMore} />}
      {user ? (
        <CommentForm postId={postId} onAdded={added} />
      ) : (
        <p>
          <Link to={loginHref}>{t('community.signInToComment')}</Link>
        </p>
      )}
    </section>
  );
}
