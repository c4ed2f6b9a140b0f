import { useState } from 'react';
import { Navigate } from 'react-router-dom';
import { useAuth } from '../../auth';
import { useT } from '../../i18n';
import { AuthField, AuthFormEnd, useAuthForm } from './authForm';

export default function Login() {
  const t = useT();
  const { signIn } = useAuth();
  const { next, busy, error, submit, signedIn } = useAuthForm('auth.failed');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  if (signedIn) return <Navigate to={next} replace />;

  return (
    <section className="page auth-page">
      <form className="card stack form" onSubmit={submit(() => signIn(email.trim(), password))} noValidate={false}>
        <h1>{t('auth.loginTitle')}</h1>
        <AuthField id="login-email" label={t('auth.email')} type="email" autoComplete="username" value={email} onChange={setEmail} />
        <AuthField
          id="login-password"
          label={t('auth.password')}
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={setPassword}
        />
        <AuthFormEnd
          busy={busy}
          error={error}
          submitLabel={t('auth.submitLogin')}
          prompt={t('auth.noAccount')}
          to="/signup"
          linkLabel={t('auth.toSignup')}
          next={next}
        />
      </form>
    </section>
  );
}
