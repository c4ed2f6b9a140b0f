import { useState } from 'react';
import { useT } from '../../i18n';
import ProductImage, { type ImageLike } from './ProductImage';

/** The product's photos: a large one and buttons to show each of the others. */
export default function Gallery({ images, name }: { images: readonly ImageLike[]; name: string }) {
  const t = useT();
  const [index, setIndex] = useState(0);
  const current = images[index] ?? images[0];
  return (
    <div className="shop-gallery">
      <ProductImage
        key={current?.url ?? 'none'}
        image={current}
        alt={t('shop.photoOf', { name, n: index + 1, total: Math.max(1, images.length) })}
        size={560}
        thumb={false}
        eager
        className="shop-gallery-main"
      />
      {images.length > 1 && (
        <ul className="row shop-gallery-thumbs" aria-label={t('shop.photos')}>
          {images.map((img, i) => (
            <li key={img.url}>
              <button
                type="button"
                className="shop-thumb-btn"
                aria-pressed={i === index}
                aria-label={t('shop.showPhoto', { n: i + 1 })}
                onClick={() => setIndex(i)}
              >
                <ProductImage image={img} alt="" size={72} />
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
