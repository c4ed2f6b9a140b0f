import { useMutation, useQuery } from '@apollo/client';
import { useRef, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import { RequireAuth } from '../../auth';
import {
  SellerCategoriesDocument,
  SellerCreateProductDocument,
  SellerMyStoreDocument,
  SellerProductDocument,
  SellerUpdateProductDocument,
  type SellerProductQuery,
} from '../../gql/graphql';
import { useT } from '../../i18n';
import ErrorNote from '../../components/ErrorNote';
import { serverErrors, type FieldErrors } from './formErrors';
import { photoInput } from './PhotoPicker';
import ProductForm, { emptyValues, type ProductValues } from './ProductForm';
import { rowsInput } from './VariantRows';
import VariantsManager from './VariantsManager';
import '../../styles/seller.css';

type Product = NonNullable<SellerProductQuery['product']>;

/** Server field names → the form's input ids. */
const FIELDS: Record<string, string> = {
  name: 'product-name',
  description: 'product-description',
  price: 'product-price',
  categoryId: 'product-category',
  gender: 'product-gender',
  colors: 'product-colors',
  stock: 'product-stock',
  variants: 'product-variants',
  sku: 'product-variants',
  images: 'product-images',
  imageUploadIds: 'product-images',
};

function valuesOf(p: Product): ProductValues {
  return {
    ...emptyValues(),
    name: p.name,
    description: p.description,
    price: String(p.price),
    categoryId: p.category?.id ?? '',
    gender: p.gender,
    colors: p.colors,
    seasons: p.seasons,
    photos: p.images.map((img, i) => ({ key: `existing-${i}-${img.url}`, url: img.url, thumbnailUrl: img.thumbnailUrl })),
  };
}

const samePhotos = (a: ProductValues['photos'], b: ProductValues['photos']) =>
  a.length === b.length && a.every((p, i) => p.key === b[i].key);

function EditorContent({ id }: { id: string }) {
  const t = useT();
  const navigate = useNavigate();
  const creating = id === 'new';
  const store = useQuery(SellerMyStoreDocument, { fetchPolicy: 'cache-first' });
  const cats = useQuery(SellerCategoriesDocument);
  const product = useQuery(SellerProductDocument, { variables: { id }, skip: creating, fetchPolicy: 'cache-and-network' });
  const [create, creatingState] = useMutation(SellerCreateProductDocument);
  const [update, updatingState] = useMutation(SellerUpdateProductDocument);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [summary, setSummary] = useState<string | null>(null);
  const location = useLocation();
  const justCreated = (location.state as { created?: boolean } | null)?.created === true;
  const [saved, setSaved] = useState(justCreated ? t('seller.productCreated') : '');
  const [revision, setRevision] = useState(0);
  const savedRef = useRef<HTMLParagraphElement>(null);

  const p = product.data?.product ?? null;
  const initial = p ? valuesOf(p) : emptyValues();
  const ownStore = store.data?.myStore;
  const title = creating ? t('seller.newProductTitle') : p ? t('seller.editProductTitle', { name: p.name }) : t('seller.editProduct');

  const onSubmit = async (v: ProductValues): Promise<boolean> => {
    setFieldErrors({});
    setSummary(null);
    setSaved('');
    // What creating and updating both send.
    const common = {
      name: v.name.trim(),
      description: v.description,
      price: Number(v.price),
      categoryId: v.categoryId,
      gender: v.gender,
      colors: v.colors,
      seasons: v.seasons,
    };
    try {
      if (creating) {
        const photos = photoInput(v.photos);
        const { data } = await create({
          variables: {
            input: {
              ...common,
              ...(v.hasVariants ? { variants: rowsInput(v.variants) } : { stock: Number(v.stock) }),
              ...photos,
            },
          },
        });
        if (data) navigate(`/seller/products/${encodeURIComponent(data.createProduct.id)}`, { replace: true, state: { created: true } });
      } else if (p) {
        const before = valuesOf(p);
        await update({
          variables: {
            id,
            input: {
              ...common,
              ...(samePhotos(before.photos, v.photos) ? {} : photoInput(v.photos)),
            },
          },
        });
        setSaved(t('seller.productSaved'));
        // The form starts again from what the server stored (photos included).
        setRevision((r) => r + 1);
        requestAnimationFrame(() => savedRef.current?.focus());
      }
      return true;
    } catch (err) {
      const split = serverErrors(t, err, FIELDS);
      setFieldErrors(split.fields);
      setSummary(split.summary);
      return false;
    }
  };

  const retry = () => {
    void store.refetch();
    void cats.refetch();
    if (!creating) void product.refetch();
  };

  let body;
  if (store.data && (!ownStore || ownStore.status !== 'APPROVED')) {
    body = (
      <p>
        {t('seller.needApprovedStore')} <Link to="/seller">{t('seller.backToSeller')}</Link>
      </p>
    );
  } else if ((!creating && product.loading && !product.data) || (cats.loading && !cats.data)) {
    body = (
      <p className="muted" role="status">
        {t('common.loading')}
      </p>
    );
  } else if (!creating && product.data && !p) {
    body = <p>{t('seller.productMissing')}</p>;
  } else if (!creating && p && ownStore && p.store?.id !== ownStore.id) {
    body = <p>{t('seller.notYourProduct')}</p>;
  } else if (cats.data && (creating || p)) {
    body = (
      <>
        {p && p.status !== 'ACTIVE' && <p className="seller-note">{t(`seller.productStatusNote_${p.status}`)}</p>}
        <p role="status" className="seller-saved" ref={savedRef} tabIndex={-1}>
          {saved}
        </p>
        <ProductForm
          key={p ? `${p.id}-${revision}` : 'new'}
          creating={creating}
          initial={initial}
          categories={cats.data.categories}
          saving={creatingState.loading || updatingState.loading}
          serverFieldErrors={fieldErrors}
          serverSummary={summary}
          onSubmit={onSubmit}
        />
        {p && <VariantsManager productId={p.id} variants={p.variants} />}
      </>
    );
  }

  return (
    <div className="page seller-page stack">
      <nav aria-label={t('seller.breadcrumb')}>
        <Link to="/seller">{t('seller.backToSeller')}</Link>
        {p && p.status === 'ACTIVE' && (
          <>
            {' · '}
            <Link to={`/products/${encodeURIComponent(p.id)}`}>{t('seller.viewInShop')}</Link>
          </>
        )}
      </nav>
      <h1>{title}</h1>
      <ErrorNote area="seller" error={store.error ?? cats.error ?? product.error} onRetry={retry} />
      {body}
    </div>
  );
}

function Editor() {
  const { id = 'new' } = useParams();
  return <EditorContent key={id} id={id} />;
}

/** /seller/products/:id ("new" creates): the product's details, photos, stock and variants. */
export default function ProductEditor() {
  return (
    <RequireAuth>
      <Editor />
    </RequireAuth>
  );
}
