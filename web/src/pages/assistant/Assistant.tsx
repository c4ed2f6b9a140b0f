import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useApolloClient, useMutation, useQuery } from '@apollo/client';
import { useSearchParams } from 'react-router-dom';
import {
  AssistantAskDocument,
  AssistantConversationsDocument,
  AssistantThreadDocument,
  type AssistantAskMutation,
  type AssistantThreadQuery,
} from '../../gql/graphql';
import { RequireAuth } from '../../auth';
import { useT } from '../../i18n';
import ErrorNote from '../../components/ErrorNote';
import LoadMore from '../../components/LoadMore';
import AnswerItem, { type AssistantMessage } from './AnswerItem';
import History from './History';
import '../../styles/assistant.css';

/** The length `askAssistant` accepts. */
const MAX_QUESTION = 1000;
const PAGE = 50;

/** /assistant[?c=<conversation>] — ask the help assistant and watch the answer stream in. */
export default function Assistant() {
  return (
    <RequireAuth>
      <AssistantView />
    </RequireAuth>
  );
}

type Thread = AssistantThreadQuery['assistantConversation'];

function AssistantView() {
  const t = useT();
  const id = useId();
  const client = useApolloClient();
  const [params, setParams] = useSearchParams();
  const current = params.get('c');
  const input = useRef<HTMLTextAreaElement>(null);

  const thread = useQuery(AssistantThreadDocument, { variables: { id: current ?? '', first: PAGE }, skip: !current });
  const [ask, asking] = useMutation(AssistantAskDocument);
  const [question, setQuestion] = useState('');
  const [loadingMore, setLoadingMore] = useState(false);
  const tooLong = question.trim().length > MAX_QUESTION;

  /** Shows the new question and its PENDING answer at once, without another round trip. */
  const remember = (p: AssistantAskMutation['askAssistant']) => {
    const variables = { id: p.conversation.id, first: PAGE };
    const added = [
      { __typename: 'AssistantMessageEdge' as const, node: p.question },
      { __typename: 'AssistantMessageEdge' as const, node: p.answer },
    ];
    const cached = client.readQuery({ query: AssistantThreadDocument, variables });
    if (cached) {
      const c = cached.assistantConversation;
      if (c.messages.pageInfo.hasNextPage) {
        void client.refetchQueries({ include: [AssistantThreadDocument] });
        return;
      }
      client.writeQuery({
        query: AssistantThreadDocument,
        variables,
        data: { ...cached, assistantConversation: { ...c, messages: { ...c.messages, edges: [...c.messages.edges, ...added] } } },
      });
    } else if (p.conversation.id !== current) {
      // A new conversation: these two are all it has.
      const pageInfo = { __typename: 'PageInfo' as const, hasNextPage: false, endCursor: null };
      client.writeQuery({
        query: AssistantThreadDocument,
        variables,
        data: {
          __typename: 'Query',
          assistantConversation: {
            __typename: 'AssistantConversation',
            id: p.conversation.id,
            title: p.conversation.title,
            messages: {
              __typename: 'AssistantMessageConnection',
              pageInfo,
              edges: added,
            },
          },
        },
      });
    }
  };

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    const q = question.trim();
    if (!q || tooLong || asking.loading) return;
    try {
      const r = await ask({ variables: { input: { question: q, conversationId: current ?? undefined } } });
      const p = r.data?.askAssistant;
      if (!p) return;
      setQuestion('');
      remember(p);
      if (p.conversation.id !== current) {
        setParams({ c: p.conversation.id });
        void client.refetchQueries({ include: [AssistantConversationsDocument] });
      }
      input.current?.focus();
    } catch {
      // shown through asking.error
    }
  };

  /** A finished answer replaces its PENDING/STREAMING copy in the thread. */
  const finished = (done: AssistantMessage) => {
    if (!current) return;
    client.cache.updateQuery({ query: AssistantThreadDocument, variables: { id: current, first: PAGE } }, (prev) => {
      if (!prev) return prev;
      const c = prev.assistantConversation;
      return {
        ...prev,
        assistantConversation: {
          ...c,
          messages: { ...c.messages, edges: c.messages.edges.map((e) => (e.node.id === done.id ? { ...e, node: done } : e)) },
        },
      };
    });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  };

  const conv: Thread | undefined = current ? thread.data?.assistantConversation : undefined;
  const messages = conv?.messages.edges.map((e) => e.node) ?? [];
  const lastAnswerId = [...messages].reverse().find((m) => m.role === 'ASSISTANT')?.id;

  const loadMore = () => {
    const end = conv?.messages.pageInfo.endCursor;
    if (!end) return;
    setLoadingMore(true);
    void thread
      .fetchMore({
        variables: { after: end },
        updateQuery: (prev, { fetchMoreResult }) => {
          const a = prev.assistantConversation;
          const b = fetchMoreResult.assistantConversation;
          const seen = new Set(a.messages.edges.map((x) => x.node.id));
          return {
            ...prev,
            assistantConversation: {
              ...a,
              messages: { ...b.messages, edges: [...a.messages.edges, ...b.messages.edges.filter((x) => !seen.has(x.node.id))] },
            },
          };
        },
      })
      .finally(() => setLoadingMore(false));
  };

  return (
    <div className="page assistant-page">
      <div className="assistant-layout">
        <div className="assistant-main">
          <h1>{t('assistant.title')}</h1>
          {conv ? <p className="assistant-conv-title">{t('assistant.conversationTitle', { title: conv.title })}</p> : <p className="muted">{t('assistant.intro')}</p>}
          <ErrorNote area="chat" error={current ? thread.error : undefined} />
          {current && thread.loading && !conv ? (
            <p role="status" className="muted">
              {t('common.loading')}
            </p>
          ) : null}
          {messages.length > 0 ? (
            <ol className="assistant-thread">
              {messages.map((m) =>
                m.role === 'USER' ? (
                  <li key={m.id} className="assistant-question">
                    <p className="assistant-who">{t('assistant.you')}</p>
                    <p className="assistant-text">{m.content}</p>
                  </li>
                ) : (
                  <li key={m.id}>
                    <AnswerItem message={m} latest={m.id === lastAnswerId} onDone={finished} />
                  </li>
                ),
              )}
            </ol>
          ) : null}
          <LoadMore look="chat" hasMore={Boolean(conv?.messages.pageInfo.hasNextPage)} loading={loadingMore} onLoadMore={loadMore} auto={false} />

          <form className="assistant-ask" onSubmit={submit}>
            <label htmlFor={`${id}-q`}>{t('assistant.questionLabel')}</label>
            <textarea
              ref={input}
              id={`${id}-q`}
              rows={3}
              value={question}
              placeholder={t('assistant.questionPlaceholder')}
              onChange={(e) => setQuestion(e.target.value)}
              onKeyDown={onKeyDown}
              aria-invalid={tooLong || undefined}
              aria-describedby={tooLong ? `${id}-long` : undefined}
            />
            {tooLong ? (
              <p id={`${id}-long`} className="h4-error" role="alert">
                {t('assistant.tooLong', { max: MAX_QUESTION })}
              </p>
            ) : null}
            <button type="submit" className="btn btn-primary" disabled={asking.loading || !question.trim() || tooLong}>
              {asking.loading ? t('assistant.asking') : t('assistant.ask')}
            </button>
            <ErrorNote area="chat" error={asking.error} />
          </form>
        </div>
        <History current={current} />
      </div>
    </div>
  );
}
