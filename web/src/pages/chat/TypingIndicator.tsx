import { useT } from '../../i18n';
import type { Typer } from './useTypingMembers';

/** "X is typing…" in a polite live region; empty (and so hidden) when nobody types. */
export default function TypingIndicator({ typers }: { typers: Typer[] }) {
  const t = useT();
  const names = typers.map((x) => x.nickname ?? t('chat.someone'));
  let text = '';
  if (names.length === 1) text = t('chat.typingOne', { name: names[0] });
  else if (names.length === 2) text = t('chat.typingTwo', { a: names[0], b: names[1] });
  else if (names.length > 2) text = t('chat.typingMany');
  return (
    <div className="chat-typing-slot">
      <p className="chat-typing" data-testid="typing-indicator" aria-live="polite" aria-atomic="true">
        {text}
      </p>
    </div>
  );
}
