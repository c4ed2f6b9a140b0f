import { lazy, Suspense, type ReactNode } from 'react';
import { Route, Routes } from 'react-router-dom';
import { RequireAuth } from './auth';
import Layout from './components/Layout';
import { Loading } from './components/Loading';
import NotFound from './pages/NotFound';

const ProductList = lazy(() => import('./pages/shop/ProductList'));
const ProductPage = lazy(() => import('./pages/shop/ProductPage'));
const Wishlist = lazy(() => import('./pages/shop/Wishlist'));
const Cart = lazy(() => import('./pages/shop/Cart'));
const CustomCarts = lazy(() => import('./pages/shop/CustomCarts'));
const CustomCart = lazy(() => import('./pages/shop/CustomCart'));
const Checkout = lazy(() => import('./pages/shop/Checkout'));
const Orders = lazy(() => import('./pages/shop/Orders'));
const HomeFeed = lazy(() => import('./pages/community/HomeFeed'));
const NewPost = lazy(() => import('./pages/community/NewPost'));
const GenerateDesign = lazy(() => import('./pages/community/GenerateDesign'));
const DesignPage = lazy(() => import('./pages/community/DesignPage'));
const PostPage = lazy(() => import('./pages/community/PostPage'));
const Profile = lazy(() => import('./pages/community/Profile'));
const Notifications = lazy(() => import('./pages/realtime/Notifications'));
const ChatList = lazy(() => import('./pages/chat/ChatList'));
const Conversation = lazy(() => import('./pages/chat/Conversation'));
const SearchPage = lazy(() => import('./pages/search/SearchPage'));
const Assistant = lazy(() => import('./pages/assistant/Assistant'));
const SellerHome = lazy(() => import('./pages/seller/SellerHome'));
const ProductEditor = lazy(() => import('./pages/seller/ProductEditor'));
const AdminHome = lazy(() => import('./pages/admin/AdminHome'));
const Login = lazy(() => import('./pages/auth/Login'));
const Signup = lazy(() => import('./pages/auth/Signup'));

function page(node: ReactNode) {
  return <Suspense fallback={<Loading />}>{node}</Suspense>;
}

/** A page that needs a signed-in user (others redirect to /login?next=…). */
function authed(node: ReactNode) {
  return page(<RequireAuth>{node}</RequireAuth>);
}

export default function AppRoutes() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={page(<ProductList />)} />
        <Route path="products/:id" element={page(<ProductPage />)} />
        <Route path="wishlist" element={authed(<Wishlist />)} />
        <Route path="cart" element={authed(<Cart />)} />
        <Route path="carts" element={authed(<CustomCarts />)} />
        <Route path="carts/:id" element={page(<CustomCart />)} />
        <Route path="checkout" element={authed(<Checkout />)} />
        <Route path="orders" element={authed(<Orders />)} />
        <Route path="community" element={page(<HomeFeed />)} />
        <Route path="community/new" element={authed(<NewPost />)} />
        <Route path="designs/new" element={authed(<GenerateDesign />)} />
        <Route path="designs/:id" element={page(<DesignPage />)} />
        <Route path="posts/:id" element={page(<PostPage />)} />
        <Route path="users/:id" element={page(<Profile />)} />
        <Route path="notifications" element={authed(<Notifications />)} />
        <Route path="chat" element={authed(<ChatList />)} />
        <Route path="chat/:id" element={authed(<Conversation />)} />
        <Route path="search" element={page(<SearchPage />)} />
        <Route path="assistant" element={authed(<Assistant />)} />
        <Route path="seller" element={authed(<SellerHome />)} />
        <Route path="seller/products/:id" element={authed(<ProductEditor />)} />
        <Route path="admin" element={authed(<AdminHome />)} />
        <Route path="login" element={page(<Login />)} />
        <Route path="signup" element={page(<Signup />)} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
