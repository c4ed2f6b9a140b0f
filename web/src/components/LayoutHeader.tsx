import { useQuery } from '@apollo/client';
import { Link, NavLink, useNavigate } from 'react-router-dom';
import { useAuth } from '../auth';
import { ShopMyCartDocument } from '../gql/graphql';
import { useT } from '../i18n';
import NotificationBell from './NotificationBell';
import SearchBox from './SearchBox';

function CartLink() {
  const t = useT();
  const { data } = useQuery(ShopMyCartDocument);
  const count = data?.myCart.totalQuantity ?? 0;
  return (
    <Link to="/cart" className="icon-link">
      <span className="visually-hidden">{t('common.cart')}</span>
      <svg aria-hidden="true" width="22" height="22" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
        <circle cx="9" cy="21" r="1" />
        <circle cx="20" cy="21" r="1" />
        <path d="M1 1h4l2.68 13.39a2 2 0 0 0 2 1.61h9.72a2 2 0 0 0 2-1.61L23 6H6" />
      </svg>
      <span className="count-badge" data-testid="cart-count">
        {count}
      </span>
    </Link>
  );
}

export default function LayoutHeader() {
  const t = useT();
  const { user, signOut } = useAuth();
  const navigate = useNavigate();
  const links: [string, string][] = [
    ['/', 'common.navShop'],
    ['/community', 'common.navCommunity'],
    ...(user
      ? ([
          ['/wishlist', 'common.navWishlist'],
          ['/orders', 'common.navOrders'],
          ['/carts', 'common.navCarts'],
          ['/chat', 'common.navChat'],
          ['/assistant', 'common.navAssistant'],
        ] as [string, string][])
      : []),
    ...(user && (user.role === 'SELLER' || user.role === 'ADMIN') ? ([['/seller', 'common.navSeller']] as [string, string][]) : []),
    ...(user?.role === 'ADMIN' ? ([['/admin', 'common.navAdmin']] as [string, string][]) : []),
  ];
  return (
    <header className="site-header">
      <div className="header-top">
        <Link to="/" className="brand">
          {t('common.appName')}
        </Link>
        <div className="header-search">
          <SearchBox />
        </div>
        <div className="header-actions">
          <span className="lang muted">{t('common.language', { language: t('common.languageName') })}</span>
          {user ? (
            <>
              <NotificationBell />
              <CartLink />
              <Link to={`/users/${user.id}`} className="nickname" title={t('common.signedInAs', { name: user.nickname })}>
                {user.nickname}
              </Link>
              <button
                type="button"
                className="btn btn-small"
                onClick={async () => {
                  await signOut();
                  navigate('/');
                }}
              >
                {t('common.signOut')}
              </button>
            </>
          ) : (
            <>
              <Link to="/login" className="btn btn-small btn-primary">
                {t('common.signIn')}
              </Link>
              <Link to="/signup" className="btn btn-small">
                {t('common.signUp')}
              </Link>
            </>
          )}
        </div>
      </div>
      <nav aria-label={t('common.mainNav')} className="main-nav">
        <ul>
          {links.map(([to, key]) => (
            <li key={to}>
              <NavLink to={to} end={to === '/'}>
                {t(key)}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
    </header>
  );
}
