import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useT } from '../../i18n';

/**
 * A destructive action in two steps without a browser dialog: the button
 * turns into "Confirm" and "Cancel"; focus moves to the confirmation.
 */
export default function ConfirmButton({
  children,
  question,
  onConfirm,
  disabled = false,
  small = false,
}: {
  children: ReactNode;
  question: string;
  onConfirm: () => void;
  disabled?: boolean;
  small?: boolean;
}) {
  const t = useT();
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  const cls = `btn${small ? ' btn-small' : ''}`;
  if (!asking) {
    return (
      <button type="button" className={cls} disabled={disabled} onClick={() => setAsking(true)}>
        {children}
      </button>
    );
  }
  return (
    <span role="group" aria-label={question} className="row confirm">
      <span className="muted">{question}</span>
      <button
        ref={confirmRef}
        type="button"
        className={`${cls} btn-danger`}
        disabled={disabled}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {t('community.confirm')}
      </button>
      <button type="button" className={cls} onClick={() => setAsking(false)}>
        {t('common.cancel')}
      </button>
    </span>
  );
}
