import { Link } from 'react-router-dom';
import { useT } from '../i18n';

export default function NotFound() {
  const t = useT();
  return (
    <section className="page stack">
      <h1>{t('common.notFoundTitle')}</h1>
      <p>{t('common.notFoundBody')}</p>
      <p>
        <Link to="/">{t('common.backHome')}</Link>
      </p>
    </section>
  );
}
