import { useState, type FormEvent, type InputHTMLAttributes } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { useAuth } from '../../auth';
import { useT } from '../../i18n';
import { authErrorMessage, safeNext } from './errors';

/**
 * The state of the sign-in and sign-up forms: where to go afterwards (`next`),
 * busy while the request runs, the error in words (`fallbackKey` when no known
 * code), and `submit(action)`, the form's submit handler.
 */
export function useAuthForm(fallbackKey: string) {
  const t = useT();
  const { user, ready } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = (action: () => Promise<unknown>) => async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
      navigate(next, { replace: true });
    } catch (err) {
      setError(authErrorMessage(t, err, fallbackKey));
    } finally {
      setBusy(false);
    }
  };

  /** Already signed in (and not by this form): go on to `next`. */
  const signedIn = ready && !!user && !busy;
  return { next, busy, error, submit, signedIn };
}

/** The end of an auth form: its error, the submit button, and the link to the other form (keeping `next`). */
export function AuthFormEnd({
  busy,
  error,
  submitLabel,
  prompt,
  to,
  linkLabel,
  next,
}: {
  busy: boolean;
  error: string | null;
  submitLabel: string;
  prompt: string;
  to: '/login' | '/signup';
  linkLabel: string;
  next: string;
}) {
  const t = useT();
  return (
    <>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? t('auth.submitting') : submitLabel}
      </button>
      <p className="muted">
        {prompt} <Link to={`${to}${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`}>{linkLabel}</Link>
      </p>
    </>
  );
}

/** A labelled input of an auth form, with its hint read after the label (aria-describedby). */
export function AuthField({
  id,
  label,
  hint,
  value,
  onChange,
  ...input
}: {
  id: string;
  label: string;
  hint?: string;
  value: string;
  onChange: (value: string) => void;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'value' | 'onChange'>) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        required
        aria-describedby={hint ? `${id}-hint` : undefined}
        {...input}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
      {hint && (
        <small id={`${id}-hint`} className="muted">
          {hint}
        </small>
      )}
    </div>
  );
}
