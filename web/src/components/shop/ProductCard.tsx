import { Link } from 'react-router-dom';
import { useFormat, useT } from '../../i18n';
import ProductImage, { type ImageLike } from './ProductImage';
import Rating from './Rating';
import WishlistButton from './WishlistButton';

export type CardProduct = {
  id: string;
  name: string;
  price: number;
  rating?: number | null;
  reviewCount?: number | null;
  inStock?: boolean | null;
  inMyWishlist?: boolean | null;
  store?: { name: string } | null;
  images: readonly ImageLike[];
};

/** One product in a grid: photo, name (the link), store, price, rating, wishlist toggle. */
export default function ProductCard({ product, eager = false }: { product: CardProduct; eager?: boolean }) {
  const t = useT();
  const format = useFormat();
  return (
    <article className="shop-card card" data-testid="product-card">
      <ProductImage image={product.images[0]} alt={product.name} eager={eager} className="shop-card-img" />
      <div className="shop-card-body">
        <h3 className="shop-card-title">
          <Link to={`/products/${encodeURIComponent(product.id)}`} className="shop-card-link">
            {product.name}
          </Link>
        </h3>
        {product.store && <p className="shop-card-store muted">{product.store.name}</p>}
        <p className="shop-card-price">
          <span className="visually-hidden">{t('shop.price')}: </span>
          {format.price(product.price)}
        </p>
        <div className="shop-card-meta">
          {product.rating !== undefined && <Rating rating={product.rating} count={product.reviewCount} />}
          {product.inStock === false && <span className="badge shop-badge-out">{t('shop.soldOut')}</span>}
        </div>
      </div>
      {product.inMyWishlist != null && (
        <div className="shop-card-actions">
          <WishlistButton
            productId={product.id}
            productName={product.name}
            inWishlist={product.inMyWishlist}
            compact
          />
        </div>
      )}
    </article>
  );
}
