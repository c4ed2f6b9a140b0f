import { useEffect, useState } from 'react';
import { useSubscription } from '@apollo/client';
import { Link } from 'react-router-dom';
import { AssistantStreamDocument, type AssistantThreadQuery } from '../../gql/graphql';
import { useT } from '../../i18n';
import { onWsConnected } from '../../realtime/ws';

export type AssistantMessage = AssistantThreadQuery['assistantConversation']['messages']['edges'][number]['node'];

/**
 * One answer. While it is PENDING or STREAMING it follows `assistantAnswer`:
 * TOKEN appends, RESTART starts over, DONE carries the stored answer, which
 * `onDone` puts in place of this message (status, sources, confidence), so
 * the same element goes on showing it. The latest answer is the
 * `assistant-answer` live region.
 */
export default function AnswerItem({
  message,
  latest,
  onDone,
}: {
  message: AssistantMessage;
  latest: boolean;
  onDone: (done: AssistantMessage) => void;
}) {
  const t = useT();
  const [text, setText] = useState('');
  const inFlight = message.status === 'PENDING' || message.status === 'STREAMING';

  useSubscription(AssistantStreamDocument, {
    variables: { messageId: message.id },
    skip: !inFlight,
    fetchPolicy: 'no-cache',
    onData: ({ data }) => {
      const ev = data.data?.assistantAnswer;
      if (!ev) return;
      if (ev.kind === 'TOKEN' && ev.delta) setText((s) => s + ev.delta);
      else if (ev.kind === 'RESTART') setText('');
      else if (ev.kind === 'DONE' && ev.message) onDone(ev.message);
    },
  });

  // After a reconnect the stream is subscribed again and starts with the text so far.
  useEffect(() => (inFlight ? onWsConnected((again) => again && setText('')) : undefined), [inFlight]);

  const shown = inFlight ? text : message.content;
  const status = inFlight ? (text ? t('assistant.streaming') : t('assistant.thinking')) : null;

  return (
    <article className={`assistant-answer${message.status === 'FAILED' ? ' is-failed' : ''}`} aria-label={t('assistant.assistant')}>
      <p className="assistant-who">{t('assistant.assistant')}</p>
      <div
        className="assistant-text"
        data-testid={latest ? 'assistant-answer' : undefined}
        aria-live={latest ? 'polite' : undefined}
        aria-busy={latest ? inFlight : undefined}
      >
        {shown}
      </div>
      {status ? (
        <p className="muted assistant-status" role="status">
          {status}
        </p>
      ) : null}
      {!inFlight && message.status === 'FAILED' && !message.content ? <p className="muted">{t('assistant.failed')}</p> : null}
      {!inFlight ? <AnswerDetails message={message} /> : null}
    </article>
  );
}

function AnswerDetails({ message }: { message: AssistantMessage }) {
  const t = useT();
  const meta: string[] = [];
  if (message.mode) meta.push(t(`assistant.mode${message.mode}`));
  if (message.confidence != null) meta.push(t('assistant.confidence', { percent: Math.round(message.confidence * 100) }));
  return (
    <>
      {meta.length ? <p className="muted assistant-meta">{meta.join(' · ')}</p> : null}
      {message.sources.length ? (
        <details className="assistant-sources" open>
          <summary>{t('assistant.sources')}</summary>
          <ol>
            {message.sources.map((s, i) => (
              <li key={`${s.path}-${i}`}>
                <span className="assistant-source-title">{s.heading || s.title}</span>{' '}
                <span className="muted">
                  <code>{s.path}</code>
                </span>
              </li>
            ))}
          </ol>
        </details>
      ) : null}
      {message.offerInquiry ? (
        <p className="assistant-offer">
          {t('assistant.offerInquiry')} <Link to="/chat">{t('assistant.openChat')}</Link>
        </p>
      ) : null}
    </>
  );
}
