import { useQuery } from '@apollo/client';
import { Link, useParams } from 'react-router-dom';
import { ShopProductPageDocument } from '../../gql/graphql';
import { useLocale, useT } from '../../i18n';
import ErrorNote from '../../components/ErrorNote';
import Gallery from '../../components/shop/Gallery';
import ProductGrid from '../../components/shop/ProductGrid';
import PurchasePanel from '../../components/shop/PurchasePanel';
import Rating from '../../components/shop/Rating';
import { RecommendedProducts, SimilarProducts } from '../../components/shop/Recommendations';
import ReviewsSection from '../../components/shop/ReviewsSection';
import ShortsSection from '../../components/shop/ShortsSection';
import '../../styles/shop.css';

/** A product: photos, details, options and buying, its shorts, reviews, related and recommended products. */
export default function ProductPage() {
  const t = useT();
  const locale = useLocale();
  const { id = '' } = useParams();
  const { data, loading, error, refetch } = useQuery(ShopProductPageDocument, { variables: { id } });
  const product = data?.product;

  if (loading && !data) {
    return (
      <div className="page">
        <p className="muted" role="status">{t('common.loading')}</p>
      </div>
    );
  }
  if (!product) {
    return (
      <div className="page">
        <h1>{t('shop.productNotFound')}</h1>
        <ErrorNote area="shop" error={error} onRetry={() => void refetch()} />
        <p><Link to="/">{t('common.backHome')}</Link></p>
      </div>
    );
  }

  const category = product.category ? (locale === 'ko' ? product.category.nameKo : product.category.name) : null;
  return (
    <div className="page shop-product-page">
      <nav aria-label={t('shop.breadcrumb')} className="shop-breadcrumb">
        <ol className="row">
          <li><Link to="/">{t('shop.catalogTitle')}</Link></li>
          {product.category && category && (
            <li><Link to={`/?category=${encodeURIComponent(product.category.id)}`}>{category}</Link></li>
          )}
          <li aria-current="page">{product.name}</li>
        </ol>
      </nav>
      <div className="shop-product-top">
        <Gallery images={product.images} name={product.name} />
        <div className="shop-product-info stack">
          <h1>{product.name}</h1>
          {product.store && <p className="muted">{t('shop.soldBy', { store: product.store.name })}</p>}
          <p>
            <Rating rating={product.rating} count={product.reviewCount} />
            <span className="muted"> · 
              {t('shop.popularity', { sold: product.soldCount, wished: product.wishlistCount })}
            </span>
          </p>
          <PurchasePanel product={product} />
          <section aria-label={t('shop.details')} className="shop-details">
            <h2>{t('shop.details')}</h2>
            <p className="shop-description">{product.description}</p>
            <dl className="shop-specs">
              <dt>{t('shop.filterGender')}</dt>
              <dd>{t(`shop.gender_${product.gender}`)}</dd>
              {product.colors.length > 0 && (
                <>
                  <dt>{t('shop.colors')}</dt>
                  <dd>{product.colors.map((c) => translated(t, `common.color_${c}`, c)).join(', ')}</dd>
                </>
              )}
              {product.seasons.length > 0 && (
                <>
                  <dt>{t('shop.filterSeason')}</dt>
                  <dd>{product.seasons.map((s) => t(`shop.season_${s}`)).join(', ')}</dd>
                </>
              )}
              {product.fiberComposition.length > 0 && (
                <>
                  <dt>{t('shop.fiber')}</dt>
                  <dd>{product.fiberComposition.map((f) => `${f.fiber} ${f.percent}%`).join(', ')}</dd>
                </>
              )}
              {product.specTags.length > 0 && (
                <>
                  <dt>{t('shop.features')}</dt>
                  <dd>{product.specTags.join(', ')}</dd>
                </>
              )}
            </dl>
          </section>
        </div>
      </div>
      <ShortsSection productId={product.id} />
      <ReviewsSection productId={product.id} rating={product.rating ?? null} reviewCount={product.reviewCount} />
      {product.relatedProducts.length > 0 && (
        <section className="shop-section" aria-labelledby="shop-related-h">
          <h2 id="shop-related-h">{t('shop.relatedProducts')}</h2>
          <ProductGrid products={product.relatedProducts} />
        </section>
      )}
      <SimilarProducts productId={product.id} />
      <RecommendedProducts excludeId={product.id} />
    </div>
  );
}

function translated(t: (k: string) => string, key: string, fallback: string): string {
  const text = t(key);
  return text === key ? fallback : text;
}
