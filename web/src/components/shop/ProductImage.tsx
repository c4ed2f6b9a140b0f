import { useState } from 'react';

export type ImageLike = {
  url: string;
  thumbnailUrl?: string | null;
  webpUrl?: string | null;
  width?: number | null;
  height?: number | null;
};

/**
 * A product photo at a fixed box size (width/height set, so nothing jumps),
 * lazy unless `eager`. `thumb` takes the 320 px thumbnail when the server made
 * one. An image that cannot be loaded (an external host that is unreachable)
 * leaves a neutral box with the alt text's meaning kept for screen readers.
 */
export default function ProductImage({
  image,
  alt,
  size = 320,
  thumb = true,
  eager = false,
  className,
}: {
  image: ImageLike | null | undefined;
  alt: string;
  size?: number;
  thumb?: boolean;
  eager?: boolean;
  className?: string;
}) {
  const [failed, setFailed] = useState(false);
  const cls = `shop-img ${className ?? ''}`.trim();
  if (!image || failed) {
    return alt ? (
      <span className={`${cls} shop-img-empty`} role="img" aria-label={alt} />
    ) : (
      <span className={`${cls} shop-img-empty`} aria-hidden="true" />
    );
  }
  const src = thumb ? (image.thumbnailUrl ?? image.webpUrl ?? image.url) : (image.webpUrl ?? image.url);
  return (
    <img
      className={cls}
      src={src}
      alt={alt}
      width={size}
      height={size}
      loading={eager ? 'eager' : 'lazy'}
      decoding="async"
      onError={() => setFailed(true)}
    />
  );
}
