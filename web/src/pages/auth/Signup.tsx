import { useState } from 'react';
import { Navigate } from 'react-router-dom';
import { useAuth } from '../../auth';
import { useLocale, useT } from '../../i18n';
import { AuthField, AuthFormEnd, useAuthForm } from './authForm';

export default function Signup() {
  const t = useT();
  const locale = useLocale();
  const { signUp } = useAuth();
  const { next, busy, error, submit, signedIn } = useAuthForm('auth.signupFailed');
  const [email, setEmail] = useState('');
  const [nickname, setNickname] = useState('');
  const [password, setPassword] = useState('');

  if (signedIn) return <Navigate to={next} replace />;

  const signUpNow = () =>
    signUp({ email: email.trim(), nickname: nickname.trim(), password, locale: locale === 'ko' ? 'KO' : 'EN' });

  return (
    <section className="page auth-page">
      <form className="card stack form" onSubmit={submit(signUpNow)}>
        <h1>{t('auth.signupTitle')}</h1>
        <AuthField id="signup-email" label={t('auth.email')} type="email" autoComplete="email" value={email} onChange={setEmail} />
        <AuthField
          id="signup-nickname"
          label={t('auth.nickname')}
          hint={t('auth.nicknameHint')}
          autoComplete="nickname"
          minLength={2}
          maxLength={40}
          value={nickname}
          onChange={setNickname}
        />
        <AuthField
          id="signup-password"
          label={t('auth.password')}
          hint={t('auth.passwordHint')}
          type="password"
          autoComplete="new-password"
          minLength={10}
          maxLength={128}
          value={password}
          onChange={setPassword}
        />
        <AuthFormEnd
          busy={busy}
          error={error}
          submitLabel={t('auth.submitSignup')}
          prompt={t('auth.haveAccount')}
          to="/login"
          linkLabel={t('auth.toLogin')}
          next={next}
        />
      </form>
    </section>
  );
}
