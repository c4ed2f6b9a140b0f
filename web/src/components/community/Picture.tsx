export type ImageLike = {
  url: string;
  thumbnailUrl?: string | null;
  webpUrl?: string | null;
  width?: number | null;
  height?: number | null;
};

/**
 * An image with its WebP variant when the server made one. `thumb` uses the
 * 320 px thumbnail (lists); the intrinsic size keeps the layout from jumping.
 */
export default function Picture({
  image,
  alt,
  thumb = false,
  eager = false,
  className,
}: {
  image: ImageLike;
  alt: string;
  thumb?: boolean;
  eager?: boolean;
  className?: string;
}) {
  const src = thumb ? (image.thumbnailUrl ?? image.url) : image.url;
  const webp = thumb ? null : image.webpUrl;
  const img = (
    <img
      className={className}
      src={src}
      alt={alt}
      width={image.width ?? undefined}
      height={image.height ?? undefined}
      loading={eager ? 'eager' : 'lazy'}
      decoding="async"
    />
  );
  if (!webp) return img;
  return (
    <picture>
      <source srcSet={webp} type="image/webp" />
      {img}
    </picture>
  );
}
