import { useMutation, useQuery } from '@apollo/client';
import { useId, useState } from 'react';
import { useAuth } from '../../auth';
import {
  ReactToRecommendationDocument,
  RecommendedProductsDocument,
  SimilarProductsDocument,
} from '../../gql/graphql';
import { useT } from '../../i18n';
import ProductGrid from './ProductGrid';

/** Products the model places near this one (nothing when the product is not in the model). */
export function SimilarProducts({ productId }: { productId: string }) {
  const t = useT();
  const id = useId();
  const { data } = useQuery(SimilarProductsDocument, { variables: { id: productId, first: 6 } });
  const products = data?.similarProducts?.edges.map((e) => e.node) ?? [];
  if (products.length === 0) return null;
  return (
    <section className="shop-section" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('shop.similarProducts')}</h2>
      <ProductGrid products={products} />
    </section>
  );
}

/**
 * Products for the viewer (personalised when signed in, popular otherwise), without this one.
 * A signed-in viewer can say "Not interested": the product leaves the list now and the
 * recommender's next answers.
 */
export function RecommendedProducts({ excludeId }: { excludeId?: string }) {
  const t = useT();
  const id = useId();
  const { user } = useAuth();
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const { data } = useQuery(RecommendedProductsDocument, { variables: { first: 7 } });
  const [react] = useMutation(ReactToRecommendationDocument);
  const products = (data?.recommendedProducts.edges.map((e) => e.node) ?? [])
    .filter((p) => p.id !== excludeId && !dismissed.has(p.id))
    .slice(0, 6);
  if (products.length === 0) return null;
  const strategy = data?.recommendedProducts.strategy;
  const notInterested = (productId: string) => {
    setDismissed((prev) => new Set(prev).add(productId));
    void react({ variables: { productId, reaction: 'NOT_INTERESTED' } }).catch(() =>
      setDismissed((prev) => {
        const next = new Set(prev);
        next.delete(productId);
        return next;
      }),
    );
  };
  return (
    <section className="shop-section" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('shop.recommendedProducts')}</h2>
      {strategy && <p className="muted">{t(`shop.strategy_${strategy}`)}</p>}
      <ProductGrid
        products={products}
        action={
          user
            ? (p) => (
                <button type="button" className="btn shop-not-interested" onClick={() => notInterested(p.id)}>
                  {t('shop.notInterested')}
                  <span className="visually-hidden">: {p.name}</span>
                </button>
              )
            : undefined
        }
      />
    </section>
  );
}
