import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useMutation } from '@apollo/client';
import { ChatSendMessageDocument, ChatSetTypingDocument, type ChatSendMessageMutation } from '../../gql/graphql';
import { useT } from '../../i18n';
import ErrorNote from '../../components/ErrorNote';

type Sent = ChatSendMessageMutation['sendMessage'];

/** Re-announce typing at most this often (the server drops a typing state after 5 s). */
const TYPING_REFRESH_MS = 3000;
/** Tell the others typing stopped after this long without a keystroke. */
const TYPING_IDLE_MS = 4000;

/**
 * The message box: Enter sends, Shift+Enter adds a line. While the viewer
 * types, `setTyping(true)` goes out at most every 3 s; it is withdrawn after
 * 4 s without a keystroke, on sending, on clearing the box and on leaving.
 */
export default function Composer({ conversationId, onSent }: { conversationId: string; onSent: (m: Sent) => void }) {
  const t = useT();
  const id = useId();
  const [body, setBody] = useState('');
  const [send] = useMutation(ChatSendMessageDocument);
  const [setTyping] = useMutation(ChatSetTypingDocument);

  const lastSent = useRef(0); // when `typing: true` last went out (0: not typing)
  const idle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const convRef = useRef(conversationId);
  convRef.current = conversationId;

  const stopTyping = () => {
    clearTimeout(idle.current);
    if (lastSent.current === 0) return;
    lastSent.current = 0;
    void setTyping({ variables: { conversationId: convRef.current, typing: false } }).catch(() => undefined);
  };

  const typed = (text: string) => {
    if (!text.trim()) {
      stopTyping();
      return;
    }
    const now = Date.now();
    if (now - lastSent.current >= TYPING_REFRESH_MS) {
      lastSent.current = now;
      void setTyping({ variables: { conversationId: convRef.current, typing: true } }).catch(() => undefined);
    }
    clearTimeout(idle.current);
    idle.current = setTimeout(stopTyping, TYPING_IDLE_MS);
  };

  // Leaving the conversation (or the page) withdraws the typing state there.
  useEffect(
    () => () => {
      clearTimeout(idle.current);
      if (lastSent.current === 0) return;
      lastSent.current = 0;
      void setTyping({ variables: { conversationId, typing: false } }).catch(() => undefined);
    },
    [conversationId, setTyping],
  );

  // Sends go out one after another (in the order written); the box clears at once.
  const queue = useRef<Promise<void>>(Promise.resolve());
  const [pending, setPending] = useState(0);
  const [error, setError] = useState<unknown>(null);

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    const text = body.trim();
    if (!text) return;
    stopTyping();
    setBody('');
    setError(null);
    setPending((n) => n + 1);
    const target = conversationId;
    queue.current = queue.current.then(async () => {
      try {
        const result = await send({ variables: { conversationId: target, body: text } });
        if (result.data) onSent(result.data.sendMessage);
      } catch (err) {
        setError(err);
        // Nothing written is lost: the unsent text comes back when the box is empty.
        if (convRef.current === target) setBody((b) => (b ? b : text));
      } finally {
        setPending((n) => n - 1);
      }
    });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };

  return (
    <form className="chat-composer" onSubmit={submit} aria-busy={pending > 0}>
      <label htmlFor={`${id}-body`} className="visually-hidden">
        {t('chat.messageLabel')}
      </label>
      <textarea
        id={`${id}-body`}
        rows={2}
        value={body}
        placeholder={t('chat.messagePlaceholder')}
        aria-describedby={`${id}-hint`}
        onChange={(e) => {
          setBody(e.target.value);
          typed(e.target.value);
        }}
        onBlur={() => stopTyping()}
        onKeyDown={onKeyDown}
        maxLength={4000}
      />
      <button type="submit" className="btn btn-primary" disabled={!body.trim()}>
        {t('chat.send')}
      </button>
      <p id={`${id}-hint`} className="muted chat-hint">
        {pending > 0 ? t('chat.sending') : t('chat.sendHint')}
      </p>
      <ErrorNote area="chat" error={error} />
    </form>
  );
}
